"""What the read API should answer, computed independently: straight from the contracts' views and web3.py's
own log decoding, with the formulas of the API's documentation written out again (never the code under test)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from web3 import Web3

from hundi.chain.deployment import Deployment

DAY = 86400
STATUS = ("None", "Minted", "Verified", "Rejected", "Listed", "Funded", "Repaid", "Defaulted", "Cancelled")


@dataclass(frozen=True)
class ChainListing:
    """One listing as the escrow and the token report it, with the derived marketplace figures."""

    id: int
    seller: str
    face: int
    price: int
    raised: int
    min_ticket: int
    deadline: int
    due: int
    risk: int
    checks: int
    state: int

    def days(self, now: int) -> int:
        return math.ceil((self.due - now) / DAY)

    def roi(self, now: int) -> float:
        return (self.face - self.price) / self.price * 365 / self.days(now) * 100

    def is_open(self, now: int) -> bool:
        return self.state == 1 and self.deadline > now


def chain_time(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def invoice_count(w3: Web3, deployment: Deployment) -> int:
    return int(deployment.contract(w3, "InvoiceToken").functions.nextInvoiceId().call()) - 1


def listings(w3: Web3, deployment: Deployment) -> dict[int, ChainListing]:
    """Every invoice that was ever listed (listingOf has a state), by id."""
    token = deployment.contract(w3, "InvoiceToken").functions
    escrow = deployment.contract(w3, "FundingEscrow").functions
    found: dict[int, ChainListing] = {}
    for invoice_id in range(1, invoice_count(w3, deployment) + 1):
        price, raised, min_ticket, deadline, _fee, _yield, state, seller, _grace = escrow.listingOf(invoice_id).call()
        if state == 0:
            continue
        _key, _buyer, _digest, _seller, _issued, _status, risk, checks, face, due = token.invoiceOf(invoice_id).call()
        found[invoice_id] = ChainListing(
            invoice_id, seller.lower(), face, price, raised, min_ticket, deadline, due, risk, checks, state
        )
    return found


def open_listings(w3: Web3, deployment: Deployment) -> tuple[int, dict[int, ChainListing]]:
    """(chain time, the listings the marketplace must show)."""
    now = chain_time(w3)
    return now, {i: item for i, item in listings(w3, deployment).items() if item.is_open(now)}


def walk(client: TestClient, path: str, params: dict[str, Any], headers: dict[str, str] | None = None) -> list[Any]:
    """Every item of a paginated list, page by page, asserting each page answers 200."""
    items: list[Any] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = dict(params)
        if cursor is not None:
            query["cursor"] = cursor
        reply = client.get(path, params=query, headers=headers or {})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert len(body["items"]) <= int(params.get("limit", 20))
        items.extend(body["items"])
        cursor = body["nextCursor"]
        pages += 1
        assert pages < 1000, "pagination does not end"
        if cursor is None:
            return items


def logs(w3: Web3, deployment: Deployment, contract: str, event: str) -> list[Any]:
    """All logs of one event, decoded by web3.py."""
    handle = deployment.contract(w3, contract)
    found: list[Any] = handle.events[event]().get_logs(from_block=deployment.deployedAt)
    return found
