"""Unit tests of MockStablecoin: 6 decimals, the capped open faucet, and EIP-2612 permits signed in Python."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import ape
import ape_test.accounts as ape_test_accounts
import pytest
from ape.exceptions import CustomError
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import is_address, keccak, to_checksum_address

from tests.contracts.conftest import UNIT

LIMIT = 10_000_000 * UNIT  # 1 crore rupees
ZERO_ADDRESS = "0x" + "00" * 20


@pytest.fixture(autouse=True, scope="module")
def _cache_dev_accounts():
    """Speed only: ape-foundry prints a call trace on every revert, and enriching it re-derives every dev
    account from the mnemonic (~0.8 s per revert). Derivation is deterministic: cache it per index here."""
    container = ape_test_accounts.TestAccountContainer
    original = container.generate_account
    cache: dict[int, Any] = {}

    def generate_account(self, index=None):
        if index is None:
            return original(self, index)
        if index not in cache:
            cache[index] = original(self, index)
        return cache[index]

    container.generate_account = generate_account
    yield
    container.generate_account = original


@pytest.fixture(autouse=True, scope="module")
def _roles_first(system, admin, sme, investors, investor, stranger, buyer, treasury_account):
    """Creates the session fixtures before the first function snapshot (ape rebases if one comes later)."""


def _norm(value: Any) -> Any:
    return value.address if hasattr(value, "address") else value


@contextmanager
def reverts(error: Any, **inputs: Any):
    """Asserts a revert with the custom error `error` (a contract's error class or ErrorABI) and exactly
    these argument values. ape decodes the custom errors of transactions; those of deployments and views
    arrive as raw data, so those are decoded here against the error's ABI."""
    abi = getattr(error, "abi", error)
    with ape.reverts() as info:
        yield info
    exc = info.value
    if isinstance(exc, CustomError):
        actual_name, actual = type(exc).__name__, dict(exc.inputs)
    else:
        raw = str(exc.revert_message or "")
        if raw.startswith("custom error 0x"):  # a view: "custom error 0x<selector>: <argument bytes>"
            selector, _, data = raw[len("custom error ") :].partition(": ")
            payload = bytes.fromhex(selector[2:]) + data.encode("latin-1")
        else:  # a deployment: "0x<selector><arguments>"
            payload = bytes.fromhex(raw.removeprefix("0x"))
        assert payload[:4] == keccak(text=abi.selector)[:4], f"expected {abi.name}, got {exc!r}"
        values = abi_decode([i.canonical_type for i in abi.inputs], payload[4:])
        actual_name, actual = abi.name, {i.name: v for i, v in zip(abi.inputs, values, strict=True)}
        actual = {k: to_checksum_address(v) if isinstance(v, str) and is_address(v) else v for k, v in actual.items()}
    assert actual_name == abi.name, f"expected {abi.name}, got {actual_name}: {exc}"
    for name, expected in inputs.items():
        assert name in actual, f"{abi.name} has no input {name!r}: {actual}"
        assert actual[name] == _norm(expected), f"{name}: {actual[name]!r} != {_norm(expected)!r}"


def error_abi(container: Any, name: str) -> Any:
    """The ErrorABI `name` of a contract type (for reverts before an instance exists)."""
    found = [e for e in container.contract_type.abi if e.type == "error" and e.name == name]
    assert found, f"{container.contract_type.name} has no error {name} (is .build/ stale? ape compile --force)"
    return found[0]


def assert_event(receipt: Any, event: Any, **expected: Any) -> None:
    address = event.contract.address
    logs = [dict(log.event_arguments) for log in receipt.events.filter(event) if log.contract_address == address]
    assert len(logs) == 1, f"expected one {event.abi.name}, got {logs}"
    assert logs[0] == {k: _norm(v) for k, v in expected.items()}


def sign_permit(
    stablecoin: Any,
    chain: Any,
    owner: Any,
    spender: Any,
    value: int,
    deadline: int,
    *,
    nonce: int | None = None,
    key: str | None = None,
) -> tuple[int, bytes, bytes]:
    message = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {
            "name": "Hundi Test Rupee",
            "version": "1",
            "chainId": chain.chain_id,
            "verifyingContract": stablecoin.address,
        },
        "message": {
            "owner": owner.address,
            "spender": _norm(spender),
            "value": value,
            "nonce": stablecoin.nonces(owner) if nonce is None else nonce,
            "deadline": deadline,
        },
    }
    signed = Account.sign_typed_data(key or owner.private_key, full_message=message)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


def test_metadata_is_a_six_decimal_rupee(stablecoin):
    assert stablecoin.decimals() == 6
    assert stablecoin.name() == "Hundi Test Rupee"
    assert stablecoin.symbol() == "hINR"
    assert stablecoin.FAUCET_LIMIT() == LIMIT


def test_faucet_mints_to_caller(stablecoin, stranger):
    supply = stablecoin.totalSupply()
    receipt = stablecoin.faucet(2_500 * UNIT, sender=stranger)
    assert_event(receipt, stablecoin.Transfer, **{"from": ZERO_ADDRESS, "to": stranger.address}, value=2_500 * UNIT)
    assert stablecoin.balanceOf(stranger) == 2_500 * UNIT
    assert stablecoin.totalSupply() == supply + 2_500 * UNIT


def test_faucet_accepts_exactly_the_limit_and_refuses_more(stablecoin, stranger):
    stablecoin.faucet(LIMIT, sender=stranger)
    assert stablecoin.balanceOf(stranger) == LIMIT
    with reverts(stablecoin.FaucetLimitExceeded, requested=LIMIT + 1, limit=LIMIT):
        stablecoin.faucet(LIMIT + 1, sender=stranger)
    assert stablecoin.balanceOf(stranger) == LIMIT


def test_mint_credits_the_recipient_and_is_capped_per_call(stablecoin, stranger, sme):
    before = stablecoin.balanceOf(sme)
    receipt = stablecoin.mint(sme, 700 * UNIT, sender=stranger)
    assert_event(receipt, stablecoin.Transfer, **{"from": ZERO_ADDRESS, "to": sme.address}, value=700 * UNIT)
    assert stablecoin.balanceOf(sme) == before + 700 * UNIT
    assert stablecoin.balanceOf(stranger) == 0
    with reverts(stablecoin.FaucetLimitExceeded, requested=LIMIT + 1, limit=LIMIT):
        stablecoin.mint(sme, LIMIT + 1, sender=stranger)


def test_domain_separator_is_the_eip712_domain_name_version_1(stablecoin, chain):
    typehash = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    expected = keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [typehash, keccak(text="Hundi Test Rupee"), keccak(text="1"), chain.chain_id, stablecoin.address],
        )
    )
    assert stablecoin.DOMAIN_SEPARATOR() == expected


def test_permit_sets_allowance_and_spends_the_nonce(stablecoin, chain, investor, sme, stranger):
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(stablecoin, chain, investor, sme, 1_500 * UNIT, deadline)
    nonce = stablecoin.nonces(investor)

    receipt = stablecoin.permit(investor, sme, 1_500 * UNIT, deadline, v, r, s, sender=stranger)  # anyone submits

    assert_event(receipt, stablecoin.Approval, owner=investor, spender=sme, value=1_500 * UNIT)
    assert stablecoin.allowance(investor, sme) == 1_500 * UNIT
    assert stablecoin.nonces(investor) == nonce + 1
    before = stablecoin.balanceOf(investor)
    stablecoin.transferFrom(investor, sme, 1_500 * UNIT, sender=sme)
    assert stablecoin.balanceOf(investor) == before - 1_500 * UNIT
    assert stablecoin.allowance(investor, sme) == 0


def test_permit_cannot_be_replayed(stablecoin, chain, investor, sme):
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(stablecoin, chain, investor, sme, 1_500 * UNIT, deadline)
    stablecoin.permit(investor, sme, 1_500 * UNIT, deadline, v, r, s, sender=sme)
    stablecoin.transferFrom(investor, sme, 1_000 * UNIT, sender=sme)
    with reverts(stablecoin.ERC2612InvalidSigner, owner=investor):
        stablecoin.permit(investor, sme, 1_500 * UNIT, deadline, v, r, s, sender=sme)
    assert stablecoin.allowance(investor, sme) == 500 * UNIT


def test_permit_signed_by_another_key_reverts(stablecoin, chain, investor, sme, stranger):
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(stablecoin, chain, investor, sme, 1_500 * UNIT, deadline, key=stranger.private_key)
    with reverts(stablecoin.ERC2612InvalidSigner, signer=stranger, owner=investor):
        stablecoin.permit(investor, sme, 1_500 * UNIT, deadline, v, r, s, sender=sme)
    assert stablecoin.allowance(investor, sme) == 0


def test_permit_past_its_deadline_reverts(stablecoin, chain, investor, sme):
    deadline = chain.pending_timestamp + 60
    v, r, s = sign_permit(stablecoin, chain, investor, sme, 1_500 * UNIT, deadline)
    chain.pending_timestamp = deadline + 1
    with reverts(stablecoin.ERC2612ExpiredSignature, deadline=deadline):
        stablecoin.permit(investor, sme, 1_500 * UNIT, deadline, v, r, s, sender=sme)
    assert stablecoin.nonces(investor) == 0
