"""GET /api/v1/invoices/marketplace: exactly the fundable listings, every figure as the chain says, every sort and
filter, and keyset pages that neither repeat nor skip while listings arrive."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.api.app import create_app
from hundi.chain.deployment import Deployment
from tests.backend.api.chainview import DAY, ChainListing, chain_time, open_listings, walk
from tests.backend.api.conftest import PUBLIC_URL, ApiEnv, MarketScenario, api_settings
from tests.backend.conftest import Databases, Indexers
from tests.backend.localchain import SELLER, UNIT, Anvil, Driver

PATH = "/api/v1/invoices/marketplace"

#: sort name -> (key of a chain listing at time `now`, natural direction is descending)
SORTS: dict[str, tuple[Any, bool]] = {
    "newest": (None, True),  # by listing block: checked separately against the InvoiceListed logs
    "expectedROI": (lambda item, now: item.roi(now), True),
    "riskScore": (lambda item, now: item.risk, True),
    "daysToMaturity": (lambda item, now: item.due, False),
    "amount": (lambda item, now: item.face, True),
    "fundingDeadline": (lambda item, now: item.deadline, False),
    "discountedAmount": (lambda item, now: item.price, True),
}


def expected_item(item: ChainListing, now: int) -> dict[str, Any]:
    return {
        "id": item.id,
        "seller": item.seller,
        "amount": str(item.face),
        "discountedAmount": str(item.price),
        "raised": str(item.raised),
        "remaining": str(item.price - item.raised),
        "minTicket": str(item.min_ticket),
        "fundingDeadline": item.deadline,
        "dueDate": item.due,
        "riskScore": item.risk,
        "daysToMaturity": item.days(now),
    }


def test_the_marketplace_lists_exactly_the_open_listings_with_the_chains_figures(
    env: ApiEnv, market: MarketScenario
) -> None:
    env.sync()
    now, expected = open_listings(env.node.w3, env.deployment)
    items = walk(env.client, PATH, {"limit": 3})
    got = {item["id"]: item for item in items}
    assert len(got) == len(items), "an item appeared twice"
    assert set(got) == set(expected)
    assert set(market.open) <= set(got)
    assert not {market.funded, market.cancelled, market.unlisted} & set(got)
    for invoice_id, item in got.items():
        chain = expected[invoice_id]
        assert {k: item[k] for k in expected_item(chain, now)} == expected_item(chain, now)
        assert item["expectedROI"] == pytest.approx(chain.roi(now), rel=1e-12)
        assert item["discountRate"] == pytest.approx((chain.face - chain.price) / chain.face * 100, rel=1e-12)
        assert item["fundedPercent"] == pytest.approx(chain.raised / chain.price * 100, rel=1e-12)
        assert item["checks"]["mask"] == chain.checks
        assert item["checks"]["complete"] is (chain.checks == 0b111111)
        bits = ["gstinValid", "sellerActive", "buyerActive", "fieldsMatch", "irnMatch", "digestMatch"]
        assert [item["checks"][name] for name in bits] == [bool(chain.checks >> b & 1) for b in range(6)]
    body = env.client.get(PATH).json()
    assert body["chainTime"] == now
    assert body["indexedBlock"] == env.node.head


def test_every_sort_walks_every_page_in_order_without_duplicates(env: ApiEnv, market: MarketScenario) -> None:
    env.sync()
    now, expected = open_listings(env.node.w3, env.deployment)
    listed = {e["args"]["invoiceId"]: e["blockNumber"] for e in _listed_logs(env)}
    for sort, (key, natural_desc) in SORTS.items():
        if key is None:  # newest: by the block of the InvoiceListed event, then id

            def key(item: ChainListing, _now: int) -> int:
                return int(listed[item.id])

        for order in ("asc", "desc", None):
            params: dict[str, Any] = {"sort": sort, "limit": 2}
            if order is not None:
                params["order"] = order
            ids = [item["id"] for item in walk(env.client, PATH, params)]
            assert len(ids) == len(set(ids)) == len(expected), (sort, order)
            desc = natural_desc if order is None else order == "desc"
            want = sorted(expected.values(), key=lambda item: (key(item, now), item.id), reverse=desc)
            assert ids == [item.id for item in want], (sort, order)


def _listed_logs(env: ApiEnv) -> list[Any]:
    escrow = env.deployment.contract(env.node.w3, "FundingEscrow")
    return list(escrow.events.InvoiceListed().get_logs(from_block=env.deployment.deployedAt))


FILTERS: list[tuple[dict[str, Any], Any]] = [
    ({"minRiskScore": 60}, lambda i, now: i.risk >= 60),
    ({"maxRiskScore": 55}, lambda i, now: i.risk <= 55),
    ({"minRiskScore": 55, "maxRiskScore": 72}, lambda i, now: 55 <= i.risk <= 72),
    ({"minAmount": 75_000 * 10**6}, lambda i, now: i.face >= 75_000 * 10**6),
    ({"maxAmount": 100_000 * 10**6}, lambda i, now: i.face <= 100_000 * 10**6),
    ({"maxDaysToMaturity": 60}, lambda i, now: i.days(now) <= 60),
    ({"minDaysToMaturity": 90}, lambda i, now: i.days(now) >= 90),
    ({"minRoi": 40.0}, lambda i, now: i.roi(now) >= 40.0),
    ({"maxRoi": 33.0}, lambda i, now: i.roi(now) <= 33.0),
    ({"checksComplete": "true"}, lambda i, now: i.checks == 0b111111),
    ({"checksComplete": "false"}, lambda i, now: i.checks != 0b111111),
]


def test_each_filter_keeps_exactly_the_listings_it_describes(env: ApiEnv, market: MarketScenario) -> None:
    env.sync()
    now, expected = open_listings(env.node.w3, env.deployment)
    for params, keep in FILTERS:
        want = {i for i, item in expected.items() if keep(item, now)}
        assert want and want != set(expected), f"the scenario must make {params} select some listings, not all"
        got = [item["id"] for item in walk(env.client, PATH, {**params, "limit": 4})]
        assert sorted(got) == sorted(want), params


def test_the_seller_filter_is_case_insensitive(env: ApiEnv, market: MarketScenario) -> None:
    env.sync()
    _now, expected = open_listings(env.node.w3, env.deployment)
    seller = env.driver.address(5)
    want = {i for i, item in expected.items() if item.seller == seller.lower()}
    assert want
    for spelling in (seller, seller.lower(), "0x" + seller[2:].upper()):
        got = {item["id"] for item in walk(env.client, PATH, {"seller": spelling})}
        assert got == want


def test_pages_neither_repeat_nor_skip_when_listings_arrive_between_them(env: ApiEnv, market: MarketScenario) -> None:
    env.sync()
    _now, before = open_listings(env.node.w3, env.deployment)
    first = env.client.get(PATH, params={"sort": "amount", "order": "asc", "limit": 3}).json()
    seen = [item["id"] for item in first["items"]]
    # A listing sorting before the cursor and one after it arrive, then the walk continues.
    d = env.driver
    small = d.mint(face=1 * 10**6, tag="arrives-before")
    big = d.mint(face=10**9 * 10**6, tag="arrives-after")
    for invoice_id in (small, big):
        d.verify(invoice_id)
        face = int(d.c.token.functions.invoiceOf(invoice_id).call()[8])
        d.list(invoice_id, price=face * 9 // 10)
    env.sync()
    cursor = first["nextCursor"]
    while cursor is not None:
        page = env.client.get(PATH, params={"sort": "amount", "order": "asc", "limit": 3, "cursor": cursor}).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["nextCursor"]
    assert len(seen) == len(set(seen))
    assert set(before) <= set(seen)
    assert big in seen and small not in seen  # keyset: what sorts before the cursor is not revisited


def test_a_listing_leaves_the_marketplace_when_it_fills(env: ApiEnv) -> None:
    d = env.driver
    invoice_id = d.mint(face=10_000 * 10**6, tag="fills")
    d.verify(invoice_id)
    d.list(invoice_id, price=9_000 * 10**6)
    env.sync()
    ids = {item["id"] for item in walk(env.client, PATH, {"limit": 100})}
    assert invoice_id in ids
    d.fund(invoice_id, 2, 4_000 * 10**6)
    env.sync()
    item = next(i for i in walk(env.client, PATH, {"limit": 100}) if i["id"] == invoice_id)
    assert (item["raised"], item["remaining"]) == (str(4_000 * 10**6), str(5_000 * 10**6))
    d.fund(invoice_id, 3, 5_000 * 10**6)
    env.sync()
    assert invoice_id not in {item["id"] for item in walk(env.client, PATH, {"limit": 100})}


def test_the_limit_is_capped_by_the_page_limit_setting(make_env: Any, market: MarketScenario) -> None:
    env = make_env(page_limit_max=4)
    env.sync()
    body = env.client.get(PATH, params={"limit": 50}).json()
    assert len(body["items"]) == 4 and body["nextCursor"] is not None


MALFORMED: list[dict[str, Any]] = [
    {"cursor": "not-a-cursor"},
    {"cursor": "eyJzIjoiYW1vdW50OmRlc2MiLCJrIjoxLCJpIjoxfQ"},  # a cursor of the amount sort, sent for newest
    {"cursor": "eyJzIjoibmV3ZXN0OmRlc2MiLCJrIjoieCIsImkiOjF9"},  # a string key where a block number belongs
    {"cursor": "eyJzIjoibmV3ZXN0OmRlc2MiLCJrIjoxLCJpIjotMX0"},  # a negative id
    {"cursor": "eyJzIjoibmV3ZXN0OmRlc2MiLCJrIjoxLCJpIjoxMDAwMDAwMDAwMDAwMDAwMDAwMDB9"},  # an id beyond BIGINT
    {"cursor": "W10"},  # a JSON list
    {"sort": "price"},
    {"order": "sideways"},
    {"minRiskScore": 101},
    {"maxRiskScore": -1},
    {"minAmount": -5},
    {"maxAmount": 2**200},
    {"minRoi": "nan"},
    {"minRoi": "inf"},
    {"maxDaysToMaturity": "soon"},
    {"seller": "0x1234"},
    {"checksComplete": "perhaps"},
    {"limit": 0},
    {"limit": 100_000},
]


def test_malformed_parameters_are_a_422_in_the_one_error_shape(env: ApiEnv) -> None:
    for params in MALFORMED:
        reply = env.client.get(PATH, params=params)
        assert reply.status_code == 422, (params, reply.text)
        error = reply.json()["error"]
        assert error["code"] in ("invalid_request", "invalid_cursor"), params
        assert error["message"]


def test_a_cursor_made_for_another_order_is_refused(env: ApiEnv, market: MarketScenario) -> None:
    env.sync()
    first = env.client.get(PATH, params={"sort": "amount", "order": "asc", "limit": 1}).json()
    reply = env.client.get(PATH, params={"sort": "amount", "order": "desc", "cursor": first["nextCursor"]})
    assert reply.status_code == 422
    assert reply.json()["error"]["code"] == "invalid_cursor"


def test_days_to_maturity_rounds_up_to_whole_days(env: ApiEnv, market: MarketScenario) -> None:
    env.sync()
    body = env.client.get(PATH, params={"limit": 100}).json()
    for item in body["items"]:
        exact = (item["dueDate"] - body["chainTime"]) / DAY
        assert item["daysToMaturity"] == math.ceil(exact)


def test_deadlines_and_days_follow_the_chains_clock(
    node: Anvil, deployment: Deployment, driver: Driver, databases: Databases, indexers: Indexers, tmp_path: Path
) -> None:
    """On a private chain (it travels in time): what is open and how many days remain move with block time."""
    driver.onboard(sellers=(SELLER,), investors=(2,))
    short, long = (driver.mint(face=10_000 * UNIT, due_in=30 * DAY, tag=t) for t in ("short", "long"))
    for invoice_id, deadline in ((short, 2 * DAY), (long, 10 * DAY)):
        driver.verify(invoice_id)
        driver.list(invoice_id, price=9_500 * UNIT, deadline_in=deadline)
    indexer = indexers.make(deployment, databases.new(), node)
    indexer.run(once=True)
    deployment.save(tmp_path / "deployment.json")
    settings = api_settings(indexer.settings.database_url, node, tmp_path / "deployment.json")
    app = create_app(settings, engine=indexer.engine, deployment=deployment, w3=node.w3)
    with TestClient(app, base_url=PUBLIC_URL) as client:
        before = client.get(PATH).json()
        assert before["chainTime"] == chain_time(node.w3)
        assert {i["id"] for i in before["items"]} == {short, long}
        node.travel(3 * DAY)
        assert client.get(PATH).json()["chainTime"] == before["chainTime"]  # not indexed yet: still the old time
        indexer.run(once=True)
        after = client.get(PATH).json()
        assert after["chainTime"] == chain_time(node.w3) >= before["chainTime"] + 3 * DAY
        assert [i["id"] for i in after["items"]] == [long]  # the short deadline passed on the chain
        (old,) = (i for i in before["items"] if i["id"] == long)
        (new,) = after["items"]
        assert (
            new["daysToMaturity"] == math.ceil((new["dueDate"] - after["chainTime"]) / DAY) == old["daysToMaturity"] - 3
        )
        assert new["expectedROI"] > old["expectedROI"]
