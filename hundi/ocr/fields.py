"""Result types of invoice extraction: each field carries its value, a confidence and the text it came from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T", str, date, Decimal)

Method = Literal["text-layer", "ocr", "mixed"]

FIELD_NAMES: tuple[str, ...] = (
    "invoice_number",
    "issue_date",
    "due_date",
    "seller_gstin",
    "buyer_gstin",
    "taxable_value",
    "tax",
    "total",
    "currency",
    "irn",
)


class ExtractedField(BaseModel, Generic[T]):
    """One extracted value.

    ``confidence`` is 0..1: about 1 for a validated text-layer read; for OCR it starts from Tesseract's word
    confidences and moves with validation (GSTIN check characters, the IRN hash, taxable + tax == total).
    ``source`` is the snippet of document text the value was read from.
    """

    model_config = ConfigDict(frozen=True)

    value: T
    confidence: float = Field(ge=0.0, le=1.0)
    source: str


class InvoiceFields(BaseModel):
    """The invoice fields ``hundi.ocr`` extracts. A field the document does not show is ``None``.

    Dates are ISO dates, amounts are rupees as ``Decimal`` with two places (paise), GSTINs are upper case and the
    IRN is 64 lower-case hex digits.
    """

    model_config = ConfigDict(frozen=True)

    invoice_number: ExtractedField[str] | None = None
    issue_date: ExtractedField[date] | None = None
    due_date: ExtractedField[date] | None = None
    seller_gstin: ExtractedField[str] | None = None
    buyer_gstin: ExtractedField[str] | None = None
    taxable_value: ExtractedField[Decimal] | None = None
    tax: ExtractedField[Decimal] | None = None
    total: ExtractedField[Decimal] | None = None
    currency: ExtractedField[str] | None = None
    irn: ExtractedField[str] | None = None


class ExtractionResult(BaseModel):
    """What reading one document produced."""

    model_config = ConfigDict(frozen=True)

    fields: InvoiceFields
    method: Method
    pages: int
    warnings: list[str] = Field(default_factory=list)
    seconds: float = 0.0  # wall-clock time of the reading itself
    cpu_seconds: float = 0.0  # CPU time of the reading, Tesseract included
