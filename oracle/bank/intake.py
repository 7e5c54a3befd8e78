"""Bank intake: from a signed webhook to at most one Repayment report per bank transaction.

The order of checks is deliberate:
1. size cap, then the HMAC over the raw bytes (nothing unauthenticated is parsed);
2. strict parsing of the body (`oracle.bank.schema`);
3. deduplication on transactionId by the database's unique constraint: the payment row is inserted *first* in its
   transaction, so concurrent deliveries (threads, processes, replicas) serialise on it and exactly one proceeds;
4. the invoice match through `InvoiceDirectory`: exactly one repayable invoice -> `RepaymentSink` enqueues the
   report in the same transaction; zero, several or not repayable -> the payment is held for review.
A redelivery gets the first delivery's outcome; the same transactionId with other content is a conflict.

An amount above the invoice's outstanding balance is still reported: RepaymentDistributor forwards any excess over
faceValue to the seller (CONTRACTS.md), so the money is accounted for and nothing has to be guessed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eth_utils import keccak
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, func, select

from oracle.bank.errors import BodyTooLarge, IntakeUnavailable, PaymentConflict, PaymentNotFound, ReleaseRefused
from oracle.bank.models import BankPayment, BankPaymentPublic, HoldReason, PaymentOutcome
from oracle.bank.schema import PaymentNotice, parse_notice
from oracle.bank.signature import DEFAULT_TOLERANCE, verify_header

log = logging.getLogger("hundi.oracle.bank")

#: IInvoiceToken.Status values a repayment can be reported for: Funded (5) and Defaulted (7, late recoveries).
REPAYABLE_STATUSES = frozenset({5, 7})
_STATUS_NAMES = ("None", "Minted", "Verified", "Rejected", "Listed", "Funded", "Repaid", "Defaulted", "Cancelled")
#: A payment notice is a few hundred bytes; the cap bounds the work an unauthenticated request can cause.
MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class KnownInvoice:
    """An invoice as the oracle last saw it on chain.

    Attributes:
        status: the IInvoiceToken.Status number.
        outstanding: stablecoin base units still owed.
    """

    invoice_id: int
    invoice_number: str
    seller_gstin: str
    status: int
    outstanding: int


class InvoiceDirectory(Protocol):
    """Finds invoices by the number printed on them (implemented by the oracle runtime)."""

    def find_by_number(self, session: Session, invoice_number: str) -> Sequence[KnownInvoice]:
        """Every known invoice carrying `invoice_number` (exact match), in any status."""
        ...

    def find_by_id(self, session: Session, invoice_id: int) -> KnownInvoice | None:
        """The known invoice `invoice_id`, or None."""
        ...


class RepaymentSink(Protocol):
    """Turns a matched bank payment into a Repayment report (implemented by the oracle's outbox)."""

    def enqueue_repayment(
        self, session: Session, *, invoice_id: int, amount: int, bank_ref: bytes, paid_at: int, transaction_id: str
    ) -> str:
        """Add a Repayment report to the durable outbox in `session` (not committing) and return its 0x-hex id."""
        ...


def bank_ref_for(transaction_id: str) -> bytes:
    """The report's bytes32 bankRef: keccak256 of the UTF-8 transactionId (OracleHub counts a bankRef once)."""
    return keccak(text=transaction_id)


def status_name(status: int) -> str:
    """The Solidity name of an IInvoiceToken.Status number."""
    return _STATUS_NAMES[status] if 0 <= status < len(_STATUS_NAMES) else f"status {status}"


@dataclass(frozen=True)
class IntakeResult:
    """The outcome of one delivery.

    Attributes:
        duplicate: this delivery repeated an earlier one; its outcome is the earlier one's and nothing new happened.
    """

    transaction_id: str
    outcome: PaymentOutcome
    duplicate: bool
    bank_ref: bytes
    invoice_id: int | None = None
    report_id: str | None = None
    hold_reason: HoldReason | None = None
    hold_detail: str | None = None

    @property
    def http_status(self) -> int:
        """202 for a newly held payment (accepted, pending review); 200 for everything else, redeliveries included."""
        return 202 if self.outcome is PaymentOutcome.HELD and not self.duplicate else 200

    def as_json(self) -> dict[str, Any]:
        """The webhook's response body."""
        return {
            "transactionId": self.transaction_id,
            "outcome": self.outcome.value,
            "duplicate": self.duplicate,
            "bankRef": "0x" + self.bank_ref.hex(),
            "invoiceId": self.invoice_id,
            "reportId": self.report_id,
            "holdReason": self.hold_reason.value if self.hold_reason else None,
            "holdDetail": self.hold_detail,
        }

    @classmethod
    def from_row(cls, row: BankPayment, *, duplicate: bool) -> IntakeResult:
        """The result a stored payment stands for."""
        return cls(
            transaction_id=row.transaction_id,
            outcome=PaymentOutcome(row.outcome),
            duplicate=duplicate,
            bank_ref=bytes.fromhex(row.bank_ref.removeprefix("0x")),
            invoice_id=row.invoice_id,
            report_id=row.report_id,
            hold_reason=HoldReason(row.hold_reason) if row.hold_reason else None,
            hold_detail=row.hold_detail,
        )


class BankIntake:
    """Verifies, deduplicates and routes bank payment webhooks. Thread-safe: all state is in the database."""

    def __init__(
        self,
        engine: Engine,
        directory: InvoiceDirectory,
        sink: RepaymentSink,
        secrets: Sequence[bytes],
        *,
        tolerance: int = DEFAULT_TOLERANCE,
        clock: Callable[[], float] = time.time,
        decimals: int = 6,
    ) -> None:
        if not secrets or any(not secret for secret in secrets):
            raise ValueError("BankIntake needs at least one non-empty webhook secret (HUNDI_BANK_WEBHOOK_SECRET)")
        if tolerance <= 0:
            raise ValueError(f"tolerance must be positive seconds, got {tolerance}")
        if not 0 <= decimals <= 36:
            raise ValueError(f"decimals must be 0..36, got {decimals}")
        self.engine = engine
        self.directory = directory
        self.sink = sink
        self._secrets = tuple(secrets)
        self.tolerance = tolerance
        self.clock = clock
        self.decimals = decimals
        self.max_body = MAX_BODY_BYTES

    def receive(self, raw_body: bytes, signature_header: str | None) -> IntakeResult:
        """Handle one webhook delivery.

        Raises:
            BankRequestError: the request is refused (signature, size, body, conflict, database unavailable);
                nothing was recorded.
        """
        if len(raw_body) > self.max_body:
            raise BodyTooLarge(f"the body is {len(raw_body)} bytes; the limit is {self.max_body}")
        now = self.clock()
        verify_header(self._secrets, raw_body, signature_header, now=now, tolerance=self.tolerance)
        notice = parse_notice(raw_body, now=now, tolerance=self.tolerance, decimals=self.decimals)
        try:
            return self._record(notice, now)
        except OperationalError as exc:
            log.error("bank payment %s not recorded: database unavailable: %s", notice.transaction_id, exc.orig)
            raise IntakeUnavailable("the oracle's database is unavailable; nothing was recorded, retry later") from exc

    def release(self, transaction_id: str, invoice_id: int, *, reviewer_note: str = "") -> IntakeResult:
        """An operator's decision on a held payment: report it as a repayment of `invoice_id`.

        The invoice must be known and repayable now, and for an ambiguous hold one of the candidates. The payment
        moves from held to reported with a conditional update, so two concurrent releases enqueue one report.
        Every operator node that should co-sign must release the payment the same way (each signs only reports it
        computed itself).

        Raises:
            PaymentNotFound: no such transactionId.
            ReleaseRefused: the payment is not held, or the invoice is unknown, not a candidate or not repayable.
        """
        try:
            with Session(self.engine) as session:
                row = session.exec(select(BankPayment).where(BankPayment.transaction_id == transaction_id)).first()
                if row is None:
                    raise PaymentNotFound(f"no payment with transactionId {transaction_id!r} was received")
                if row.outcome != PaymentOutcome.HELD.value:
                    raise ReleaseRefused(
                        f"payment {transaction_id!r} is {row.outcome}, not held; only held payments can be released",
                        detail={"outcome": row.outcome, "reportId": row.report_id},
                    )
                candidates = {int(c) for c in (row.candidates or "").split(",") if c.isdigit()}
                if candidates and invoice_id not in candidates:
                    raise ReleaseRefused(
                        f"invoice {invoice_id} is not one of the invoices numbered {row.invoice_number!r}",
                        detail={"candidates": sorted(candidates)},
                    )
                invoice = self.directory.find_by_id(session, invoice_id)
                if invoice is None:
                    raise ReleaseRefused(f"invoice {invoice_id} is not known to this oracle")
                if invoice.status not in REPAYABLE_STATUSES:
                    raise ReleaseRefused(
                        f"invoice {invoice_id} is {status_name(invoice.status)}; repayments are reported only for "
                        "Funded or Defaulted invoices"
                    )
                note = f"released by an operator to invoice {invoice_id}" + (
                    f": {reviewer_note}" if reviewer_note else ""
                )
                claimed = session.execute(
                    update(BankPayment)
                    .where(col(BankPayment.id) == row.id, col(BankPayment.outcome) == PaymentOutcome.HELD.value)
                    .values(outcome=PaymentOutcome.REPORTED.value, invoice_id=invoice_id, hold_detail=note[:500])
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    raise ReleaseRefused(f"payment {transaction_id!r} was released concurrently")
                report_id = self.sink.enqueue_repayment(
                    session,
                    invoice_id=invoice_id,
                    amount=int(row.amount_units),
                    bank_ref=bank_ref_for(transaction_id),
                    paid_at=row.paid_at,
                    transaction_id=transaction_id,
                )
                session.execute(update(BankPayment).where(col(BankPayment.id) == row.id).values(report_id=report_id))
                session.commit()
        except IntegrityError as exc:
            raise ReleaseRefused(f"payment {transaction_id!r} was released concurrently") from exc
        except OperationalError as exc:
            raise IntakeUnavailable("the oracle's database is unavailable; nothing was changed, retry later") from exc
        log.info("held bank payment %s released to invoice %s: report %s", transaction_id, invoice_id, report_id)
        released = self._find(transaction_id)
        assert released is not None  # noqa: S101 (just committed)
        return IntakeResult.from_row(released, duplicate=False)

    def _record(self, notice: PaymentNotice, now: float) -> IntakeResult:
        earlier = self._find(notice.transaction_id)
        if earlier is not None:
            return self._replay(earlier, notice)
        try:
            with Session(self.engine) as session:
                row = self._new_row(notice, now)
                # Insert first: the unique constraint decides the race before anything else is done, and on
                # SQLite the write lock is taken here (waiting on busy_timeout) rather than upgraded from a read.
                session.add(row)
                session.flush()
                self._route(session, row, notice)
                result = IntakeResult.from_row(row, duplicate=False)
                session.commit()
        except IntegrityError:
            # Another delivery of this transactionId committed first (or the sink refused a duplicate report).
            earlier = self._find(notice.transaction_id)
            if earlier is None:
                raise
            return self._replay(earlier, notice)
        log.info(
            "bank payment %s for invoice number %r (%s rupees): %s%s",
            notice.transaction_id,
            notice.invoice_number,
            notice.amount,
            result.outcome.value,
            f" ({result.hold_reason.value})" if result.hold_reason else "",
        )
        return result

    def _new_row(self, notice: PaymentNotice, now: float) -> BankPayment:
        return BankPayment(
            transaction_id=notice.transaction_id,
            invoice_number=notice.invoice_number,
            amount=notice.amount,
            amount_units=str(notice.amount_units),
            status=notice.status,
            paid_at=notice.paid_at,
            bank_ref="0x" + bank_ref_for(notice.transaction_id).hex(),
            outcome=PaymentOutcome.RECORDED.value,
            received_at=int(now),
        )

    def _route(self, session: Session, row: BankPayment, notice: PaymentNotice) -> None:
        """Set the row's outcome: record, hold, or report through the sink (inside the caller's transaction)."""
        if not notice.is_success:
            row.outcome = PaymentOutcome.RECORDED.value
            return
        matches = list(self.directory.find_by_number(session, notice.invoice_number))
        if not matches:
            self._hold(
                row,
                HoldReason.UNKNOWN_INVOICE,
                f"no invoice known to the oracle has the number {notice.invoice_number!r}",
            )
            return
        if len(matches) > 1:
            ids = sorted(invoice.invoice_id for invoice in matches)
            self._hold(
                row,
                HoldReason.AMBIGUOUS_INVOICE,
                f"{len(ids)} invoices have the number {notice.invoice_number!r}: {_id_list(ids, 200)}",
            )
            row.candidates = _id_list(ids, 500)
            return
        invoice = matches[0]
        row.invoice_id = invoice.invoice_id
        if invoice.status not in REPAYABLE_STATUSES:
            self._hold(
                row,
                HoldReason.NOT_REPAYABLE,
                f"invoice {invoice.invoice_id} is {status_name(invoice.status)}; "
                "repayments are reported only for Funded or Defaulted invoices",
            )
            return
        row.report_id = self.sink.enqueue_repayment(
            session,
            invoice_id=invoice.invoice_id,
            amount=notice.amount_units,
            bank_ref=bank_ref_for(notice.transaction_id),
            paid_at=notice.paid_at,
            transaction_id=notice.transaction_id,
        )
        row.outcome = PaymentOutcome.REPORTED.value

    @staticmethod
    def _hold(row: BankPayment, reason: HoldReason, detail: str) -> None:
        row.outcome = PaymentOutcome.HELD.value
        row.hold_reason = reason.value
        row.hold_detail = detail[:500]

    def _find(self, transaction_id: str) -> BankPayment | None:
        with Session(self.engine) as session:
            row = session.exec(select(BankPayment).where(BankPayment.transaction_id == transaction_id)).first()
            if row is not None:
                session.expunge(row)
            return row

    @staticmethod
    def _replay(earlier: BankPayment, notice: PaymentNotice) -> IntakeResult:
        """The earlier outcome if `notice` says the same thing; a conflict otherwise."""
        stored = {
            "invoiceNumber": earlier.invoice_number,
            "amount": earlier.amount_units,
            "status": earlier.status,
            "paidAt": earlier.paid_at,
        }
        received = {
            "invoiceNumber": notice.invoice_number,
            "amount": str(notice.amount_units),
            "status": notice.status,
            "paidAt": notice.paid_at,
        }
        differing = sorted(name for name in stored if stored[name] != received[name])
        if differing:
            log.warning(
                "bank payment %s redelivered with different %s; kept the first delivery",
                notice.transaction_id,
                ", ".join(differing),
            )
            raise PaymentConflict(
                f"transactionId {notice.transaction_id!r} was already received with a different "
                f"{', '.join(differing)}; the first delivery stands (use a new transactionId for a new payment)",
                detail={"transactionId": notice.transaction_id, "fields": differing, "outcome": earlier.outcome},
            )
        return IntakeResult.from_row(earlier, duplicate=True)


def _id_list(ids: Sequence[int], limit: int) -> str:
    text = ",".join(str(i) for i in ids)
    return text if len(text) <= limit else text[: text.rfind(",", 0, limit - 3)] + ",..."


def held_payments(session: Session, *, limit: int = 100) -> list[BankPaymentPublic]:
    """Payments waiting for an operator's review, oldest first (the oracle status endpoint lists them)."""
    rows = session.exec(
        select(BankPayment)
        .where(BankPayment.outcome == PaymentOutcome.HELD.value)
        .order_by(col(BankPayment.id))
        .limit(limit)
    ).all()
    return [BankPaymentPublic.model_validate(row, from_attributes=True) for row in rows]


def payment_counts(session: Session) -> dict[str, int]:
    """The number of payments per outcome, every outcome present (zero included)."""
    counts = {outcome.value: 0 for outcome in PaymentOutcome}
    query = select(BankPayment.outcome, func.count()).group_by(BankPayment.outcome)
    for outcome, count in session.exec(query).all():
        counts[outcome] = int(count)
    return counts
