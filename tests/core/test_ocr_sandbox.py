"""Hostile and malformed documents: each gives its own OcrError quickly, and the caller carries on.

Every call is timed: a malformed file must never hang the caller, whatever the parser does with it.
"""

from __future__ import annotations

import io
import json
import random
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from reportlab.lib.pdfencrypt import StandardEncryption  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from hundi.cli import main as hundi_cli
from hundi.ocr import (
    CorruptFile,
    EmptyFile,
    EncryptedFile,
    FileTooLarge,
    ImageTooLarge,
    OcrError,
    OcrLimits,
    ResourceLimitExceeded,
    SandboxTimeout,
    TooManyPages,
    UnsupportedFile,
    extract_document,
)
from tests.fixtures.invoices import make_invoice, render_pdf, render_scan

# Generous for a loaded CI machine (the first call also starts the parser's zygote); a hang would be
# caught by the sandbox's own 60 s wall clock, far above this.
BOUND_SECONDS = 20.0


@contextmanager
def returns_within(seconds: float) -> Iterator[None]:
    started = time.monotonic()
    yield
    assert time.monotonic() - started < seconds


def _png_bomb(side: int = 50_000) -> bytes:
    """A small PNG whose header claims side x side pixels; its first rows really are there (zlib of zeros)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit grayscale
    compressor = zlib.compressobj(9)
    rows = b"".join(compressor.compress(b"\0" * (side // 8 + 1)) for _ in range(100)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def _pdf(
    pages: int = 1, size: tuple[float, float] = (595, 842), text: bool = True, encrypt: StandardEncryption | None = None
) -> bytes:
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=size, invariant=1, encrypt=encrypt)
    for page in range(pages):
        if text:
            canvas.drawString(50, 50, f"Page {page + 1}: Invoice No A-{page}, Total Rs. 1,000.00")
        canvas.showPage()
    canvas.save()
    return buf.getvalue()


@pytest.fixture(scope="module")
def invoice_pdf() -> bytes:
    return render_pdf(make_invoice(1, layout="letterhead"))


@pytest.fixture(scope="module")
def invoice_png() -> bytes:
    return render_scan(make_invoice(2, layout="compact"), "scan-png")


def test_empty_file_is_refused(invoice_pdf: bytes) -> None:
    with returns_within(BOUND_SECONDS), pytest.raises(EmptyFile):
        extract_document(b"")


def test_random_bytes_are_unsupported() -> None:
    with returns_within(BOUND_SECONDS), pytest.raises(UnsupportedFile, match="magic bytes"):
        extract_document(random.Random(7).randbytes(4096))


def test_truncated_pdf_is_corrupt(invoice_pdf: bytes) -> None:
    with returns_within(BOUND_SECONDS), pytest.raises(CorruptFile, match="truncated"):
        extract_document(invoice_pdf[: len(invoice_pdf) // 2])


def test_pdf_header_with_garbage_is_corrupt() -> None:
    data = b"%PDF-1.7\n" + random.Random(1).randbytes(3000) + b"\n%%EOF\n"
    with returns_within(BOUND_SECONDS), pytest.raises(CorruptFile):
        extract_document(data)


def test_truncated_png_is_corrupt(invoice_png: bytes) -> None:
    with returns_within(BOUND_SECONDS), pytest.raises(CorruptFile, match="truncated"):
        extract_document(invoice_png[:5000])


def test_decompression_bomb_png_is_refused_from_its_header() -> None:
    with returns_within(BOUND_SECONDS), pytest.raises(ImageTooLarge) as caught:
        extract_document(_png_bomb())
    assert caught.value.limit == "pixels"


def test_pdf_with_an_enormous_page_is_refused_before_rendering() -> None:
    with returns_within(BOUND_SECONDS), pytest.raises(ImageTooLarge, match="14400x14400 pt"):
        extract_document(_pdf(size=(14400, 14400), text=False))


def test_pdf_with_too_many_pages_is_refused() -> None:
    with returns_within(BOUND_SECONDS), pytest.raises(TooManyPages) as caught:
        extract_document(_pdf(pages=11))
    assert caught.value.limit == "pages"
    assert extract_document(_pdf(pages=3), OcrLimits(max_pages=3)).pages == 3


def test_encrypted_pdf_is_refused() -> None:
    data = _pdf(encrypt=StandardEncryption("user-secret", ownerPassword="owner-secret"))
    with returns_within(BOUND_SECONDS), pytest.raises(EncryptedFile):
        extract_document(data)


def test_oversized_file_is_refused_without_parsing(invoice_pdf: bytes) -> None:
    with returns_within(1.0), pytest.raises(FileTooLarge):
        extract_document(invoice_pdf, OcrLimits(max_bytes=len(invoice_pdf) - 1))


def test_wall_clock_timeout_stops_the_parser_and_the_next_call_works(invoice_png: bytes, invoice_pdf: bytes) -> None:
    with returns_within(5.0), pytest.raises(SandboxTimeout):
        extract_document(invoice_png, OcrLimits(wall_seconds=0.2))
    assert extract_document(invoice_pdf).fields.total is not None


def test_memory_cap_is_enforced(invoice_png: bytes) -> None:
    # The parser process starts with ~300 MB of address space mapped (Python, OpenCV, pdfium): a 200 MB cap
    # leaves it nothing to work with.
    with returns_within(BOUND_SECONDS), pytest.raises(ResourceLimitExceeded) as caught:
        extract_document(invoice_png, OcrLimits(memory_mb=200))
    assert caught.value.limit == "memory"


def test_caller_survives_a_run_of_hostile_files(invoice_pdf: bytes) -> None:
    hostile = [b"", b"%PDF-1.4\n%%EOF", _png_bomb(), invoice_pdf[:100], b"\xff\xd8\xff" + bytes(100)]
    for data in hostile:
        with pytest.raises(OcrError):
            extract_document(data)
    assert extract_document(invoice_pdf).method == "text-layer"


def test_concurrent_callers_each_get_their_own_worker(invoice_pdf: bytes) -> None:
    specs = [make_invoice(seed, layout="table") for seed in range(4)]
    results: dict[int, object] = {}

    def read(i: int) -> None:
        results[i] = extract_document(render_pdf(specs[i])).fields.invoice_number.value  # type: ignore[union-attr]

    threads = [threading.Thread(target=read, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=BOUND_SECONDS)
    assert results == {i: specs[i].truth.invoice_number for i in range(4)}


def test_sandbox_module_reads_stdin_and_answers_json(invoice_pdf: bytes) -> None:
    command = [sys.executable, "-m", "hundi.ocr.sandbox"]
    ok = subprocess.run(command, input=invoice_pdf, capture_output=True, timeout=60, check=True)
    reply = json.loads(ok.stdout)
    assert reply["ok"] is True and reply["result"]["method"] == "text-layer"
    assert reply["result"]["fields"]["total"]["value"] == str(make_invoice(1, layout="letterhead").truth.total)


def test_cli_prints_fields_as_json(tmp_path: Path, invoice_pdf: bytes) -> None:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(invoice_pdf)
    result = CliRunner().invoke(hundi_cli, ["ocr", str(path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    spec = make_invoice(1, layout="letterhead")
    assert out["fields"]["invoice_number"]["value"] == spec.truth.invoice_number
    assert out["fields"]["total"]["value"] == str(spec.truth.total)
    assert set(out["fields"]["total"]) == {"value", "confidence", "source"}


def test_cli_reports_unreadable_files_clearly(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"just some text")
    result = CliRunner().invoke(hundi_cli, ["ocr", str(path)])
    assert result.exit_code == 1
    assert "UnsupportedFile" in result.output and "notes.txt" in result.output
    assert CliRunner().invoke(hundi_cli, ["ocr", "--help"]).exit_code == 0
    assert CliRunner().invoke(hundi_cli, ["ocr", str(tmp_path / "missing.pdf")]).exit_code == 2
