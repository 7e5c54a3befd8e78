"""GET /api/v1/invoices/{id}, GET /api/v1/smes/{address}/invoices and GET /api/v1/config, checked against the
contracts' views and web3.py's decoding of the same logs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from web3 import Web3

from tests.backend.api.chainview import STATUS, chain_time, invoice_count, logs, walk
from tests.backend.api.conftest import STRANGER, ApiEnv, MarketScenario, RepaidScenario
from tests.backend.localchain import OTHER_SELLER, SELLER

Login = Callable[..., dict[str, str]]


def hexed(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def invoice_logs(env: ApiEnv, invoice_id: int) -> list[tuple[int, int, str, str]]:
    """(block, log index, event, tx hash) of every log of the six contracts naming `invoice_id`."""
    w3, deployment = env.node.w3, env.deployment
    contracts = ["KycRegistry", "InvoiceToken", "OracleHub", "InvoiceShares", "RepaymentDistributor", "FundingEscrow"]
    found = []
    for name in contracts:
        handle = deployment.contract(w3, name)
        for item in handle.abi:
            if item["type"] != "event":
                continue
            for entry in handle.events[item["name"]]().get_logs(from_block=deployment.deployedAt):
                args = entry["args"]
                if invoice_id in (args.get("invoiceId"), args.get("tokenId"), args.get("id")):
                    found.append(
                        (entry["blockNumber"], entry["logIndex"], entry["event"], hexed(entry["transactionHash"]))
                    )
    return sorted(found)


def test_an_invoice_has_the_tokens_fields_its_listing_funding_repayments_and_full_timeline(
    env: ApiEnv, repaid: RepaidScenario
) -> None:
    env.sync()
    w3, c = env.node.w3, env.driver.c
    invoice_id = repaid.invoice_id
    body = env.client.get(f"/api/v1/invoices/{invoice_id}").json()
    key, buyer, digest, seller, issued, status, risk, checks, face, due = c.token.functions.invoiceOf(invoice_id).call()
    assert (body["id"], body["invoiceKey"], body["buyerId"], body["docDigest"], body["seller"]) == (
        invoice_id,
        hexed(key),
        hexed(buyer),
        hexed(digest),
        seller.lower(),
    )
    assert (body["amount"], body["issueDate"], body["dueDate"]) == (str(face), issued, due)
    assert (body["status"], body["statusCode"], body["riskScore"]) == (STATUS[status], status, risk)
    assert body["status"] == "Repaid"
    assert body["checks"]["mask"] == checks and body["checks"]["complete"] is True
    assert body["documentCid"] is None  # not signed in as the seller
    assert body["chainTime"] == chain_time(w3)

    price, raised, min_ticket, deadline, *_rest = c.escrow.functions.listingOf(invoice_id).call()
    listing = body["listing"]
    assert (listing["state"], listing["price"], listing["raised"], listing["remaining"]) == (
        "Funded",
        str(price),
        str(raised),
        "0",
    )
    assert (listing["minTicket"], listing["fundingDeadline"], listing["fundedPercent"]) == (
        str(min_ticket),
        deadline,
        100.0,
    )
    funded = [
        e for e in logs(w3, env.deployment, "FundingEscrow", "InvoiceFunded") if e["args"]["invoiceId"] == invoice_id
    ]
    assert listing["fee"] == str(funded[0]["args"]["fee"])
    assert listing["investors"] == 3

    invested = [
        e for e in logs(w3, env.deployment, "FundingEscrow", "Invested") if e["args"]["invoiceId"] == invoice_id
    ]
    assert [(i["investor"], i["amount"], i["raised"], i["txHash"]) for i in body["investments"]] == [
        (e["args"]["investor"].lower(), str(e["args"]["amount"]), str(e["args"]["raised"]), hexed(e["transactionHash"]))
        for e in invested
    ]
    paid = [
        e
        for e in logs(w3, env.deployment, "RepaymentDistributor", "RepaymentReceived")
        if e["args"]["invoiceId"] == invoice_id
    ]
    assert [(r["amount"], r["totalRepaid"], r["bankRef"]) for r in body["repayments"]] == [
        (str(e["args"]["amount"]), str(e["args"]["totalRepaid"]), None) for e in paid
    ]
    assert body["totalRepaid"] == str(c.distributor.functions.bookOf(invoice_id).call()[2])

    fees = [
        e
        for e in logs(w3, env.deployment, "RepaymentDistributor", "YieldFeeCharged")
        if e["args"]["invoiceId"] == invoice_id
    ]
    surplus = [
        e
        for e in logs(w3, env.deployment, "RepaymentDistributor", "SurplusPaid")
        if e["args"]["invoiceId"] == invoice_id
    ]
    assert body["yieldFee"] == str(sum(e["args"]["fee"] for e in fees)) != "0"
    assert body["surplusPaid"] == str(sum(e["args"]["amount"] for e in surplus)) == str(110_000 * 10**6 + 7 - face)

    timeline = [(t["block"], t["logIndex"], t["event"], t["txHash"]) for t in body["timeline"]]
    assert timeline == invoice_logs(env, invoice_id)
    for entry in body["timeline"]:
        assert entry["id"] == f"{entry['block']}-{entry['logIndex']}"
        assert entry["time"] == w3.eth.get_block(entry["block"])["timestamp"]
    names = [t["event"] for t in body["timeline"]]
    for step in ("InvoiceMinted", "InvoiceVerified", "InvoiceListed", "Invested", "InvoiceFunded", "Claimed"):
        assert step in names
    assert names.count("RepaymentReceived") == 2 and "InvoiceRepaid" in names and "SurplusPaid" in names


def minted_entry(body: dict[str, Any]) -> dict[str, Any]:
    (entry,) = (t for t in body["timeline"] if t["event"] == "InvoiceMinted")
    return dict(entry)


def test_only_the_seller_sees_the_document_cid(env: ApiEnv, repaid: RepaidScenario, login: Login) -> None:
    env.sync()
    path = f"/api/v1/invoices/{repaid.invoice_id}"
    minted = [e for e in logs(env.node.w3, env.deployment, "InvoiceToken", "InvoiceMinted")]
    cid = next(e["args"]["docCid"] for e in minted if e["args"]["invoiceId"] == repaid.invoice_id)
    as_seller = env.client.get(path, headers=login(env.client, SELLER)).json()
    assert as_seller["documentCid"] == cid
    assert minted_entry(as_seller)["args"]["docCid"] == cid
    for headers in ({}, login(env.client, OTHER_SELLER), login(env.client, STRANGER)):
        body = env.client.get(path, headers=headers).json()
        assert body["documentCid"] is None
        assert minted_entry(body)["args"]["docCid"] is None
    bad = env.client.get(path, headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401


def test_an_open_listing_shows_its_funding_progress(env: ApiEnv, market: MarketScenario) -> None:
    env.sync()
    invoice_id = market.open[1]  # 250,000 listed at 90%, 20,000 funded by investor 2
    body = env.client.get(f"/api/v1/invoices/{invoice_id}").json()
    price, raised, *_ = env.driver.c.escrow.functions.listingOf(invoice_id).call()
    assert body["status"] == "Listed"
    assert (body["listing"]["raised"], body["listing"]["remaining"]) == (str(raised), str(price - raised))
    assert body["listing"]["fundedPercent"] == raised * 100 / price
    market_item = next(
        i for i in walk(env.client, "/api/v1/invoices/marketplace", {"limit": 100}) if i["id"] == invoice_id
    )
    assert body["listing"]["expectedROI"] == market_item["expectedROI"]
    assert body["listing"]["daysToMaturity"] == market_item["daysToMaturity"]


def test_unknown_and_malformed_invoice_ids(env: ApiEnv) -> None:
    env.sync()
    unknown = invoice_count(env.node.w3, env.deployment) + 1000
    reply = env.client.get(f"/api/v1/invoices/{unknown}")
    assert reply.status_code == 404
    assert reply.json()["error"] == {
        "code": "not_found",
        "message": f"invoice {unknown} not found",
        "detail": {"invoiceId": unknown},
    }
    for bad in ("0", "-1", "abc", "1.5", str(2**63), str(2**256)):
        reply = env.client.get(f"/api/v1/invoices/{bad}")
        assert reply.status_code == 422, bad
        assert reply.json()["error"]["code"] == "invalid_request"


# ------------------------------------------------------------------------------------------------ SME invoices


def minted_by(env: ApiEnv, seller: str) -> list[int]:
    token = env.driver.c.token.functions
    return [
        e["args"]["invoiceId"]
        for e in logs(env.node.w3, env.deployment, "InvoiceToken", "InvoiceMinted")
        if e["args"]["seller"].lower() == seller.lower()
    ] or [token.nextInvoiceId().call()]


def test_a_seller_pages_through_all_their_invoices_newest_first(
    env: ApiEnv, market: MarketScenario, repaid: RepaidScenario, login: Login
) -> None:
    env.sync()
    seller = env.driver.address(OTHER_SELLER)
    headers = login(env.client, OTHER_SELLER)
    path = f"/api/v1/smes/{seller}/invoices"
    items = walk(env.client, path, {"limit": 2}, headers)
    ids = [i["id"] for i in items]
    assert ids == sorted(minted_by(env, seller), reverse=True)
    token, escrow = env.driver.c.token.functions, env.driver.c.escrow.functions
    for item in items:
        status = token.statusOf(item["id"]).call()
        assert (item["status"], item["seller"]) == (STATUS[status], seller.lower())
        price, raised, *_rest, state, _seller, _grace = escrow.listingOf(item["id"]).call()
        if state:
            assert (item["price"], item["raised"]) == (str(price), str(raised))
        else:
            assert item["listingState"] is None and item["price"] is None
    listed = walk(env.client, path, {"status": "Listed", "limit": 3}, headers)
    assert [i["id"] for i in listed] == [i for i in ids if STATUS[token.statusOf(i).call()] == "Listed"]
    assert listed


def test_a_sellers_invoices_are_refused_to_others_and_without_a_session(env: ApiEnv, login: Login) -> None:
    seller = env.driver.address(SELLER)
    path = f"/api/v1/smes/{seller}/invoices"
    assert env.client.get(path).status_code == 401
    assert env.client.get(path).json()["error"]["code"] == "unauthorized"
    assert env.client.get(path, headers={"Authorization": "Bearer x.y.z"}).status_code == 401
    for other in (OTHER_SELLER, STRANGER):
        reply = env.client.get(path, headers=login(env.client, other))
        assert reply.status_code == 403
        assert reply.json()["error"]["code"] == "forbidden"
    own = login(env.client, SELLER)
    assert env.client.get(path.lower(), headers=own).status_code == 200  # any spelling of one's own address
    for bad in ("0x1234", "not-an-address", "0x" + "g" * 40):
        assert env.client.get(f"/api/v1/smes/{bad}/invoices", headers=own).status_code == 422
    bad_params: list[dict[str, Any]] = [{"status": "Paid"}, {"limit": 0}, {"cursor": "%%%"}]
    for params in bad_params:
        assert env.client.get(path, params=params, headers=own).status_code == 422, params


# ------------------------------------------------------------------------------------------------ config


def test_config_gives_the_dapp_the_deployment_and_stablecoin(env: ApiEnv, make_env: Any) -> None:
    body = env.client.get("/api/v1/config").json()
    deployment, w3 = env.deployment, env.node.w3
    assert body["chainId"] == w3.eth.chain_id == deployment.chainId
    assert body["contracts"] == {name: deployment.address(name).lower() for name in deployment.contracts}
    coin = deployment.contract(w3, "Stablecoin").functions
    assert body["stablecoin"] == {
        "address": deployment.address("Stablecoin").lower(),
        "symbol": coin.symbol().call(),
        "decimals": coin.decimals().call(),
    }
    assert body["stablecoin"]["decimals"] == 6
    assert body["rpcUrl"] == env.node.url
    other = make_env(dapp_rpc_url="https://rpc.example.test", oracle_url="http://oracle.example.test")
    body = other.client.get("/api/v1/config").json()
    assert (body["rpcUrl"], body["oracleUrl"]) == ("https://rpc.example.test", "http://oracle.example.test")
    assert Web3.is_address(body["contracts"]["FundingEscrow"])
