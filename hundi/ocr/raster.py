"""Open an untrusted PDF, PNG or JPEG and turn it into pages: words from a text layer, or a grayscale raster.

Every cap is checked from metadata before the expensive step it guards: the page count and page sizes before
rendering, the image dimensions (from the header) before decoding. Run this inside the sandbox process.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from hundi.ocr.errors import (
    CorruptFile,
    EmptyFile,
    EncryptedFile,
    FileTooLarge,
    ImageTooLarge,
    ResourceLimitExceeded,
    TooManyPages,
    UnsupportedFile,
)
from hundi.ocr.layout import Word
from hundi.ocr.limits import DEFAULT_LIMITS, OcrLimits

if TYPE_CHECKING:
    import numpy as np

FileKind = Literal["pdf", "png", "jpeg"]
RENDER_DPI = 300
# Pages are processed at no more than this many pixels (A4 at 300 dpi is 8.7 million): bigger pages and
# photos are scaled down first, which keeps OCR time and memory (under the sandbox's RLIMIT_AS) bounded
# whatever the size of the input, within max_pixels.
WORK_PIXELS = 12_500_000
# Fewer printable characters than this on a page means a scan (or a scan with a stray header in text).
_MIN_TEXT_CHARS = 20


@dataclass(frozen=True, slots=True)
class TextPage:
    """A PDF page read from its text layer; word boxes in points from the top-left corner."""

    index: int
    words: list[Word]


@dataclass(frozen=True, slots=True)
class ImagePage:
    """A page to OCR: 8-bit grayscale, with the resolution when the file states it."""

    index: int
    image: np.ndarray
    dpi: float | None


Page = TextPage | ImagePage


def sniff(data: bytes) -> FileKind:
    """The file kind from its magic bytes.

    Raises:
        EmptyFile: no bytes.
        UnsupportedFile: neither PDF, PNG nor JPEG.
    """
    if not data:
        raise EmptyFile("the file is empty (0 bytes)")
    # PDF readers accept the header anywhere in the first 1024 bytes (PDF 1.7, Annex H.3 note 13).
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    raise UnsupportedFile("not a PDF, PNG or JPEG file (unrecognised magic bytes)")


def check_size(data: bytes, limits: OcrLimits = DEFAULT_LIMITS) -> FileKind:
    """Sniff the kind and enforce the byte cap; cheap enough to run before starting the sandbox."""
    if len(data) > limits.max_bytes:
        raise FileTooLarge(f"file is {len(data)} bytes; the limit is {limits.max_bytes}", "bytes")
    return sniff(data)


def load_pages(data: bytes, limits: OcrLimits = DEFAULT_LIMITS) -> list[Page]:
    """Pages of the document, in order."""
    kind = check_size(data, limits)
    if kind == "pdf":
        return _pdf_pages(data, limits)
    return [_image_page(data, kind, limits)]


def _pixels_at(width_pt: float, height_pt: float, dpi: int) -> int:
    return int(width_pt * dpi / 72) * int(height_pt * dpi / 72)


def _pdf_pages(data: bytes, limits: OcrLimits) -> list[Page]:
    import pypdfium2 as pdfium

    # A truncated download loses the trailer; pdfium would often "repair" it and show a partial document,
    # which is worse than refusing it. Real PDFs end with %%EOF within the last 1024 bytes.
    if b"%%EOF" not in data[-1024:]:
        raise CorruptFile("the PDF is truncated (no %%EOF trailer)")
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedFile("the PDF is password protected") from exc
        raise CorruptFile(f"the PDF cannot be parsed: {exc}") from exc
    try:
        count = len(doc)
        if count == 0:
            raise CorruptFile("the PDF has no pages")
        if count > limits.max_pages:
            raise TooManyPages(f"the PDF has {count} pages; the limit is {limits.max_pages}", "pages")
        pages: list[Page] = []
        for index in range(count):
            page = doc[index]
            width, height = page.get_size()
            pixels = _pixels_at(width, height, RENDER_DPI)
            if pixels > limits.max_pixels or width <= 0 or height <= 0:
                raise ImageTooLarge(
                    f"page {index + 1} is {width:.0f}x{height:.0f} pt ({pixels} pixels at {RENDER_DPI} dpi); "
                    f"the limit is {limits.max_pixels} pixels",
                    "pixels",
                )
            words = _text_layer_words(page, height, limits) if page.get_rotation() == 0 else []
            if sum(len(w.text) for w in words) >= _MIN_TEXT_CHARS:
                pages.append(TextPage(index, words))
            else:
                # Rotated pages are rendered too: rendering applies /Rotate, the text layer would not.
                dpi = min(_render_dpi(page), 72 * (WORK_PIXELS / max(width * height, 1.0)) ** 0.5)
                bitmap = page.render(scale=dpi / 72, grayscale=True)
                pages.append(ImagePage(index, bitmap.to_numpy().reshape(bitmap.height, bitmap.width).copy(), dpi))
        return pages
    finally:
        doc.close()


def _render_dpi(page: object) -> float:
    """300 dpi, or the native resolution of a scanned page image when that is lower.

    A scanner's PDF wraps one 200-300 dpi image per page. Rendering it at exactly its own resolution copies
    pixels one to one; resampling it to 300 dpi would blur the glyph edges Tesseract relies on.
    """
    import pypdfium2.raw as pdfium_c

    best_px, best_dpi = 0, float(RENDER_DPI)
    for count, obj in enumerate(page.get_objects(max_depth=2)):  # type: ignore[attr-defined]
        if count > 500:  # a scan has a handful of objects; do not walk a hostile content stream
            break
        if obj.type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
            continue
        width_px, height_px = obj.get_px_size()
        left, bottom, right, top = obj.get_bounds()
        if width_px * height_px > best_px and right - left > 1 and top - bottom > 1:
            best_px, best_dpi = width_px * height_px, width_px / ((right - left) / 72)
    return float(min(RENDER_DPI, max(100.0, round(best_dpi))))


def _text_layer_words(page: object, page_height: float, limits: OcrLimits) -> list[Word]:
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()  # type: ignore[attr-defined]
    try:
        n = textpage.count_chars()
        if n > limits.max_chars_per_page:
            raise ResourceLimitExceeded(
                f"a page has {n} characters of text; the limit is {limits.max_chars_per_page}", "chars"
            )
        words: list[Word] = []
        chars: list[str] = []
        box = [0.0, 0.0, 0.0, 0.0]  # left, top, right, bottom (top-left origin)

        def flush() -> None:
            if chars:
                words.append(Word("".join(chars), box[0], box[1], box[2], box[3], 1.0))
                chars.clear()

        for i in range(n):
            code = pdfium_c.FPDFText_GetUnicode(textpage.raw, i)
            ch = chr(code) if 0 < code < 0x110000 else ""
            if not ch or ch.isspace() or pdfium_c.FPDFText_IsGenerated(textpage.raw, i) == 1:
                flush()
                continue
            left, bottom, right, top = textpage.get_charbox(i, loose=True)
            top, bottom = page_height - top, page_height - bottom
            if chars:
                height = max(box[3] - box[1], 1.0)
                # Text objects drawn apart without a space char (table cells) still form separate words.
                if left - box[2] > 0.6 * height or abs((top + bottom) / 2 - (box[1] + box[3]) / 2) > 0.5 * height:
                    flush()
            if not chars:
                box[:] = [left, top, right, bottom]
            else:
                box[:] = [min(box[0], left), min(box[1], top), max(box[2], right), max(box[3], bottom)]
            chars.append(ch)
        flush()
        return words
    finally:
        textpage.close()


def _shrink(width: int, height: int) -> float:
    """Scale factor that brings an image down to WORK_PIXELS (1.0 if it is already within)."""
    return float(min(1.0, (WORK_PIXELS / max(width * height, 1)) ** 0.5))


def _image_page(data: bytes, kind: FileKind, limits: OcrLimits) -> ImagePage:
    import numpy as np
    from PIL import Image, ImageOps

    # Pillow refuses images above twice this many pixels on its own; our own header check below comes first
    # and refuses anything above the cap itself.
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    try:
        with Image.open(io.BytesIO(data), formats=["PNG" if kind == "png" else "JPEG"]) as im:
            width, height = im.size
            if width * height > limits.max_pixels or width <= 0 or height <= 0:
                raise ImageTooLarge(
                    f"image is {width}x{height} pixels; the limit is {limits.max_pixels} pixels", "pixels"
                )
            if kind == "jpeg":
                # JPEG can decode straight to a reduced size (DCT scaling): cheaper than decoding it whole.
                im.draft("L", (int(width * _shrink(width, height)) + 1, int(height * _shrink(width, height)) + 1))
            im.load()
            dpi = im.info.get("dpi")
            upright = ImageOps.exif_transpose(im) if kind == "jpeg" else im
            gray_image = upright.convert("L")
            factor = _shrink(*gray_image.size)
            if factor < 1:
                gray_image = gray_image.resize(
                    (int(gray_image.width * factor), int(gray_image.height * factor)), Image.Resampling.BOX
                )
                dpi = (dpi[0] * factor, dpi[1] * factor) if isinstance(dpi, tuple) and len(dpi) == 2 else dpi
            gray = np.asarray(gray_image)
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"image refused as a decompression bomb: {exc}", "pixels") from exc
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
        raise CorruptFile(f"the {kind.upper()} image cannot be decoded: {exc}") from exc
    resolution = float(dpi[0]) if isinstance(dpi, tuple) and dpi and dpi[0] and dpi[0] > 1 else None
    return ImagePage(0, gray, resolution)
