"""GET /api/v1/portfolio/{address} (and /history) and GET /api/v1/stats, against the contracts' own views: the
claimable amounts must be exactly RepaymentDistributor.claimable, to the base unit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from tests.backend.api.chainview import STATUS, chain_time, invoice_count, listings, logs, walk
from tests.backend.api.conftest import STRANGER, ApiEnv, MarketScenario, RepaidScenario
from tests.backend.localchain import INVESTORS, SELLER

Login = Callable[..., dict[str, str]]


def test_positions_and_claimable_amounts_are_exactly_the_distributors(
    env: ApiEnv, repaid: RepaidScenario, market: MarketScenario, login: Login
) -> None:
    env.sync()
    w3, c = env.node.w3, env.driver.c
    claimed: dict[tuple[int, str], int] = defaultdict(int)
    for e in logs(w3, env.deployment, "RepaymentDistributor", "Claimed"):
        claimed[(e["args"]["invoiceId"], e["args"]["investor"].lower())] += e["args"]["amount"]
    nonzero = 0
    for investor in INVESTORS:
        address = env.driver.address(investor)
        headers = login(env.client, investor)
        body = env.client.get(f"/api/v1/portfolio/{address}", params={"limit": 100}, headers=headers).json()
        assert body["address"] == address.lower()
        assert body["chainTime"] == chain_time(w3)
        assert body["autoPayout"] is c.distributor.functions.autoPayoutOf(address).call()
        positions = body["positions"]
        assert body["nextCursor"] is None and len(positions) == body["totals"]["positions"]
        for p in positions:
            invoice_id = p["invoiceId"]
            assert p["shares"] == str(c.shares.functions.balanceOf(address, invoice_id).call())
            assert p["claimable"] == str(c.distributor.functions.claimable(invoice_id, address).call()), invoice_id
            assert p["claimed"] == str(claimed[(invoice_id, address.lower())])
            assert p["status"] == STATUS[c.token.functions.statusOf(invoice_id).call()]
            nonzero += p["claimable"] != "0"
        totals = body["totals"]
        for field in ("invested", "claimed", "claimable", "refunded", "refundable"):
            assert totals[field] == str(sum(int(p[field]) for p in positions)), field
        assert totals["activePositions"] == sum(1 for p in positions if p["shares"] != "0")
    assert nonzero >= 2, "the scenario leaves investors 3 and 4 something to claim"
    on_chain = {i: c.distributor.functions.autoPayoutOf(env.driver.address(i)).call() for i in (3, 4)}
    assert on_chain == {3: False, 4: True}


def test_the_repaid_invoices_positions_after_a_transfer_between_claims(
    env: ApiEnv, repaid: RepaidScenario, login: Login
) -> None:
    env.sync()
    c = env.driver.c
    found = {}
    for investor in INVESTORS:
        address = env.driver.address(investor)
        body = env.client.get(
            f"/api/v1/portfolio/{address}", params={"limit": 100}, headers=login(env.client, investor)
        )
        found[investor] = next(p for p in body.json()["positions"] if p["invoiceId"] == repaid.invoice_id)
    # Investor 4 received shares after the first repayment was distributed: the correction keeps that
    # distribution with investor 3, so 4 may not claim it, to the unit.
    for investor, position in found.items():
        chain = c.distributor.functions.claimable(repaid.invoice_id, env.driver.address(investor)).call()
        assert int(position["claimable"]) == chain
    assert int(found[3]["claimable"]) > 0 and int(found[4]["claimable"]) > 0
    assert found[3]["shares"] == str(25_000 * 10**6 - 3) and found[4]["shares"] == str(35_000 * 10**6 + 3)
    assert sum(int(p["shares"]) for p in found.values()) == repaid.price
    assert found[2]["invested"] == str(30_000 * 10**6) and found[3]["invested"] == str(40_000 * 10**6)


def test_history_pages_through_the_investors_account_events(env: ApiEnv, repaid: RepaidScenario, login: Login) -> None:
    env.sync()
    investor = 3
    address = env.driver.address(investor)
    headers = login(env.client, investor)
    items = walk(env.client, f"/api/v1/portfolio/{address}/history", {"limit": 2}, headers)
    names = {"Invested", "Refunded", "Claimed", "AutoPayoutSet"}
    expected = []
    for contract, event in (
        ("FundingEscrow", "Invested"),
        ("FundingEscrow", "Refunded"),
        ("RepaymentDistributor", "Claimed"),
        ("RepaymentDistributor", "AutoPayoutSet"),
    ):
        for e in logs(env.node.w3, env.deployment, contract, event):
            if e["args"]["investor"].lower() == address.lower():
                expected.append((e["blockNumber"], e["logIndex"], event))
    expected.sort(reverse=True)
    assert [(i["block"], int(i["id"].split("-")[1]), i["event"]) for i in items] == expected
    assert {i["event"] for i in items} <= names
    toggles = [i["enabled"] for i in items if i["event"] == "AutoPayoutSet"]
    assert toggles[:2] == [False, True]  # newest first: opted in, then out
    inline = env.client.get(f"/api/v1/portfolio/{address}", headers=headers).json()["history"]
    assert inline == items[: len(inline)]


def test_a_portfolio_is_refused_to_others_and_without_a_session(env: ApiEnv, login: Login) -> None:
    address = env.driver.address(INVESTORS[0])
    for path in (f"/api/v1/portfolio/{address}", f"/api/v1/portfolio/{address}/history"):
        reply = env.client.get(path)
        assert reply.status_code == 401 and reply.json()["error"]["code"] == "unauthorized"
        for other in (INVESTORS[1], SELLER, STRANGER):
            reply = env.client.get(path, headers=login(env.client, other))
            assert reply.status_code == 403 and reply.json()["error"]["code"] == "forbidden"
        own = login(env.client, INVESTORS[0])
        assert env.client.get(path, headers=own).status_code == 200
        assert env.client.get(path, params={"cursor": "AAAA"}, headers=own).status_code == 422
        assert env.client.get(path.replace(address, "0xabc"), headers=own).status_code == 422


def test_portfolio_positions_paginate_without_gaps(env: ApiEnv, market: MarketScenario, login: Login) -> None:
    env.sync()
    investor = INVESTORS[0]
    address = env.driver.address(investor)
    headers = login(env.client, investor)
    full = env.client.get(f"/api/v1/portfolio/{address}", params={"limit": 100}, headers=headers).json()
    ids: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = env.client.get(f"/api/v1/portfolio/{address}", params=params, headers=headers).json()
        ids.extend(p["invoiceId"] for p in page["positions"])
        assert page["totals"] == full["totals"]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert ids == [p["invoiceId"] for p in full["positions"]] and len(ids) >= 3


# ------------------------------------------------------------------------------------------------ stats


def test_stats_add_up_to_what_the_chain_holds(env: ApiEnv, repaid: RepaidScenario, market: MarketScenario) -> None:
    env.sync()
    w3, c, deployment = env.node.w3, env.driver.c, env.deployment
    body = env.client.get("/api/v1/stats").json()
    count = invoice_count(w3, deployment)
    by_status = {name: 0 for name in STATUS}
    for invoice_id in range(1, count + 1):
        by_status[STATUS[c.token.functions.statusOf(invoice_id).call()]] += 1
    assert body["invoices"] == count
    assert body["invoicesByStatus"] == by_status
    now = chain_time(w3)
    chain_listings = listings(w3, deployment)
    open_now = [item for item in chain_listings.values() if item.is_open(now)]
    assert body["openListings"] == len(open_now)
    assert body["volumeListed"] == str(sum(item.price for item in chain_listings.values()))
    assert body["volumeFunded"] == str(sum(item.price for item in chain_listings.values() if item.state == 2))
    repaid_sum = sum(e["args"]["amount"] for e in logs(w3, deployment, "RepaymentDistributor", "RepaymentReceived"))
    assert body["volumeRepaid"] == str(repaid_sum)
    fees = sum(e["args"]["fee"] for e in logs(w3, deployment, "FundingEscrow", "InvoiceFunded"))
    assert body["platformFees"] == str(fees)
    yield_fees = sum(e["args"]["fee"] for e in logs(w3, deployment, "RepaymentDistributor", "YieldFeeCharged"))
    assert body["yieldFees"] == str(yield_fees) != "0"
    investors = {e["args"]["investor"] for e in logs(w3, deployment, "FundingEscrow", "Invested")}
    sellers = {e["args"]["seller"] for e in logs(w3, deployment, "InvoiceToken", "InvoiceMinted")}
    assert (body["investors"], body["sellers"]) == (len(investors), len(sellers))
    rois = [item.roi(now) for item in open_now]
    assert abs(body["averageExpectedROI"] - sum(rois) / len(rois)) < 1e-9
    assert (body["chainTime"], body["indexedBlock"]) == (now, env.node.head)


def test_stats_follow_the_indexer(env: ApiEnv) -> None:
    env.sync()
    before = env.client.get("/api/v1/stats").json()
    env.driver.mint(face=1_234 * 10**6, tag="stats")
    assert env.client.get("/api/v1/stats").json() == before  # nothing indexed yet
    env.sync()
    after = env.client.get("/api/v1/stats").json()
    assert after["invoices"] == before["invoices"] + 1
    assert after["invoicesByStatus"]["Minted"] == before["invoicesByStatus"]["Minted"] + 1
