"""End to end on a private anvil with the real deployment and real OCR: a minted fixture invoice becomes Verified
with every check bit and the seed risk score; a declared amount that differs from the document ends Rejected with
the OCR-fields bit clear."""

from __future__ import annotations

from collections.abc import Callable

from hundi.chain.deployment import Deployment
from hundi.documents import DocumentVault
from hundi.risk import SeedRiskModel
from hundi.verification import ALL_CHECKS, Check
from tests.backend.localchain import Driver
from tests.oracle.support import STATUS, events, mint_fixture, reports, status_of, wait_for


def test_minted_invoice_becomes_verified_with_all_checks_and_the_seed_risk_score(
    oracle_db: str, deployment: Deployment, driver: Driver, vault: DocumentVault, make_oracle: Callable[..., object]
) -> None:
    minted = mint_fixture(driver, vault, seed=11)
    service = make_oracle(oracle_db, deployment)
    wait_for(lambda: status_of(driver, minted.invoice_id) == STATUS["Verified"], what="invoice Verified")

    invoice = driver.c.token.functions.invoiceOf(minted.invoice_id).call()
    risk, checks = int(invoice[6]), int(invoice[7])
    assert checks == int(ALL_CHECKS)
    # Seed formula with no history: 50, -10 over 5 lakh, -15 over 90 days.
    truth = minted.spec.truth
    expected = 50 - (10 if truth.total > 500_000 else 0) - (15 if (truth.due_date - truth.issue_date).days > 90 else 0)
    assert risk == expected
    verified = events(driver, driver.c.token, "InvoiceVerified", invoiceId=minted.invoice_id)
    assert len(verified) == 1 and verified[0].args.checks == int(ALL_CHECKS)
    accepted = events(driver, driver.c.hub, "ReportAccepted", invoiceId=minted.invoice_id)
    assert len(accepted) == 1
    rows = reports(service.engine)  # type: ignore[attr-defined]
    assert [(r.kind, r.status) for r in rows] == [("verification", "confirmed")]
    assert rows[0].report_id == "0x" + bytes(accepted[0].args.reportId).hex()
    assert SeedRiskModel().name == "seed-v1"


def test_declared_amount_differing_from_the_document_ends_rejected_with_the_ocr_bit_clear(
    oracle_db: str, deployment: Deployment, driver: Driver, vault: DocumentVault, make_oracle: Callable[..., object]
) -> None:
    honest = mint_fixture(driver, vault, seed=12)
    inflated = mint_fixture(driver, vault, seed=13, face_value=int(honest.face_value * 2) + 1)
    make_oracle(oracle_db, deployment)
    wait_for(
        lambda: (
            status_of(driver, inflated.invoice_id) == STATUS["Rejected"]
            and status_of(driver, honest.invoice_id) == STATUS["Verified"]
        ),
        what="one Rejected, one Verified",
    )
    rejected = events(driver, driver.c.token, "InvoiceRejected", invoiceId=inflated.invoice_id)
    assert len(rejected) == 1
    checks = int(rejected[0].args.checks)
    assert not checks & Check.FIELDS_MATCH
    assert checks == int(ALL_CHECKS & ~Check.FIELDS_MATCH)  # only the amount is wrong: every other bit holds
