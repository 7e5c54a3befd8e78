"""Hundi test suite (a package so that ``tests.fixtures`` wins over stray top-level ``tests`` packages)."""
