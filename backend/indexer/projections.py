"""Projections: what each contract event does to the read model.

Each handler is a small pure function of (event, store), declared against the contract event it handles::

    @handles("FundingEscrow", "Invested")
    def invested(ev: DecodedEvent, db: ProjectionStore) -> None: ...

Handlers never see reorgs, retries or cursors: the sync layer (sync.py) feeds them events in chain order, once
each, inside the batch's transaction. Because projections are a function of the raw events, the sync layer can
also delete and rebuild any part of them from ``chain_event`` (after a reorg), through :func:`rebuild`.

Invariant that makes partial rebuilds correct: an event only writes rows of the invoices it names
(:func:`touches`, ``invoice_id``/``ids``) or, for the account-keyed events (KycUpdated, AutoPayoutSet), the
account it names.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select
from sqlmodel import Session, SQLModel

from backend.db.models import (
    AutoPayoutBase,
    ChainEvent,
    ClaimBase,
    InvestmentBase,
    InvoiceBase,
    InvoiceStatus,
    KycBase,
    ListingBase,
    ListingState,
    OracleReportBase,
    PositionBase,
    RepaymentBase,
    ReportKind,
)
from backend.indexer.decode import DecodedEvent
from backend.indexer.store import ENTITIES, RECORDS, ProjectionStore, table_of

__all__ = ["ProjectionStore", "Scope", "apply", "event_from_row", "handled_events", "handles", "rebuild", "touches"]

log = logging.getLogger(__name__)

Handler = Callable[[DecodedEvent, ProjectionStore], None]
_HANDLERS: dict[tuple[str, str], list[Handler]] = defaultdict(list)
_ZERO_ADDRESS = "0x" + "00" * 20
_ZERO_WORD = "0x" + "00" * 32
_SHARE_MOVES = {("InvoiceShares", "TransferSingle"), ("InvoiceShares", "TransferBatch")}
# Events that change the position of the account they name (decode.py: the investor).
_POSITION_EVENTS = {("FundingEscrow", "Invested"), ("FundingEscrow", "Refunded"), ("RepaymentDistributor", "Claimed")}
#: Projections keyed by an account rather than an invoice, with the one event that writes each.
ACCOUNT_ENTITIES: dict[type[SQLModel], tuple[str, str]] = {
    KycBase: ("KycRegistry", "KycUpdated"),
    AutoPayoutBase: ("RepaymentDistributor", "AutoPayoutSet"),
}
_ACCOUNT_EVENTS = {name: model for model, name in ACCOUNT_ENTITIES.items()}


def handles(contract: str, event: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as a handler of `contract`'s `event` (names as in the deployment ABI)."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[(contract, event)].append(handler)
        return handler

    return register


def handled_events() -> list[tuple[str, str]]:
    """The (contract, event) pairs that have handlers."""
    return sorted(_HANDLERS)


def apply(store: ProjectionStore, events: Sequence[DecodedEvent]) -> None:
    """Run the handlers of `events` (in chain order) against `store`; prefetches what they touch first."""
    store.prefetch(_wanted(events))
    for ev in events:
        for handler in _HANDLERS.get((ev.contract, ev.event), ()):
            handler(ev, store)


# ------------------------------------------------------------------------------------------------ what events touch


def _ids(ev: DecodedEvent) -> list[int]:
    if ev.event == "TransferBatch" and ev.contract == "InvoiceShares":
        return [int(i) for i in ev.args["ids"]]
    return [] if ev.invoice_id is None else [ev.invoice_id]


def touches(ev: DecodedEvent) -> Iterator[tuple[type[SQLModel], tuple[Any, ...]]]:
    """The entity rows (model, key) that `ev`'s handlers may read or write."""
    name = (ev.contract, ev.event)
    if name in _ACCOUNT_EVENTS:
        yield _ACCOUNT_EVENTS[name], (ev.account,)
        return
    for invoice_id in _ids(ev):
        yield InvoiceBase, (invoice_id,)
        yield ListingBase, (invoice_id,)
        if name in _SHARE_MOVES:
            for holder in (ev.args["from"], ev.args["to"]):
                if holder != _ZERO_ADDRESS:
                    yield PositionBase, (invoice_id, holder)
        elif name in _POSITION_EVENTS and ev.account is not None:
            yield PositionBase, (invoice_id, ev.account)


def _wanted(events: Iterable[DecodedEvent]) -> dict[type[SQLModel], set[tuple[Any, ...]]]:
    wanted: dict[type[SQLModel], set[tuple[Any, ...]]] = defaultdict(set)
    for ev in events:
        if (ev.contract, ev.event) in _HANDLERS:
            for model, key in touches(ev):
                wanted[model].add(key)
    return wanted


# ------------------------------------------------------------------------------------------------ rebuild


@dataclass
class Scope:
    """The projection rows a set of events affects: whole invoices, and KYC rows of accounts."""

    invoices: set[int] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)

    def add(self, ev: DecodedEvent) -> None:
        for model, key in touches(ev):
            if model in ACCOUNT_ENTITIES:
                self.accounts.add(key[0])
            else:
                self.invoices.add(key[0])

    def __bool__(self) -> bool:
        return bool(self.invoices or self.accounts)


def event_from_row(row: Any) -> DecodedEvent:
    """A stored chain_event row as the DecodedEvent it was written from."""
    return DecodedEvent(
        block_number=row.block_number,
        block_hash=row.block_hash,
        block_timestamp=row.block_timestamp,
        tx_hash=row.tx_hash,
        tx_index=row.tx_index,
        log_index=row.log_index,
        address=row.address,
        contract=row.contract,
        event=row.event,
        args=row.args,
        invoice_id=row.invoice_id,
        account=row.account,
    )


def _stored_events(session: Session, deployment_id: int, *conditions: Any) -> list[DecodedEvent]:
    events = table_of(ChainEvent)
    query = select(events).where(events.c.deployment_id == deployment_id, *conditions)
    return [event_from_row(row) for row in session.execute(query)]


def rebuild(session: Session, deployment_id: int, chain_id: int, scope: Scope) -> int:
    """Delete the projection rows in `scope` and recompute them from the stored raw events, in chain order.

    Returns:
        How many raw events were replayed.
    """
    if not scope:
        return 0
    events = table_of(ChainEvent)
    # A batch transfer spans several invoices: rebuilding one of them replays the transfer, which writes the
    # others too, so they must be rebuilt as well. Close the scope over the stored batch transfers.
    batches = _stored_events(session, deployment_id, events.c.event == "TransferBatch")
    grown = True
    while grown:
        grown = False
        for ev in batches:
            ids = set(_ids(ev))
            if ids & scope.invoices and not ids <= scope.invoices:
                scope.invoices |= ids
                grown = True

    invoice_ids, accounts = sorted(scope.invoices), sorted(scope.accounts)
    for model in (*(m for m in ENTITIES if m not in ACCOUNT_ENTITIES), *RECORDS):
        table = table_of(ENTITIES[model][0] if model in ENTITIES else RECORDS[model])
        for start in range(0, len(invoice_ids), 2000):
            chunk = invoice_ids[start : start + 2000]
            session.execute(delete(table).where(table.c.deployment_id == deployment_id, table.c.invoice_id.in_(chunk)))
    for model in ACCOUNT_ENTITIES:
        table = table_of(ENTITIES[model][0])
        for start in range(0, len(accounts), 2000):
            names = accounts[start : start + 2000]
            session.execute(delete(table).where(table.c.deployment_id == deployment_id, table.c.account.in_(names)))
    account_events = or_(*(events.c.event == event for _contract, event in ACCOUNT_ENTITIES.values()))

    replay: dict[tuple[str, int], DecodedEvent] = {}
    for start in range(0, max(len(invoice_ids), len(accounts)), 2000):
        id_chunk: list[int] = invoice_ids[start : start + 2000]
        account_chunk: list[str] = accounts[start : start + 2000]
        found = _stored_events(
            session,
            deployment_id,
            or_(
                events.c.invoice_id.in_(id_chunk),
                account_events & events.c.account.in_(account_chunk),
            ),
        )
        for ev in found:
            replay[(ev.tx_hash, ev.log_index)] = ev
    for ev in batches:
        if set(_ids(ev)) & scope.invoices:
            replay[(ev.tx_hash, ev.log_index)] = ev
    ordered = sorted(replay.values(), key=lambda e: e.position)
    store = ProjectionStore(session, deployment_id, chain_id)
    apply(store, ordered)
    store.flush()
    return len(ordered)


# ------------------------------------------------------------------------------------------------ handlers
# One per contract event that changes the read model. Arguments are as decoded (decode.py): ints, lowercase hex.


def _invoice(ev: DecodedEvent, db: ProjectionStore) -> InvoiceBase | None:
    invoice = db.get(InvoiceBase, ev.invoice_id)
    if invoice is None:
        log.warning("%s for unknown invoice %s at block %s", ev.event, ev.invoice_id, ev.block_number)
        return None
    invoice.updated_block = ev.block_number
    return invoice


def _listing(ev: DecodedEvent, db: ProjectionStore) -> ListingBase | None:
    listing = db.get(ListingBase, ev.invoice_id)
    if listing is None:
        log.warning("%s for unlisted invoice %s at block %s", ev.event, ev.invoice_id, ev.block_number)
        return None
    listing.updated_block = ev.block_number
    return listing


def _position(ev: DecodedEvent, db: ProjectionStore, invoice_id: int, holder: str) -> PositionBase:
    position = db.get(PositionBase, invoice_id, holder)
    if position is None:
        position = PositionBase(invoice_id=invoice_id, holder=holder, updated_block=ev.block_number)
        db.put(position)
    position.updated_block = ev.block_number
    return position


@handles("InvoiceToken", "InvoiceMinted")
def invoice_minted(ev: DecodedEvent, db: ProjectionStore) -> None:
    a = ev.args
    db.put(
        InvoiceBase(
            invoice_id=a["invoiceId"],
            seller=a["seller"],
            invoice_key=a["invoiceKey"],
            buyer_id=a["buyerId"],
            face_value=a["faceValue"],
            issue_date=a["issueDate"],
            due_date=a["dueDate"],
            doc_digest=a["docDigest"],
            doc_cid=a["docCid"],
            minted_block=ev.block_number,
            minted_tx=ev.tx_hash,
            updated_block=ev.block_number,
        )
    )


@handles("InvoiceToken", "InvoiceStatusChanged")
def invoice_status_changed(ev: DecodedEvent, db: ProjectionStore) -> None:
    invoice = _invoice(ev, db)
    if invoice is not None:
        status = InvoiceStatus(ev.args["to"])
        invoice.status, invoice.status_name = int(status), status.label


@handles("InvoiceToken", "InvoiceVerified")
def invoice_verified(ev: DecodedEvent, db: ProjectionStore) -> None:
    invoice = _invoice(ev, db)
    if invoice is not None:
        invoice.risk_score = ev.args["riskScore"]
        invoice.checks = ev.args["checks"]
        invoice.report_id = ev.args["reportId"]


@handles("InvoiceToken", "InvoiceRejected")
def invoice_rejected(ev: DecodedEvent, db: ProjectionStore) -> None:
    invoice = _invoice(ev, db)
    if invoice is not None:
        invoice.checks = ev.args["checks"]
        invoice.report_id = ev.args["reportId"]


@handles("FundingEscrow", "InvoiceListed")
def invoice_listed(ev: DecodedEvent, db: ProjectionStore) -> None:
    a = ev.args
    invoice = db.get(InvoiceBase, a["invoiceId"])
    db.put(
        ListingBase(
            invoice_id=a["invoiceId"],
            seller=a["seller"],
            price=a["price"],
            face_value=a["faceValue"],
            due_date=a["dueDate"],
            funding_deadline=a["fundingDeadline"],
            min_ticket=a["minTicket"],
            # Verified before it can be listed, and never re-verified: the score and checks are final here.
            risk_score=(invoice.risk_score or 0) if invoice is not None else 0,
            checks=(invoice.checks or 0) if invoice is not None else 0,
            listed_block=ev.block_number,
            updated_block=ev.block_number,
        )
    )


@handles("FundingEscrow", "Invested")
def invested(ev: DecodedEvent, db: ProjectionStore) -> None:
    a = ev.args
    listing = _listing(ev, db)
    if listing is not None:
        listing.raised = a["raised"]
    _position(ev, db, a["invoiceId"], a["investor"]).invested += a["amount"]
    db.record(
        InvestmentBase(
            invoice_id=a["invoiceId"],
            block_number=ev.block_number,
            block_timestamp=ev.block_timestamp,
            tx_hash=ev.tx_hash,
            log_index=ev.log_index,
            investor=a["investor"],
            amount=a["amount"],
            raised=a["raised"],
        )
    )


@handles("FundingEscrow", "InvoiceFunded")
def invoice_funded(ev: DecodedEvent, db: ProjectionStore) -> None:
    listing = _listing(ev, db)
    if listing is not None:
        listing.state, listing.state_name = int(ListingState.FUNDED), ListingState.FUNDED.label
        listing.fee = ev.args["fee"]


@handles("FundingEscrow", "ListingCancelled")
def listing_cancelled(ev: DecodedEvent, db: ProjectionStore) -> None:
    listing = _listing(ev, db)
    if listing is not None:
        listing.state, listing.state_name = int(ListingState.CANCELLED), ListingState.CANCELLED.label


@handles("FundingEscrow", "Refunded")
def refunded(ev: DecodedEvent, db: ProjectionStore) -> None:
    _position(ev, db, ev.args["invoiceId"], ev.args["investor"]).refunded += ev.args["amount"]


def _net_distributed(invoice: InvoiceBase | None) -> int:
    """RepaymentDistributor's cumulative net for holders: repaid up to face, less the yield fee."""
    if invoice is None:
        return 0
    return min(invoice.total_repaid, invoice.face_value) - invoice.yield_fee


def _move_shares(ev: DecodedEvent, db: ProjectionStore, invoice_id: int, value: int) -> None:
    source, target = ev.args["from"], ev.args["to"]
    # A holder-to-holder transfer checkpoints the distributor (onSharesTransferred): the sender keeps, and the
    # receiver does not get, what the moved shares earned so far. Mints and burns do not call it.
    net = _net_distributed(db.get(InvoiceBase, invoice_id)) if _ZERO_ADDRESS not in (source, target) else 0
    if source != _ZERO_ADDRESS:
        sender = _position(ev, db, invoice_id, source)
        sender.shares -= value
        sender.correction += net * value
    if target != _ZERO_ADDRESS:
        receiver = _position(ev, db, invoice_id, target)
        receiver.shares += value
        receiver.correction -= net * value


@handles("InvoiceShares", "TransferSingle")
def shares_transferred(ev: DecodedEvent, db: ProjectionStore) -> None:
    _move_shares(ev, db, ev.args["id"], ev.args["value"])


@handles("InvoiceShares", "TransferBatch")
def shares_batch_transferred(ev: DecodedEvent, db: ProjectionStore) -> None:
    for invoice_id, value in zip(ev.args["ids"], ev.args["values"], strict=True):
        _move_shares(ev, db, int(invoice_id), int(value))


@handles("RepaymentDistributor", "RepaymentReceived")
def repayment_received(ev: DecodedEvent, db: ProjectionStore) -> None:
    a = ev.args
    invoice = _invoice(ev, db)
    if invoice is not None:
        invoice.total_repaid = a["totalRepaid"]
    db.record(
        RepaymentBase(
            invoice_id=a["invoiceId"],
            block_number=ev.block_number,
            block_timestamp=ev.block_timestamp,
            tx_hash=ev.tx_hash,
            log_index=ev.log_index,
            payer=a["payer"],
            amount=a["amount"],
            total_repaid=a["totalRepaid"],
            bank_ref=None if a["bankRef"] == _ZERO_WORD else a["bankRef"],
        )
    )


@handles("RepaymentDistributor", "InvoiceDefaulted")
def invoice_defaulted(ev: DecodedEvent, db: ProjectionStore) -> None:
    invoice = _invoice(ev, db)
    if invoice is not None:
        invoice.outstanding_at_default = ev.args["outstanding"]


@handles("RepaymentDistributor", "YieldFeeCharged")
def yield_fee_charged(ev: DecodedEvent, db: ProjectionStore) -> None:
    invoice = _invoice(ev, db)
    if invoice is not None:
        invoice.yield_fee += ev.args["fee"]


@handles("RepaymentDistributor", "SurplusPaid")
def surplus_paid(ev: DecodedEvent, db: ProjectionStore) -> None:
    invoice = _invoice(ev, db)
    if invoice is not None:
        invoice.surplus_paid += ev.args["amount"]


@handles("RepaymentDistributor", "AutoPayoutSet")
def auto_payout_set(ev: DecodedEvent, db: ProjectionStore) -> None:
    a = ev.args
    db.put(AutoPayoutBase(account=a["investor"], enabled=a["enabled"], updated_block=ev.block_number))


@handles("RepaymentDistributor", "Claimed")
def claimed(ev: DecodedEvent, db: ProjectionStore) -> None:
    a = ev.args
    _position(ev, db, a["invoiceId"], a["investor"]).claimed += a["amount"]
    db.record(
        ClaimBase(
            invoice_id=a["invoiceId"],
            block_number=ev.block_number,
            block_timestamp=ev.block_timestamp,
            tx_hash=ev.tx_hash,
            log_index=ev.log_index,
            investor=a["investor"],
            amount=a["amount"],
        )
    )


@handles("OracleHub", "ReportAccepted")
def report_accepted(ev: DecodedEvent, db: ProjectionStore) -> None:
    a = ev.args
    kind = ReportKind(a["kind"])
    db.record(
        OracleReportBase(
            invoice_id=a["invoiceId"],
            block_number=ev.block_number,
            block_timestamp=ev.block_timestamp,
            tx_hash=ev.tx_hash,
            log_index=ev.log_index,
            report_id=a["reportId"],
            kind=int(kind),
            kind_name=kind.label,
            submitter=a["submitter"],
        )
    )


@handles("KycRegistry", "KycUpdated")
def kyc_updated(ev: DecodedEvent, db: ProjectionStore) -> None:
    a = ev.args
    db.put(KycBase(account=a["account"], roles=a["roles"], valid_until=a["validUntil"], updated_block=ev.block_number))
