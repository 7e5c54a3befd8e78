"""The indexer mirrors a whole lifecycle: every figure in the database is read back from the contracts (views) or
decoded independently by web3.py from the same logs, never hard-coded."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from eth_utils import keccak
from sqlalchemy import select
from web3 import Web3

from backend.db.models import TABLES, InvoiceStatus, ListingState
from backend.indexer.decode import INDEXED_CONTRACTS
from backend.indexer.store import table_of
from hundi.chain.deployment import Deployment
from hundi.chain.devkeys import dev_account
from tests.backend.conftest import Databases, Indexers
from tests.backend.localchain import INVESTORS, Anvil

Rows = dict[str, list[dict[str, Any]]]


def normalize(value: Any) -> Any:
    """web3.py's decoded values in the indexer's JSON form."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else value
    if isinstance(value, list | tuple):
        return [normalize(v) for v in value]
    return value


def reference_events(node: Anvil, deployment: Deployment) -> list[dict[str, Any]]:
    """Every log of the six contracts decoded by web3.py's own event machinery, in chain order."""
    w3 = node.w3
    contracts = {deployment.address(n): deployment.contract(w3, n) for n in INDEXED_CONTRACTS}
    by_topic: dict[tuple[str, bytes], Any] = {}
    for address, contract in contracts.items():
        for item in contract.abi:
            if item["type"] == "event":
                signature = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
                by_topic[(address, keccak(text=signature))] = contract.events[item["name"]]()
    logs = w3.eth.get_logs(
        {"fromBlock": deployment.deployedAt, "toBlock": node.head, "address": list(contracts)}  # type: ignore[typeddict-item]
    )
    decoded = []
    for entry in logs:
        event = by_topic[(Web3.to_checksum_address(entry["address"]), bytes(entry["topics"][0]))].process_log(entry)
        decoded.append(
            {
                "block_number": event["blockNumber"],
                "log_index": event["logIndex"],
                "tx_hash": "0x" + bytes(event["transactionHash"]).hex(),
                "address": event["address"].lower(),
                "event": event["event"],
                "args": {k: normalize(v) for k, v in event["args"].items()},
            }
        )
    return decoded


def db_rows(indexer_engine: Any) -> Rows:
    rows: Rows = {}
    with indexer_engine.connect() as connection:
        for model in TABLES:
            table = table_of(model)
            rows[table.name] = [dict(r._mapping) for r in connection.execute(select(table))]
    return rows


def test_indexer_mirrors_the_full_lifecycle(
    lifecycle: tuple[Anvil, Deployment, dict[str, int]], databases: Databases, indexers: Indexers
) -> None:
    node, deployment, ids = lifecycle
    # Small ranges, so the lifecycle is indexed across many batches (and transactions).
    indexer = indexers.make(deployment, databases.new(), node, indexer_initial_range=4, indexer_max_range=4)
    indexer.run(once=True)
    assert indexer.stats.batches >= 10
    rows = db_rows(indexer.engine)
    c = deployment.handles(node.w3)
    reference = reference_events(node, deployment)

    # --- raw events: every log, decoded exactly as web3.py decodes it, in chain order
    stored = sorted(rows["chain_event"], key=lambda r: (r["block_number"], r["log_index"]))
    assert [(r["block_number"], r["log_index"], r["tx_hash"], r["event"]) for r in stored] == [
        (e["block_number"], e["log_index"], e["tx_hash"], e["event"]) for e in reference
    ]
    for row, expected in zip(stored, reference, strict=True):
        assert row["args"] == expected["args"], (row["event"], row["block_number"])
        assert row["address"] == expected["address"]
    stamps = {n: node.w3.eth.get_block(n)["timestamp"] for n in {r["block_number"] for r in stored}}
    assert all(r["block_timestamp"] == stamps[r["block_number"]] for r in stored)

    # --- invoices: status and fields as the token reports them
    invoices = {r["invoice_id"]: r for r in rows["invoice"]}
    assert sorted(invoices) == list(range(1, c.token.functions.nextInvoiceId().call()))
    for invoice_id, row in invoices.items():
        status = InvoiceStatus(c.token.functions.statusOf(invoice_id).call())
        assert (row["status"], row["status_name"]) == (status, status.label)
        if status == InvoiceStatus.NONE:
            continue  # burned: the token forgets it, the index keeps its history
        (key, buyer, digest, seller, issued, _, risk, checks, face, due) = c.token.functions.invoiceOf(
            invoice_id
        ).call()
        assert (row["invoice_key"], row["buyer_id"], row["doc_digest"], row["seller"]) == (
            "0x" + key.hex(),
            "0x" + buyer.hex(),
            "0x" + digest.hex(),
            seller.lower(),
        )
        assert (row["issue_date"], row["due_date"], row["face_value"], row["checks"]) == (issued, due, face, checks)
        assert row["risk_score"] == (None if status == InvoiceStatus.REJECTED else risk)
        assert row["total_repaid"] == c.distributor.functions.bookOf(invoice_id).call()[2]
    assert {r["status_name"] for r in invoices.values()} == {
        "Repaid",
        "Cancelled",
        "Defaulted",
        "Rejected",
        "None",
    }
    assert invoices[ids["defaulted"]]["outstanding_at_default"] is not None

    # --- listings: as the escrow reports them
    listings = {r["invoice_id"]: r for r in rows["listing"]}
    assert sorted(listings) == sorted([ids["repaid"], ids["cancelled"], ids["defaulted"]])
    for invoice_id, row in listings.items():
        price, raised, min_ticket, deadline, _fee, _yield, state, seller, _grace = c.escrow.functions.listingOf(
            invoice_id
        ).call()
        assert (row["price"], row["raised"], row["min_ticket"], row["funding_deadline"]) == (
            price,
            raised,
            min_ticket,
            deadline,
        )
        assert (row["state"], row["state_name"], row["seller"]) == (state, ListingState(state).label, seller.lower())
    funded = {e["args"]["invoiceId"]: e["args"]["fee"] for e in reference if e["event"] == "InvoiceFunded"}
    assert {i: r["fee"] for i, r in listings.items() if r["fee"] is not None} == funded

    # --- positions: share balances from the shares contract; money in and out from the logs
    invested: dict[tuple[int, str], int] = defaultdict(int)
    claimed: dict[tuple[int, str], int] = defaultdict(int)
    refunded: dict[tuple[int, str], int] = defaultdict(int)
    for e in reference:
        a = e["args"]
        if e["event"] == "Invested":
            invested[(a["invoiceId"], a["investor"])] += a["amount"]
        elif e["event"] == "Claimed":
            claimed[(a["invoiceId"], a["investor"])] += a["amount"]
        elif e["event"] == "Refunded":
            refunded[(a["invoiceId"], a["investor"])] += a["amount"]
    positions = {(r["invoice_id"], r["holder"]): r for r in rows["position"]}
    holders = {Web3.to_checksum_address(h) for _, h in positions} | {dev_account(i).address for i in INVESTORS}
    for invoice_id in listings:
        for holder in holders:
            row = positions.get((invoice_id, holder.lower()))
            balance = c.shares.functions.balanceOf(holder, invoice_id).call()
            assert (row["shares"] if row else 0) == balance, (invoice_id, holder)
            key = (invoice_id, holder.lower())
            got = (row["invested"], row["claimed"], row["refunded"]) if row else (0, 0, 0)
            assert got == (invested[key], claimed[key], refunded[key])
    assert sum(r["claimed"] for r in positions.values()) > 0
    assert sum(r["refunded"] for r in positions.values()) == sum(refunded.values()) > 0
    # The share transfer between two investors is in the positions above; check it was really there.
    zero = "0x" + "00" * 20
    moves = [
        e for e in reference if e["event"] == "TransferSingle" and zero not in (e["args"]["from"], e["args"]["to"])
    ]
    assert len(moves) == 1

    # --- one row per Invested / RepaymentReceived / Claimed / ReportAccepted, with its own figures
    def records(table: str, *fields: str) -> list[tuple[Any, ...]]:
        return sorted((r["tx_hash"], r["log_index"], *(r[f] for f in fields)) for r in rows[table])

    def logged(event: str, *fields: str) -> list[tuple[Any, ...]]:
        found = (e for e in reference if e["event"] == event)
        return sorted((e["tx_hash"], e["log_index"], *(e["args"][f] for f in fields)) for e in found)

    assert records("investment", "invoice_id", "investor", "amount", "raised") == logged(
        "Invested", "invoiceId", "investor", "amount", "raised"
    )
    assert records("claim", "invoice_id", "investor", "amount") == logged("Claimed", "invoiceId", "investor", "amount")
    assert records("repayment", "invoice_id", "payer", "amount", "total_repaid") == logged(
        "RepaymentReceived", "invoiceId", "payer", "amount", "totalRepaid"
    )
    bank = [r for r in rows["repayment"] if r["bank_ref"] is not None]
    assert [r["bank_ref"] for r in bank] == ["0x" + keccak(text="UTR-HDFC-000123").hex()]
    assert records("oracle_report", "invoice_id", "report_id", "kind", "submitter") == logged(
        "ReportAccepted", "invoiceId", "reportId", "kind", "submitter"
    )
    assert {r["kind_name"] for r in rows["oracle_report"]} == {"Verification", "Repayment"}

    # --- fees, surplus and exact claimable amounts (the distributor's per-holder correction)
    for invoice_id, row in invoices.items():
        fees = [
            e["args"]["fee"]
            for e in reference
            if e["event"] == "YieldFeeCharged" and e["args"]["invoiceId"] == invoice_id
        ]
        surplus = [
            e["args"]["amount"]
            for e in reference
            if e["event"] == "SurplusPaid" and e["args"]["invoiceId"] == invoice_id
        ]
        assert (row["yield_fee"], row["surplus_paid"]) == (sum(fees), sum(surplus))
    assert sum(r["yield_fee"] for r in invoices.values()) > 0
    for invoice_id, row in listings.items():
        assert (row["risk_score"], row["checks"]) == (
            invoices[invoice_id]["risk_score"] or 0,
            invoices[invoice_id]["checks"],
        )
    for (invoice_id, holder), row in positions.items():
        invoice, listing = invoices[invoice_id], listings[invoice_id]
        net = min(invoice["total_repaid"], invoice["face_value"]) - invoice["yield_fee"]
        earned = (net * row["shares"] + row["correction"]) // listing["price"] if net > 0 else 0
        chain = c.distributor.functions.claimable(invoice_id, Web3.to_checksum_address(holder)).call()
        assert earned - row["claimed"] == chain, (invoice_id, holder)
    assert any(r["correction"] != 0 for r in positions.values())  # the transfer after a distribution
    toggles = [e["args"] for e in reference if e["event"] == "AutoPayoutSet"]
    assert {r["account"]: r["enabled"] for r in rows["auto_payout"]} == {a["investor"]: a["enabled"] for a in toggles}

    # --- KYC: each account's entry as the registry reports it
    for row in rows["kyc"]:
        roles, valid_until = c.kyc.functions.kycOf(Web3.to_checksum_address(row["account"])).call()
        assert (row["roles"], row["valid_until"]) == (roles, valid_until)
    assert len(rows["kyc"]) == len({e["args"]["account"] for e in reference if e["event"] == "KycUpdated"})

    # --- timeline: each invoice's events, in order, tagged with the invoice they name
    for invoice_id in invoices:
        timeline = [(r["block_number"], r["log_index"]) for r in stored if r["invoice_id"] == invoice_id]
        expected = [
            (e["block_number"], e["log_index"])
            for e in reference
            if invoice_id in (e["args"].get("invoiceId"), e["args"].get("tokenId"), e["args"].get("id"))
        ]
        assert timeline == expected
    repaid_timeline = [r["event"] for r in stored if r["invoice_id"] == ids["repaid"]]
    for step in ("InvoiceMinted", "InvoiceVerified", "InvoiceListed", "Invested", "InvoiceFunded", "InvoiceRepaid"):
        assert step in repaid_timeline

    # --- the cursor sits at the head with its hash; the kept hashes are the chain's
    cursor = indexer.cursor()
    assert (cursor.block, cursor.hash) == (node.head, "0x" + bytes(node.w3.eth.get_block(node.head)["hash"]).hex())
    for row in rows["block_hash"]:
        assert row["hash"] == "0x" + bytes(node.w3.eth.get_block(row["block_number"])["hash"]).hex()
    assert len(rows["block_hash"]) <= indexer.keep
