"""The test wallet itself, driven from a real page: if it did not behave like an extension wallet, every dApp test
built on it would prove nothing. Discovery (window.ethereum, EIP-6963), connecting, signing that recovers to the
dev account, raw transactions that reach the chain, reverts that carry their data, and chain switching."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak
from playwright.sync_api import Page

from hundi.chain.devkeys import dev_account
from tests.e2e.conftest import PersonFactory
from tests.e2e.stack import INVESTOR_A, INVESTOR_B, UNIT, Stack
from tests.e2e.wallet import CHAIN_DISCONNECTED, UNAUTHORIZED, UNRECOGNIZED_CHAIN, WRONG_CHAIN_ID

pytestmark = pytest.mark.e2e

_REQUEST = """async ([method, params]) => {
  try {
    return { result: await window.ethereum.request({ method, params }) };
  } catch (e) {
    return { error: { code: e.code, message: e.message, data: e.data ?? null } };
  }
}"""

# Record every accountsChanged / chainChanged the page hears, as an app's listener would.
_LISTEN = """() => {
  window.__heard = [];
  for (const event of ["accountsChanged", "chainChanged"]) {
    window.ethereum.on(event, (payload) => window.__heard.push([event, payload]));
  }
}"""


def request(page: Page, method: str, params: Any = None) -> dict[str, Any]:
    reply: dict[str, Any] = page.evaluate(_REQUEST, [method, params if params is not None else []])
    return reply


def heard(page: Page, count: int) -> list[list[Any]]:
    page.wait_for_function("n => window.__heard.length >= n", arg=count)
    events: list[list[Any]] = page.evaluate("() => window.__heard")
    return events


def test_wallet_is_injected_and_announced_like_an_extension(people: PersonFactory) -> None:
    page = people("investor", INVESTOR_A).goto("/")
    assert page.evaluate("() => typeof window.ethereum.request") == "function"
    assert page.evaluate("() => window.ethereum.isMetaMask") is False
    announced = page.evaluate(
        """() => {
          const seen = [];
          window.addEventListener("eip6963:announceProvider", (e) => seen.push({
            ...e.detail.info, same: e.detail.provider === window.ethereum, frozen: Object.isFrozen(e.detail) }));
          window.dispatchEvent(new Event("eip6963:requestProvider"));
          return seen;
        }"""
    )
    assert len(announced) == 1
    info = announced[0]
    assert info["name"] == "Hundi Test Wallet"
    assert info["icon"].startswith("data:image/svg+xml")
    assert info["rdns"] == "org.hundi.testwallet"
    assert len(info["uuid"]) == 36 and info["same"] and info["frozen"]


def test_wallet_connects_then_signs_messages_and_typed_data_as_the_dev_account(
    people: PersonFactory, stack: Stack
) -> None:
    person = people("investor", INVESTOR_A)
    page = person.goto("/")
    page.evaluate(_LISTEN)
    me = dev_account(INVESTOR_A).address
    assert request(page, "eth_accounts") == {"result": []}  # nothing is shared before the site asks
    assert request(page, "personal_sign", ["0x00", me])["error"]["code"] == UNAUTHORIZED
    assert request(page, "eth_requestAccounts") == {"result": [me.lower()]}
    assert heard(page, 1) == [["accountsChanged", [me.lower()]]]
    assert request(page, "eth_chainId") == {"result": hex(stack.chain_id)}

    text = "Sign in to Hundi\nNonce: 12345"
    signature = request(page, "personal_sign", ["0x" + text.encode().hex(), me.lower()])["result"]
    assert Account.recover_message(encode_defunct(text=text), signature=signature) == me

    typed = {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
            "Ticket": [{"name": "amount", "type": "uint256"}],
        },
        "primaryType": "Ticket",
        "domain": {"name": "Hundi", "chainId": stack.chain_id},
        "message": {"amount": "1000000"},
    }
    signature = request(page, "eth_signTypedData_v4", [me.lower(), json.dumps(typed)])["result"]
    assert Account.recover_message(_typed(typed), signature=signature) == me
    other = dev_account(INVESTOR_B).address
    assert request(page, "personal_sign", ["0x00", other])["error"]["code"] == UNAUTHORIZED


def _typed(message: dict[str, Any]) -> Any:
    from eth_account.messages import encode_typed_data

    return encode_typed_data(full_message=message)


def test_wallet_sends_signed_transactions_and_passes_reverts_through_with_their_data(
    people: PersonFactory, stack: Stack
) -> None:
    page = people("investor", INVESTOR_A).goto("/")
    request(page, "eth_requestAccounts")
    c = stack.deployment.handles(stack.w3)
    me, other = dev_account(INVESTOR_A).address, dev_account(INVESTOR_B).address
    before = c.stablecoin.functions.balanceOf(other).call()
    data = c.stablecoin.encode_abi("transfer", [other, 123 * UNIT])
    reply = request(page, "eth_sendTransaction", [{"from": me.lower(), "to": c.stablecoin.address, "data": data}])
    receipt = stack.w3.eth.wait_for_transaction_receipt(reply["result"], timeout=30)
    assert receipt["status"] == 1 and receipt["from"] == me
    assert c.stablecoin.functions.balanceOf(other).call() - before == 123 * UNIT
    assert request(page, "eth_getTransactionReceipt", [reply["result"]])["result"]["status"] == "0x1"

    # Funding an invoice that is not listed reverts with the escrow's custom error; its data reaches the page.
    data = c.escrow.encode_abi("fund", [999_999, 5 * UNIT])
    error = request(page, "eth_sendTransaction", [{"from": me.lower(), "to": c.escrow.address, "data": data}])["error"]
    assert error["code"] == 3, error
    assert error["data"].startswith("0x" + keccak(text="ListingNotOpen(uint256,uint8)")[:4].hex()), error


def test_wallet_reports_a_wrong_chain_until_switched_and_then_emits_chain_changed(
    people: PersonFactory, stack: Stack
) -> None:
    person = people("investor", INVESTOR_A, chain_id=WRONG_CHAIN_ID)
    page = person.goto("/")
    page.evaluate(_LISTEN)
    request(page, "eth_requestAccounts")
    me = dev_account(INVESTOR_A).address.lower()
    assert request(page, "eth_chainId") == {"result": hex(WRONG_CHAIN_ID)}
    c = stack.deployment.handles(stack.w3)
    tx = {"from": me, "to": c.stablecoin.address, "data": "0x"}
    assert request(page, "eth_sendTransaction", [tx])["error"]["code"] == CHAIN_DISCONNECTED

    assert request(page, "wallet_switchEthereumChain", [{"chainId": "0x4242"}])["error"]["code"] == UNRECOGNIZED_CHAIN
    added = {"chainId": "0x4242", "chainName": "Elsewhere", "rpcUrls": ["http://127.0.0.1:1"]}
    assert request(page, "wallet_addEthereumChain", [added]) == {"result": None}
    assert request(page, "wallet_switchEthereumChain", [{"chainId": hex(stack.chain_id)}]) == {"result": None}
    assert request(page, "eth_chainId") == {"result": hex(stack.chain_id)}
    assert heard(page, 3) == [
        ["accountsChanged", [me]],
        ["chainChanged", "0x4242"],
        ["chainChanged", hex(stack.chain_id)],
    ]

    person.wallet.switch_account(INVESTOR_B)  # from the wallet's menu: the page is told
    assert heard(page, 4)[3] == ["accountsChanged", [dev_account(INVESTOR_B).address.lower()]]
    assert request(page, "eth_accounts") == {"result": [dev_account(INVESTOR_B).address.lower()]}
