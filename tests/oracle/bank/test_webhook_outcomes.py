"""What the intake does with valid, signed deliveries: report, hold, record, deduplicate, refuse conflicts, and keep
the payment row and its report in one transaction. Every test runs on SQLite and on Postgres."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from sqlmodel import Session

from oracle.bank.intake import bank_ref_for, held_payments, payment_counts
from oracle.bank.models import HoldReason, PaymentOutcome
from oracle.db.session import make_engine
from tests.oracle.bank.conftest import DEFAULTED, FUNDED, LISTED, NOW, OLD_SECRET, REPAID, Harness, report_rows


def test_payment_for_one_funded_invoice_is_reported_once_with_exact_base_units(harness: Harness) -> None:
    harness.directory.add(7, "INV-2025-0042", status=FUNDED)

    response = harness.pay(amount="1250.50", paid_at="2025-06-15T19:30:00+05:30")

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["outcome"] == "reported"
    assert answer["duplicate"] is False
    assert answer["invoiceId"] == 7
    assert answer["bankRef"] == "0x" + bank_ref_for("UTR0000000001").hex()
    assert harness.sink.calls == [
        {
            "invoice_id": 7,
            "amount": 1_250_500_000,  # 1250.50 rupees at 6 decimals
            "bank_ref": bank_ref_for("UTR0000000001"),
            "paid_at": 1_749_996_000,  # 2025-06-15T14:00:00Z
            "transaction_id": "UTR0000000001",
        }
    ]
    reports = report_rows(harness.engine)
    assert [r["report_id"] for r in reports] == [answer["reportId"]]
    assert harness.counts() == (1, 1)


def test_payment_for_a_defaulted_invoice_is_reported_as_a_late_recovery(harness: Harness) -> None:
    harness.directory.add(9, "INV-9", status=DEFAULTED)

    response = harness.pay(invoice_number="INV-9", amount=500)

    assert response.status_code == 200
    assert response.json()["outcome"] == "reported"
    assert harness.sink.calls[0]["amount"] == 500 * 10**6


def test_bank_ref_is_keccak_of_the_utf8_transaction_id() -> None:
    assert bank_ref_for("UTR1") == keccak(b"UTR1")
    assert len(bank_ref_for("UTR1")) == 32
    assert bank_ref_for("ऋण-1") == keccak("ऋण-1".encode())


def test_unknown_invoice_number_is_held_and_listed_for_review(harness: Harness) -> None:
    harness.directory.add(7, "INV-2025-0042")

    response = harness.pay(invoice_number="INV-2025-0043")

    assert response.status_code == 202
    answer = response.json()
    assert (answer["outcome"], answer["holdReason"], answer["reportId"]) == ("held", "unknown_invoice", None)
    assert harness.sink.calls == []
    with Session(harness.engine) as session:
        held = held_payments(session)
        counts = payment_counts(session)
    assert [(p.transaction_id, p.invoice_number, p.hold_reason) for p in held] == [
        ("UTR0000000001", "INV-2025-0043", HoldReason.UNKNOWN_INVOICE.value)
    ]
    assert held[0].amount == "1250.50"
    assert held[0].amount_units == "1250500000"
    assert counts == {"reported": 0, "held": 1, "recorded": 0}
    assert harness.counts() == (1, 0)


def test_two_invoices_with_one_number_are_ambiguous_and_held_with_both_candidates(harness: Harness) -> None:
    harness.directory.add(3, "INV-1")
    harness.directory.add(11, "INV-1")

    response = harness.pay(invoice_number="INV-1")

    assert response.status_code == 202
    assert response.json()["holdReason"] == "ambiguous_invoice"
    assert harness.sink.calls == []
    with Session(harness.engine) as session:
        (held,) = held_payments(session)
    assert held.candidates == "3,11"
    assert held.invoice_id is None
    assert "2 invoices" in (held.hold_detail or "")


@pytest.mark.parametrize("status", [LISTED, REPAID])
def test_invoice_that_is_not_funded_or_defaulted_is_held_not_reported(harness: Harness, status: int) -> None:
    harness.directory.add(5, "INV-5", status=status)

    response = harness.pay(invoice_number="INV-5")

    assert response.status_code == 202
    assert response.json()["holdReason"] == "invoice_not_repayable"
    assert response.json()["invoiceId"] == 5
    assert harness.sink.calls == []
    assert harness.counts() == (1, 0)


@pytest.mark.parametrize("bank_status", ["pending", "failed", "reversed"])
def test_non_success_status_is_recorded_and_never_reported(harness: Harness, bank_status: str) -> None:
    harness.directory.add(7, "INV-2025-0042")

    response = harness.pay(status=bank_status)

    assert response.status_code == 200
    assert response.json()["outcome"] == "recorded"
    assert harness.sink.calls == []
    assert harness.directory.calls == []
    with Session(harness.engine) as session:
        assert payment_counts(session) == {"reported": 0, "held": 0, "recorded": 1}
        assert held_payments(session) == []


def test_redelivery_returns_the_original_outcome_and_reports_once(harness: Harness) -> None:
    harness.directory.add(7, "INV-2025-0042")
    body = harness.bank.body()

    first = harness.post(body)
    # A retry is re-signed with a later timestamp, and may even be re-serialised: it is the same payment.
    again = harness.post(body, harness.bank.headers(body, timestamp=NOW + 60))
    reordered = (
        b'{"paidAt": 1749996400, "status": "success", "amount": 1250.5, '
        b'"invoiceNumber": "INV-2025-0042", "transactionId": "UTR0000000001"}'
    )
    third = harness.post(reordered)

    assert first.status_code == again.status_code == third.status_code == 200
    assert first.json()["duplicate"] is False
    for later in (again, third):
        assert later.json() == {**first.json(), "duplicate": True}
    assert len(harness.sink.calls) == 1
    assert harness.counts() == (1, 1)


def test_redelivery_of_a_held_payment_stays_held_without_a_second_lookup(harness: Harness) -> None:
    first = harness.pay(invoice_number="NOPE-1")
    harness.directory.add(7, "NOPE-1")  # learning the invoice later does not silently re-route a held payment
    again = harness.pay(invoice_number="NOPE-1")

    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["outcome"] == "held"
    assert again.json()["duplicate"] is True
    assert harness.directory.calls == ["NOPE-1"]
    assert harness.sink.calls == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "1250.51"}, "amount"),
        ({"invoice_number": "INV-2025-0043"}, "invoiceNumber"),
        ({"status": "reversed"}, "status"),
        ({"paid_at": NOW - 3599}, "paidAt"),
    ],
)
def test_same_transaction_id_with_other_content_is_a_conflict(
    harness: Harness, change: dict[str, object], field: str
) -> None:
    harness.directory.add(7, "INV-2025-0042")
    assert harness.pay().status_code == 200

    response = harness.pay(**change)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "payment_conflict"
    assert error["detail"]["fields"] == [field]
    assert len(harness.sink.calls) == 1
    assert harness.counts() == (1, 1)


def test_secret_being_rotated_out_is_still_accepted(harness: Harness) -> None:
    harness.directory.add(7, "INV-2025-0042")
    body = harness.bank.body()

    response = harness.post(body, harness.bank.headers(body, secret=OLD_SECRET))

    assert response.status_code == 200
    assert response.json()["outcome"] == PaymentOutcome.REPORTED.value


def test_sink_failure_rolls_back_the_payment_row_so_a_retry_reports_it(harness: Harness) -> None:
    harness.directory.add(7, "INV-2025-0042")
    harness.sink.fail_with = RuntimeError("outbox unavailable")

    failed = harness.pay()

    assert failed.status_code == 500
    assert failed.json()["error"]["code"] == "internal_error"
    assert harness.counts() == (0, 0)  # neither the payment nor the half-written report survived

    harness.sink.fail_with = None
    retried = harness.pay()
    assert retried.status_code == 200
    assert retried.json()["outcome"] == "reported"
    assert retried.json()["duplicate"] is False
    assert harness.counts() == (1, 1)


def test_held_payments_lists_only_held_ones_oldest_first(harness: Harness) -> None:
    harness.directory.add(7, "INV-2025-0042")
    harness.pay(transaction_id="T-1", invoice_number="X-1")
    harness.pay(transaction_id="T-2")
    harness.pay(transaction_id="T-3", invoice_number="X-3")
    harness.pay(transaction_id="T-4", status="failed")

    with Session(harness.engine) as session:
        held = held_payments(session)
        counts = payment_counts(session)

    assert [p.transaction_id for p in held] == ["T-1", "T-3"]
    assert counts == {"reported": 1, "held": 2, "recorded": 1}


def test_unreachable_database_answers_503_so_the_bank_retries() -> None:
    # Nothing listens on port 1: every connection attempt fails at once.
    down = make_engine("postgresql://postgres@127.0.0.1:1/test", connect_args={"connect_timeout": 2})
    try:
        harness = Harness(down)
        harness.directory.add(7, "INV-2025-0042")

        response = harness.pay()
    finally:
        down.dispose()

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "intake_unavailable"
    assert harness.sink.calls == []
