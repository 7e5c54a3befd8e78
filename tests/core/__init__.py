"""Tests of the hundi core library."""
