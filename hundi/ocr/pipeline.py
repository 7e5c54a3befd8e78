"""The in-process reading pipeline: pages -> words -> lines -> fields. Untrusted input belongs in the sandbox
(``hundi.ocr.sandbox``), which calls :func:`read_document` in a resource-capped child process.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from hundi.ocr.extract import extract_fields
from hundi.ocr.fields import ExtractionResult, Method
from hundi.ocr.layout import Line, build_lines
from hundi.ocr.limits import DEFAULT_LIMITS, OcrLimits
from hundi.ocr.preprocess import Preprocessed, preprocess
from hundi.ocr.raster import ImagePage, TextPage, load_pages
from hundi.ocr.tesseract import ocr_words


class _PageRereader:
    """Second reads of a word region of a page, with Tesseract restricted to a charset.

    Variants, cheapest first: the cleaned binary region, the grayscale region (Tesseract's own
    binarisation sometimes keeps a stroke that ours dropped), the grayscale region enlarged 1.5x, and the
    binary region with strokes thickened (thin fonts such as Courier lose pixels in binarisation). Each is a
    Tesseract run of its own (stacking them into one image read worse), made only when the caller asks for
    the next reading, so callers stop as soon as a reading validates.
    """

    def __init__(self, pages: dict[int, Preprocessed], timeout: float) -> None:
        self._pages = pages
        self._timeout = timeout

    def __call__(self, page: int, box: tuple[float, float, float, float], charset: str) -> Iterator[tuple[str, float]]:
        prepared = self._pages.get(page)
        if prepared is None:
            return
        left, top, right, bottom = (int(v) for v in box)
        height = max(bottom - top, 1)
        # Tight sideways (the border added below is the margin): a wider crop catches the edge of the
        # neighbouring word, typically the label's colon, which comes back as a stray 'I'.
        pad_y, pad_x = int(0.4 * height), max(2, int(0.08 * height))
        region = (slice(max(0, top - pad_y), bottom + pad_y), slice(max(0, left - pad_x), right + pad_x))
        binary, gray = prepared.image[region], prepared.gray[region]
        if binary.size == 0:
            return
        paper = int(np.median(gray))
        # (image, margin colour): white around binary crops, the paper's grey around grayscale ones.
        variants: tuple[Callable[[], tuple[np.ndarray, int]], ...] = (
            lambda: (binary, 255),
            lambda: (gray, paper),
            lambda: (cv2.resize(gray, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC), paper),
            lambda: (cv2.erode(binary, np.ones((2, 2), np.uint8)), 255),
        )
        config = f"--oem 1 --psm 7 -c tessedit_do_invert=0 -c tessedit_char_whitelist={charset}"
        for make in variants:
            # Tesseract finds text more reliably with a margin around it.
            variant, fill = make()
            framed = cv2.copyMakeBorder(variant, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=(fill,))
            words = ocr_words(framed, timeout=self._timeout, config=config)
            if words:
                yield " ".join(w.text for w in words), min(w.conf for w in words)


def _ocr_page(page: ImagePage, timeout: float) -> tuple[int, Preprocessed, list[Line]]:
    prepared = preprocess(page.image)
    words = ocr_words(prepared.image, timeout=timeout)
    return page.index, prepared, build_lines(words, page.index, ocr=True)


def read_document(data: bytes, limits: OcrLimits = DEFAULT_LIMITS) -> ExtractionResult:
    """Read one document in this process (trusted input, or inside the sandbox)."""
    started, cpu_started = time.perf_counter(), _cpu_time()
    pages = load_pages(data, limits)
    lines_by_page: dict[int, list[Line]] = {}
    images: dict[int, Preprocessed] = {}
    for page in pages:
        if isinstance(page, TextPage):
            lines_by_page[page.index] = build_lines(page.words, page.index)
    scans = [p for p in pages if isinstance(p, ImagePage)]
    if scans:
        # Tesseract runs single-threaded (OMP_THREAD_LIMIT=1 is faster on small machines); pages go to
        # separate Tesseract processes in parallel instead, one per core.
        workers = max(1, min(len(scans), os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for index, image, lines in pool.map(lambda p: _ocr_page(p, limits.wall_seconds), scans):
                images[index] = image
                lines_by_page[index] = lines
    lines = [line for index in sorted(lines_by_page) for line in lines_by_page[index]]
    reread = _PageRereader(images, limits.wall_seconds) if images else None
    fields, warnings = extract_fields(lines, reread)
    method: Method = "ocr" if len(scans) == len(pages) else "text-layer" if not scans else "mixed"
    if not lines:
        warnings.append("no text found in the document")
    return ExtractionResult(
        fields=fields,
        method=method,
        pages=len(pages),
        warnings=warnings,
        seconds=round(time.perf_counter() - started, 3),
        cpu_seconds=round(_cpu_time() - cpu_started, 3),
    )


def _cpu_time() -> float:
    """CPU seconds of this process and its finished children (the Tesseract runs)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
