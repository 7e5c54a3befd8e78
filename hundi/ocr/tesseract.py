"""Tesseract through pytesseract: a preprocessed page in, words with boxes and confidences out."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from hundi.ocr.errors import OcrError, OcrUnavailable, ResourceLimitExceeded, SandboxTimeout
from hundi.ocr.layout import Word

# pytesseract imports pandas when it is installed, only for DataFrame output, which costs 0.7 s per
# process. Hide it for the duration of the import; nothing here asks for DataFrames.
_hidden = "pandas" not in sys.modules
if _hidden:
    sys.modules["pandas"] = None  # type: ignore[assignment]
try:
    import pytesseract
finally:
    if _hidden:
        del sys.modules["pandas"]

# --psm 6 (one uniform block) and --psm 4 measured within a few points of each other on the benchmark
# scans, 6 ahead on JPEG (worst goal field 98% against 93% exact, 45 invoices) at the same speed; --psm 3
# was no better and slower. Lines are rebuilt from word boxes anyway, so Tesseract's layout analysis buys
# nothing. Inverted-text detection is off: invoices print dark on light, and the check costs a second
# recognition pass on low-confidence words.
TESSERACT_CONFIG = "--oem 1 --psm 6 -c tessedit_do_invert=0"


def ocr_words(
    image: np.ndarray, *, dpi: int = 300, timeout: float = 60.0, config: str = TESSERACT_CONFIG
) -> list[Word]:
    """Run Tesseract on a black-on-white page and return its words (confidences scaled to 0..1)."""
    # PNM is written and read without compression: the cheapest hand-over to Tesseract.
    with tempfile.TemporaryDirectory(prefix="hundi-ocr-") as tmp:
        path = Path(tmp) / "page.pgm"
        if not cv2.imwrite(str(path), image):
            raise OcrError("could not write the page image for Tesseract")
        try:
            data = pytesseract.image_to_data(
                str(path),
                lang="eng",
                config=f"{config} --dpi {dpi}",
                timeout=timeout,
                output_type=pytesseract.Output.DICT,
            )
        except pytesseract.TesseractNotFoundError as exc:
            raise OcrUnavailable("tesseract is not installed (apt-get install tesseract-ocr)") from exc
        except pytesseract.TesseractError as exc:
            if isinstance(exc.status, int) and exc.status < 0:  # killed by a signal: a resource cap (RLIMIT_*)
                raise ResourceLimitExceeded("tesseract exceeded its CPU-time or memory limit", "cpu") from exc
            raise OcrError(f"tesseract failed: {exc.message}") from exc
        except RuntimeError as exc:
            if "timeout" in str(exc).lower():
                raise SandboxTimeout(f"tesseract did not finish within {timeout:.0f} s", "wall") from exc
            raise
    words = []
    for text, conf, left, top, width, height in zip(
        data["text"], data["conf"], data["left"], data["top"], data["width"], data["height"], strict=True
    ):
        text = text.strip()
        if not text or float(conf) < 0:
            continue
        words.append(Word(text, float(left), float(top), float(left + width), float(top + height), float(conf) / 100.0))
    return words
