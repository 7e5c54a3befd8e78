"""Invoice field extraction: exact on text-layer PDFs of every layout and font, right on a few scans.

Accuracy over many scans is measured by tests/bench/bench_ocr.py; the scans here are a small fixed set that
keeps the default suite fast while proving the OCR path end to end (sandbox, preprocessing, Tesseract).
"""

from __future__ import annotations

import io
import time
from decimal import Decimal

import pytest
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from hundi.ocr import extract_document
from hundi.ocr.fields import FIELD_NAMES
from hundi.ocr.pipeline import read_document
from tests.fixtures.invoices import (
    FONT_FAMILIES,
    LAYOUTS,
    InvoiceTruth,
    Kind,
    Layout,
    make_gstin,
    make_invoice,
    render,
    render_pdf,
)

GOAL_FIELDS = ("invoice_number", "issue_date", "due_date", "seller_gstin", "buyer_gstin", "total")


def _assert_fields(result_fields: object, truth: InvoiceTruth, names: tuple[str, ...]) -> None:
    expected = truth.as_dict()
    got = {name: (f.value if (f := getattr(result_fields, name)) is not None else None) for name in names}
    assert got == {name: expected[name] for name in names}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("font", FONT_FAMILIES)
def test_text_layer_pdf_is_read_exactly(layout: Layout, font: str) -> None:
    seed = 100 * LAYOUTS.index(layout) + FONT_FAMILIES.index(font)
    spec = make_invoice(seed, layout=layout, font=font)
    result = read_document(render_pdf(spec))
    assert result.method == "text-layer"
    _assert_fields(result.fields, spec.truth, FIELD_NAMES)
    for name in FIELD_NAMES:
        field = getattr(result.fields, name)
        if field is not None:
            assert field.confidence >= 0.95, name
            assert field.source, name
    assert result.warnings == []


def test_text_layer_values_are_normalised() -> None:
    spec = make_invoice(42, layout="compact", font="DejaVuSans")
    fields = read_document(render_pdf(spec)).fields
    assert fields.total is not None and fields.total.value == spec.truth.total
    assert fields.total.value.as_tuple().exponent == -2  # rupees with paise
    assert "\u20b9" in fields.total.source or "Rs" in fields.total.source or "INR" in fields.total.source
    assert fields.issue_date is not None and fields.issue_date.value == spec.truth.issue_date
    assert fields.seller_gstin is not None and fields.seller_gstin.value.isupper()
    assert fields.currency is not None and fields.currency.value == "INR"


def test_irn_is_read_and_confirmed_when_printed() -> None:
    spec = make_invoice(7, layout="compact", print_irn=True)
    fields = read_document(render_pdf(spec)).fields
    assert fields.irn is not None and fields.irn.value == spec.truth.irn and fields.irn.confidence == 1.0
    unprinted = make_invoice(7, layout="compact", print_irn=False)
    assert read_document(render_pdf(unprinted)).fields.irn is None


def test_a_wrong_check_character_on_a_text_layer_is_kept_and_flagged() -> None:
    import random

    buyer = make_gstin(random.Random(3), "29")
    wrong = buyer[:14] + ("A" if buyer[14] != "A" else "B")
    spec = make_invoice(11, layout="letterhead", buyer_gstin=wrong)
    result = read_document(render_pdf(spec))
    assert result.fields.buyer_gstin is not None
    assert result.fields.buyer_gstin.value == wrong
    assert result.fields.buyer_gstin.confidence < 0.5
    assert any("check character" in w for w in result.warnings)


def _pdf(lines: list[str]) -> bytes:
    buf = io.BytesIO()
    canvas = Canvas(buf, invariant=1)
    for i, line in enumerate(lines):
        canvas.drawString(50, 800 - 16 * i, line)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def test_amounts_that_do_not_add_up_are_flagged_with_low_confidence() -> None:
    result = read_document(
        _pdf(
            [
                "Invoice No: A-1001",
                "Invoice Date: 01/04/2025",
                "Due Date: 01/05/2025",
                "Taxable Value: 1,00,000.00",
                "Total Tax: 18,000.00",
                "Grand Total: 1,19,000.00",
            ]
        )
    )
    fields = result.fields
    assert fields.total is not None and fields.total.value == Decimal("119000.00")
    assert fields.total.confidence <= 0.5
    assert any("!= total" in w for w in result.warnings)


def test_missing_tax_is_derived_from_total_and_taxable_value() -> None:
    fields = read_document(
        _pdf(
            [
                "Invoice No: A-1002",
                "Dated: 5 Apr 2025",
                "Payment due: 5 May 2025",
                "Sub Total: Rs. 2,500.00",
                "Invoice Total: Rs. 2,950.00",
            ]
        )
    ).fields
    assert fields.tax is not None and fields.tax.value == Decimal("450.00")
    assert fields.tax.confidence < 0.9
    assert fields.invoice_number is not None and fields.invoice_number.value == "A-1002"
    assert fields.due_date is not None and str(fields.due_date.value) == "2025-05-05"


# (kind, seed, layout): scans from the benchmark corpus, one per layout and kind of file.
SCANS: list[tuple[Kind, int, Layout]] = [
    ("scan-png", 202520000, "letterhead"),
    ("scan-jpeg", 202530001, "table"),
    ("scan-pdf", 202510005, "compact"),
    ("scan-png", 202520004, "table"),
]


@pytest.mark.parametrize(("kind", "seed", "layout"), SCANS)
def test_degraded_scan_is_read_through_the_sandbox(kind: Kind, seed: int, layout: Layout) -> None:
    spec = make_invoice(seed, layout=layout)
    data = render(spec, kind)
    started = time.monotonic()
    result = extract_document(data)
    assert time.monotonic() - started < 30
    assert result.method == "ocr"
    _assert_fields(result.fields, spec.truth, GOAL_FIELDS)
    for name in GOAL_FIELDS:
        field = getattr(result.fields, name)
        assert 0.0 < field.confidence <= 1.0
