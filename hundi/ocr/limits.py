"""Resource caps for reading untrusted documents."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OcrLimits:
    """Caps applied to one document.

    The byte cap matches the upload API's 10 MB. The pixel cap bounds a page rendered at 300 dpi (A4 is 8.7
    megapixels, A2 35) and any image, so a decompression bomb is refused from its header alone. CPU time and
    address space are enforced by the kernel (RLIMIT_CPU, RLIMIT_AS) in the parser process and in each
    Tesseract process it starts; the wall-clock timeout bounds the whole run, waiting included.
    """

    max_bytes: int = 10 * 1024 * 1024
    max_pages: int = 10
    max_pixels: int = 40_000_000
    max_chars_per_page: int = 200_000
    cpu_seconds: int = 10
    memory_mb: int = 512
    wall_seconds: float = 60.0


DEFAULT_LIMITS = OcrLimits()
