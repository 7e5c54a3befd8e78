"""Hundi backend: the indexer (chain -> database) and, later, the marketplace API. Imports `hundi`, never `oracle`."""
