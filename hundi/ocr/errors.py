"""Errors of the ``hundi.ocr`` package: one base class, one subclass per way a document can fail to be read."""

from __future__ import annotations

from hundi.errors import HundiError


class OcrError(HundiError):
    """Base class of every document-reading error."""


class UnsupportedFile(OcrError):
    """The bytes are not a PDF, PNG or JPEG."""


class EmptyFile(UnsupportedFile):
    """The file has no bytes at all."""


class CorruptFile(OcrError):
    """The file claims a supported format but cannot be parsed (truncated, damaged or malformed)."""


class EncryptedFile(OcrError):
    """The PDF is password protected, so its content cannot be read."""


class ResourceLimitExceeded(OcrError):
    """Reading the file would exceed a resource cap; ``limit`` names the cap (pages, pixels, cpu, ...)."""

    def __init__(self, message: str, limit: str = "") -> None:
        super().__init__(message)
        self.limit = limit


class FileTooLarge(ResourceLimitExceeded):
    """The file is larger than the byte cap."""


class TooManyPages(ResourceLimitExceeded):
    """The PDF has more pages than the page cap."""


class ImageTooLarge(ResourceLimitExceeded):
    """An image or a page rendered at 300 dpi would exceed the pixel cap (a decompression bomb)."""


class SandboxTimeout(ResourceLimitExceeded):
    """The parser did not finish within the wall-clock timeout and was killed."""


class SandboxFailed(OcrError):
    """The parser process died without an answer (a crash, or a memory cap enforced by a signal)."""


class OcrUnavailable(OcrError):
    """The Tesseract executable is not installed; an environment problem, not a property of the document."""
