"""Hundi core: shared library and SDK for contracts, documents, OCR, GST checks and risk."""

__version__ = "0.1.0"
