"""Invoice OCR: extract invoice fields, with confidences, from untrusted PDFs and images.

Text-layer PDFs are read directly; scans and images are rasterised, cleaned up and read with Tesseract.
Untrusted bytes are parsed in a resource-capped child process (:mod:`hundi.ocr.sandbox`).

    from hundi.ocr import extract_document
    result = extract_document(pdf_bytes)
    result.fields.total.value  # Decimal('118000.00')
"""

from __future__ import annotations

from pathlib import Path

from hundi.ocr.errors import (
    CorruptFile,
    EmptyFile,
    EncryptedFile,
    FileTooLarge,
    ImageTooLarge,
    OcrError,
    OcrUnavailable,
    ResourceLimitExceeded,
    SandboxFailed,
    SandboxTimeout,
    TooManyPages,
    UnsupportedFile,
)
from hundi.ocr.fields import ExtractedField, ExtractionResult, InvoiceFields
from hundi.ocr.limits import DEFAULT_LIMITS, OcrLimits

__all__ = [
    "DEFAULT_LIMITS",
    "CorruptFile",
    "EmptyFile",
    "EncryptedFile",
    "ExtractedField",
    "ExtractionResult",
    "FileTooLarge",
    "ImageTooLarge",
    "InvoiceFields",
    "OcrError",
    "OcrLimits",
    "OcrUnavailable",
    "ResourceLimitExceeded",
    "SandboxFailed",
    "SandboxTimeout",
    "TooManyPages",
    "UnsupportedFile",
    "extract_document",
    "extract_file",
]


def extract_document(data: bytes, limits: OcrLimits = DEFAULT_LIMITS) -> ExtractionResult:
    """Extract invoice fields from PDF, PNG or JPEG bytes, parsed in a sandboxed child process.

    Raises:
        OcrError: a subclass naming why the document could not be read (unsupported, corrupt, encrypted,
            over a resource limit, ...).
    """
    from hundi.ocr.sandbox import run_sandboxed

    return run_sandboxed(data, limits)


def extract_file(path: str | Path, limits: OcrLimits = DEFAULT_LIMITS) -> ExtractionResult:
    """:func:`extract_document` on a file; refuses files over the byte cap before reading them."""
    path = Path(path)
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise FileTooLarge(f"file is {size} bytes; the limit is {limits.max_bytes}", "bytes")
    return extract_document(path.read_bytes(), limits)
