"""An operator's review of a held payment: `BankIntake.release` reports it for the invoice the operator names, once,
and only when that invoice is known, a candidate and repayable; anything else changes nothing."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session

from oracle.bank.errors import PaymentNotFound, ReleaseRefused
from oracle.bank.intake import bank_ref_for, held_payments, payment_counts
from tests.oracle.bank.conftest import DEFAULTED, FUNDED, REPAID, Harness, report_rows

TX = "UTR0000000001"


def held(harness: Harness, number: str = "INV-UNKNOWN") -> None:
    response = harness.pay(invoice_number=number)
    assert (response.status_code, response.json()["outcome"]) == (202, "held")


def test_a_held_payment_released_to_a_funded_invoice_is_reported_once(harness: Harness) -> None:
    harness.directory.add(7, "INV-7", status=FUNDED)
    held(harness)

    result = harness.intake.release(TX, 7, reviewer_note="buyer wrote the PO number")

    assert (result.outcome.value, result.invoice_id) == ("reported", 7)
    (call,) = harness.sink.calls
    assert (call["invoice_id"], call["amount"], call["bank_ref"]) == (7, 1_250_500_000, bank_ref_for(TX))
    assert result.report_id == report_rows(harness.engine)[0]["report_id"]
    with Session(harness.engine) as session:
        assert held_payments(session) == []
        assert payment_counts(session) == {"reported": 1, "held": 0, "recorded": 0}
    # A webhook redelivery afterwards sees the released outcome, and reports nothing more.
    again = harness.pay(invoice_number="INV-UNKNOWN").json()
    assert (again["outcome"], again["duplicate"]) == ("reported", True)
    assert len(harness.sink.calls) == 1


def test_a_late_recovery_can_be_released_to_a_defaulted_invoice(harness: Harness) -> None:
    harness.directory.add(9, "INV-9", status=DEFAULTED)
    held(harness)
    assert harness.intake.release(TX, 9).outcome.value == "reported"


def test_releasing_twice_or_an_unheld_payment_is_refused(harness: Harness) -> None:
    harness.directory.add(7, "INV-7", status=FUNDED)
    held(harness)
    harness.intake.release(TX, 7)
    with pytest.raises(ReleaseRefused, match="not held"):
        harness.intake.release(TX, 7)
    assert len(harness.sink.calls) == 1


def test_an_unknown_transaction_is_not_found(harness: Harness) -> None:
    with pytest.raises(PaymentNotFound):
        harness.intake.release("UTR-NEVER-SEEN", 7)
    assert harness.counts() == (0, 0)


@pytest.mark.parametrize(
    ("invoice_id", "message"), [(8, "not known"), (5, "is Repaid")], ids=["unknown-invoice", "not-repayable"]
)
def test_release_to_an_unknown_or_unpayable_invoice_changes_nothing(
    harness: Harness, invoice_id: int, message: str
) -> None:
    harness.directory.add(5, "INV-5", status=REPAID)
    held(harness)
    with pytest.raises(ReleaseRefused, match=message):
        harness.intake.release(TX, invoice_id)
    assert harness.sink.calls == []
    with Session(harness.engine) as session:
        assert [p.transaction_id for p in held_payments(session)] == [TX]


def test_an_ambiguous_payment_can_go_only_to_one_of_its_candidates(harness: Harness) -> None:
    harness.directory.add(3, "INV-1", status=FUNDED)
    harness.directory.add(11, "INV-1", status=FUNDED)
    harness.directory.add(12, "INV-12", status=FUNDED)
    held(harness, "INV-1")
    with pytest.raises(ReleaseRefused, match="not one of the invoices"):
        harness.intake.release(TX, 12)
    assert harness.intake.release(TX, 11).invoice_id == 11
    assert [c["invoice_id"] for c in harness.sink.calls] == [11]


def test_concurrent_releases_enqueue_one_report(harness: Harness) -> None:
    harness.directory.add(7, "INV-7", status=FUNDED)
    held(harness)
    outcomes: list[str] = []
    gate = threading.Barrier(6)

    def release() -> None:
        gate.wait()
        try:
            harness.intake.release(TX, 7)
            outcomes.append("reported")
        except ReleaseRefused:
            outcomes.append("refused")

    threads = [threading.Thread(target=release) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 5 + ["reported"]
    assert len(harness.sink.calls) == 1
    assert len(report_rows(harness.engine)) == 1
