"""verify_invoice: an honest invoice earns all six check bits; each tampering clears exactly its own."""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from eth_utils.crypto import keccak

from hundi.gst.gstin import is_valid_gstin
from hundi.gst.irn import buyer_id, financial_year_of, invoice_key
from hundi.gst.registry import SandboxGstRegistry
from hundi.risk import BuyerHistory, SeedRiskModel, SellerHistory
from hundi.verification import (
    ALL_CHECKS,
    IST,
    Check,
    DeclaredInvoice,
    VerificationError,
    VerificationResult,
    ist_date,
    verify_invoice,
)
from tests.fixtures.invoices import InvoiceSpec, make_gstin, make_invoice, render_pdf

REGISTRY = SandboxGstRegistry()
SELLER = REGISTRY.active("seller")[0].gstin
BUYER = REGISTRY.active("buyer")[0].gstin


def _unix(day: date, hour: int = 11) -> int:
    return int(datetime.combine(day, time(hour), IST).timestamp())


def _declared(spec: InvoiceSpec, document: bytes, **changes: object) -> DeclaredInvoice:
    """The MintRequest an honest seller would submit for ``spec``."""
    t = spec.truth
    declared = DeclaredInvoice(
        invoice_key=invoice_key(t.seller_gstin, financial_year_of(t.issue_date), "INV", t.invoice_number),
        # A seller's app hashes the buyer GSTIN as printed, valid or not.
        buyer_id=buyer_id(t.buyer_gstin) if is_valid_gstin(t.buyer_gstin) else keccak(t.buyer_gstin.encode()),
        face_value=int(t.total * 10**6),
        issue_date=_unix(t.issue_date),
        due_date=_unix(t.due_date),
        doc_digest=hashlib.sha256(document).digest(),
    )
    return replace(declared, **changes)  # type: ignore[arg-type]


def _invoice(seed: int = 1, seller: str = SELLER, buyer: str = BUYER) -> tuple[InvoiceSpec, bytes]:
    spec = make_invoice(seed, layout="letterhead", seller_gstin=seller, buyer_gstin=buyer)
    return spec, render_pdf(spec)


def _only_cleared(result: VerificationResult, *bits: Check) -> None:
    expected = ALL_CHECKS
    for bit in bits:
        expected &= ~bit
    assert Check(result.checks) == expected, [str(m) for m in result.mismatches]
    assert not result.approved
    assert {m.check for m in result.mismatches} == set(bits)


def test_honest_invoice_gets_every_check() -> None:
    spec, document = _invoice()
    result = verify_invoice(
        document,
        _declared(spec, document),
        REGISTRY,
        seller_history=SellerHistory(repaid=2),
        buyer_history=BuyerHistory(credit_rating=3),
        risk_model=SeedRiskModel(),
    )
    assert result.checks == 0b111111 == int(ALL_CHECKS)
    assert result.approved and result.mismatches == ()
    assert result.seller is not None and result.seller.gstin == SELLER
    assert result.buyer is not None and result.buyer.gstin == BUYER
    assert result.risk_input.face_value == int(spec.truth.total * 10**6)
    assert result.risk_input.issue_date == spec.truth.issue_date
    assert result.risk_input.seller.repaid == 2 and result.risk_input.buyer.credit_rating == 3
    assert result.risk is not None and result.risk.score == SeedRiskModel().assess(result.risk_input).score


def test_wrong_amount_clears_only_the_fields_check() -> None:
    spec, document = _invoice()
    result = verify_invoice(document, _declared(spec, document, face_value=int(spec.truth.total * 10**6) + 1), REGISTRY)
    _only_cleared(result, Check.FIELDS_MATCH)
    assert "total" in result.mismatches[0].message


def test_wrong_due_date_clears_only_the_fields_check() -> None:
    spec, document = _invoice()
    late = _unix(spec.truth.due_date + timedelta(days=1))
    result = verify_invoice(document, _declared(spec, document, due_date=late), REGISTRY)
    _only_cleared(result, Check.FIELDS_MATCH)
    assert "due date" in result.mismatches[0].message


def test_dates_are_compared_as_ist_calendar_days() -> None:
    spec, document = _invoice()
    # 00:30 IST on the due date is still the previous day in UTC: it must match.
    just_after_midnight = _unix(spec.truth.due_date, hour=0) + 30 * 60
    assert datetime.utcfromtimestamp(just_after_midnight).date() == spec.truth.due_date - timedelta(days=1)
    assert ist_date(just_after_midnight) == spec.truth.due_date
    result = verify_invoice(document, _declared(spec, document, due_date=just_after_midnight), REGISTRY)
    assert result.approved


def test_tampered_bytes_clear_only_the_digest_check() -> None:
    spec, document = _invoice()
    declared = _declared(spec, document)
    tampered = document + b"% appended after the minted digest was computed\n"
    _only_cleared(verify_invoice(tampered, declared, REGISTRY), Check.DIGEST_MATCH)


def test_cancelled_seller_clears_only_the_seller_check() -> None:
    cancelled = next(t for t in REGISTRY.taxpayers() if t.status == "Cancelled")
    spec, document = _invoice(seller=cancelled.gstin)
    result = verify_invoice(document, _declared(spec, document), REGISTRY)
    _only_cleared(result, Check.SELLER_ACTIVE)
    assert "Cancelled" in result.mismatches[0].message


def test_unknown_buyer_clears_only_the_buyer_check() -> None:
    stranger = make_gstin(random.Random(99), "29")
    assert REGISTRY.lookup(stranger) is None
    spec, document = _invoice(buyer=stranger)
    result = verify_invoice(document, _declared(spec, document), REGISTRY)
    _only_cleared(result, Check.BUYER_ACTIVE)
    assert "not registered" in result.mismatches[0].message


def test_invalid_gstin_check_character_clears_checksum_and_registration() -> None:
    bad = BUYER[:14] + ("A" if BUYER[14] != "A" else "B")
    spec, document = _invoice(buyer=bad)
    # The hash of the GSTIN as printed still matches buyerId; the checksum and the registry do not.
    result = verify_invoice(document, _declared(spec, document), REGISTRY)
    _only_cleared(result, Check.GSTIN_VALID, Check.BUYER_ACTIVE)
    assert any(bad in m.message and "check character" in m.message for m in result.mismatches)


def test_irn_mismatch_clears_only_the_irn_check() -> None:
    spec, document = _invoice()
    t = spec.truth
    other = invoice_key(t.seller_gstin, financial_year_of(t.issue_date), "INV", "OTHER-1")
    result = verify_invoice(document, _declared(spec, document, invoice_key=other), REGISTRY)
    _only_cleared(result, Check.IRN_MATCH)
    assert other.hex() in result.mismatches[0].message


def test_wrong_buyer_id_clears_only_the_fields_check() -> None:
    spec, document = _invoice()
    other_buyer = REGISTRY.active("buyer")[1].gstin
    result = verify_invoice(document, _declared(spec, document, buyer_id=buyer_id(other_buyer)), REGISTRY)
    _only_cleared(result, Check.FIELDS_MATCH)
    assert "buyerId" in result.mismatches[0].message


def test_declared_off_chain_fields_must_match_the_document() -> None:
    spec, document = _invoice()
    honest = _declared(spec, document, invoice_number=spec.truth.invoice_number, seller_gstin=SELLER, buyer_gstin=BUYER)
    assert verify_invoice(document, honest, REGISTRY).approved
    result = verify_invoice(document, replace(honest, invoice_number="X-1"), REGISTRY)
    _only_cleared(result, Check.FIELDS_MATCH)


def test_unreadable_document_fails_every_document_check() -> None:
    spec, _ = _invoice()
    junk = b"this is not an invoice"
    result = verify_invoice(junk, _declared(spec, junk), REGISTRY)
    assert Check(result.checks) == Check.DIGEST_MATCH
    assert result.extraction is None
    assert all("could not be read" in m.message for m in result.mismatches)


def test_malformed_declarations_are_refused() -> None:
    spec, document = _invoice()
    with pytest.raises(VerificationError, match="32 bytes"):
        _declared(spec, document, invoice_key=b"short")
    with pytest.raises(VerificationError, match="positive"):
        _declared(spec, document, face_value=0)
