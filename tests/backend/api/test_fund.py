"""Funding transactions (INVESTOR): the API's unsigned approve + fund transactions and its EIP-2612 permit, signed
by the investor's dev key and sent to anvil, really fund the listing; every precondition of FundingEscrow.fund is
refused up front with a clear 4xx; strangers and SMEs are refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_account import Account
from web3 import Web3

from hundi.chain.devkeys import dev_account
from tests.backend.api.conftest import STRANGER, ApiEnv
from tests.backend.localchain import INVESTOR, UNIT

Login = Callable[..., dict[str, str]]
SELLER, INVESTOR_A, INVESTOR_B, INVESTOR_C = 1, 2, 3, 4
POOR_INVESTOR = 15  # INVESTOR KYC, no stablecoin
REVOKED_INVESTOR = 16  # signs in as an investor, then loses the KYC
MAX = 2**256 - 1


def listing(
    env: ApiEnv, *, price: int = 50_000 * UNIT, min_ticket: int = 1_000 * UNIT, deadline_in: int = 7 * 86400
) -> int:
    """A new verified invoice listed for funding; its id."""
    invoice_id = env.driver.mint(face=price * 105 // 100)
    env.driver.verify(invoice_id)
    env.driver.list(invoice_id, price=price, min_ticket=min_ticket, deadline_in=deadline_in)
    return invoice_id


def fund(env: ApiEnv, invoice_id: int, headers: dict[str, str], **body: Any) -> Any:
    return env.client.post(f"/api/v1/invoices/{invoice_id}/fund", json=body, headers=headers)


def assert_error(reply: Any, status: int, code: str) -> None:
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]["code"] == code, reply.text


def set_allowance(env: ApiEnv, who: int, amount: int) -> None:
    coin, escrow = env.driver.c.stablecoin, env.driver.c.escrow
    env.driver.send(who, coin.functions.approve(escrow.address, amount))


def raised(env: ApiEnv, invoice_id: int) -> int:
    return int(env.driver.c.escrow.functions.listingOf(invoice_id).call()[1])


def shares(env: ApiEnv, invoice_id: int, who: int) -> int:
    return int(env.driver.c.shares.functions.balanceOf(env.driver.address(who), invoice_id).call())


def test_approve_and_fund_transactions_fund_the_listing(env: ApiEnv, login: Login) -> None:
    invoice_id = listing(env)
    set_allowance(env, INVESTOR_A, 0)
    headers = login(env.client, INVESTOR_A)
    amount = 12_345 * UNIT
    reply = fund(env, invoice_id, headers, amount=str(amount), mode="approve")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["remaining"] == str(50_000 * UNIT) and body["minTicket"] == str(1_000 * UNIT)
    assert body["allowance"] == "0" and body["permit"] is None
    txs = body["transactions"]
    assert [t["to"] for t in txs] == [env.deployment.address("Stablecoin"), env.deployment.address("FundingEscrow")]
    for tx in txs:
        assert tx["from"] == env.driver.address(INVESTOR_A)
        assert tx["chainId"] == env.deployment.chainId and tx["value"] == "0" and tx["description"]
    balance = env.driver.c.stablecoin.functions.balanceOf(env.driver.address(INVESTOR_A)).call()
    for tx in txs:
        env.send(INVESTOR_A, tx)
    assert raised(env, invoice_id) == amount
    assert shares(env, invoice_id, INVESTOR_A) == amount
    assert env.driver.c.stablecoin.functions.balanceOf(env.driver.address(INVESTOR_A)).call() == balance - amount
    set_allowance(env, INVESTOR_A, MAX)  # as onboarded, for the other tests


def test_an_existing_allowance_needs_only_the_fund_transaction(env: ApiEnv, login: Login) -> None:
    invoice_id = listing(env)
    headers = login(env.client, INVESTOR_B)
    reply = fund(env, invoice_id, headers, amount=str(2_000 * UNIT))
    assert reply.status_code == 200, reply.text
    (tx,) = reply.json()["transactions"]
    assert tx["to"] == env.deployment.address("FundingEscrow")
    env.send(INVESTOR_B, tx)
    assert shares(env, invoice_id, INVESTOR_B) == 2_000 * UNIT


def test_a_signed_permit_and_fund_with_permit_fund_the_listing(env: ApiEnv, login: Login) -> None:
    invoice_id = listing(env)
    set_allowance(env, INVESTOR_C, 0)
    headers = login(env.client, INVESTOR_C)
    amount = 3_000 * UNIT
    reply = fund(env, invoice_id, headers, amount=str(amount), mode="permit")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["transactions"] == []
    permit = body["permit"]
    typed = permit["typedData"]
    message = typed["message"]
    assert message["owner"] == env.driver.address(INVESTOR_C)
    assert message["spender"] == env.deployment.address("FundingEscrow")
    assert message["value"] == str(amount)
    assert typed["domain"]["verifyingContract"] == env.deployment.address("Stablecoin")
    assert int(message["deadline"]) > env.driver.now

    # The wallet signs the typed data (uint values arrive as decimal strings) ...
    signable = {**typed, "message": {**message, **{k: int(message[k]) for k in ("value", "nonce", "deadline")}}}
    signed = Account.sign_typed_data(dev_account(INVESTOR_C).key, full_message=signable)
    # ... and sends fundWithPermit from the template.
    call = permit["call"]
    assert call["from"] == env.driver.address(INVESTOR_C)
    escrow = env.node.w3.eth.contract(address=Web3.to_checksum_address(call["to"]), abi=call["abi"])
    args = call["args"]
    data = escrow.encode_abi(
        "fundWithPermit",
        args=[
            int(args["invoiceId"]),
            int(args["amount"]),
            int(args["permitDeadline"]),
            signed.v,
            signed.r.to_bytes(32, "big"),
            signed.s.to_bytes(32, "big"),
        ],
    )
    env.send(
        INVESTOR_C,
        {"to": call["to"], "data": data, "value": call["value"], "chainId": call["chainId"], "from": call["from"]},
    )
    assert raised(env, invoice_id) == amount
    assert shares(env, invoice_id, INVESTOR_C) == amount
    set_allowance(env, INVESTOR_C, MAX)


def test_the_exact_remainder_is_accepted_below_the_minimum_ticket(env: ApiEnv, login: Login) -> None:
    price = 10_000 * UNIT
    invoice_id = listing(env, price=price, min_ticket=5_000 * UNIT)
    env.driver.fund(invoice_id, INVESTOR_A, 9_000 * UNIT)
    headers = login(env.client, INVESTOR_B)
    assert_error(fund(env, invoice_id, headers, amount=str(500 * UNIT)), 422, "amount_below_min_ticket")
    reply = fund(env, invoice_id, headers, amount=str(1_000 * UNIT))
    assert reply.status_code == 200, reply.text
    for tx in reply.json()["transactions"]:
        env.send(INVESTOR_B, tx)
    assert raised(env, invoice_id) == price
    assert env.driver.c.token.functions.statusOf(invoice_id).call() == 5  # Funded
    # Now the listing is closed: 409, with nothing for the wallet to sign.
    assert_error(fund(env, invoice_id, headers, amount=str(1_000 * UNIT)), 409, "listing_not_open")


def test_amounts_outside_the_listing_rules_are_422(env: ApiEnv, login: Login) -> None:
    invoice_id = listing(env, price=20_000 * UNIT, min_ticket=2_000 * UNIT)
    headers = login(env.client, INVESTOR_A)
    assert_error(fund(env, invoice_id, headers, amount=str(1_999 * UNIT)), 422, "amount_below_min_ticket")
    assert_error(fund(env, invoice_id, headers, amount=str(20_000 * UNIT + 1)), 422, "amount_exceeds_remaining")
    assert_error(fund(env, invoice_id, headers, amount="0"), 422, "invalid_amount")
    assert_error(fund(env, invoice_id, headers, amount=str(2**128)), 422, "invalid_amount")
    for bad in ("-5", "1.5", "1e9", "", "abc", " 100", "9" * 40):
        assert_error(fund(env, invoice_id, headers, amount=bad), 422, "invalid_request")
    for body in ({}, {"amount": 1000}, {"amount": "1000", "mode": "steal"}, {"amount": "1000", "deadline": -1}):
        reply = env.client.post(f"/api/v1/invoices/{invoice_id}/fund", json=body, headers=headers)
        assert_error(reply, 422, "invalid_request")
    past = env.driver.now - 1
    reply = fund(env, invoice_id, headers, amount=str(2_000 * UNIT), mode="permit", deadline=past)
    assert_error(reply, 422, "invalid_deadline")
    assert raised(env, invoice_id) == 0


def test_unlisted_closed_and_expired_listings_are_refused(env: ApiEnv, login: Login) -> None:
    headers = login(env.client, INVESTOR_A)
    minted = env.driver.mint(face=1_000 * UNIT)  # minted, never listed
    assert_error(fund(env, minted, headers, amount=str(100 * UNIT)), 404, "not_listed")
    assert_error(fund(env, 10**12, headers, amount=str(100 * UNIT)), 404, "not_listed")
    for bad_id in ("0", "-1", "abc", str(2**256)):
        reply = env.client.post(f"/api/v1/invoices/{bad_id}/fund", json={"amount": "1"}, headers=headers)
        assert_error(reply, 422, "invalid_request")
    short = listing(env, deadline_in=60)
    env.node.travel(120)
    assert_error(fund(env, short, headers, amount=str(1_000 * UNIT)), 409, "funding_closed")


def test_only_a_currently_kycd_investor_with_the_funds_gets_transactions(env: ApiEnv, login: Login) -> None:
    invoice_id = listing(env)
    body = {"amount": str(1_000 * UNIT)}
    assert_error(fund(env, invoice_id, {}, **body), 401, "unauthorized")
    assert_error(fund(env, invoice_id, login(env.client, SELLER), **body), 403, "forbidden")
    assert_error(fund(env, invoice_id, login(env.client, STRANGER), **body), 403, "forbidden")

    poor = dev_account(POOR_INVESTOR).address
    env.driver.set_kyc(poor, INVESTOR)
    assert_error(fund(env, invoice_id, login(env.client, POOR_INVESTOR), **body), 422, "insufficient_balance")

    revoked = dev_account(REVOKED_INVESTOR).address
    env.driver.set_kyc(revoked, INVESTOR)
    headers = login(env.client, REVOKED_INVESTOR)  # roles read now: INVESTOR
    env.driver.set_kyc(revoked, 0, 0)  # then the KYC officer revokes it
    assert_error(fund(env, invoice_id, headers, **body), 403, "kyc_invalid")

    signed_out = login(env.client, INVESTOR_A)
    assert env.client.post("/api/v1/auth/logout", headers=signed_out).status_code == 200
    assert_error(fund(env, invoice_id, signed_out, **body), 401, "session_revoked")
    assert raised(env, invoice_id) == 0
