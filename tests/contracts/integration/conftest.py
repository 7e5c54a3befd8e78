"""What the lifecycle tests share: an independent model of the repayment rules, balance snapshots of
every party, and a strict custom-error assertion.

The model re-derives every amount from the rules in CONTRACTS.md (fees in basis points rounded up in the
protocol's favour, the yield fee only on the cumulative part above principal, anything above face to the
seller, a 2^96-scaled per-share accumulator rounded down, claims rounded down), so a test can assert balances
to the base unit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import ape
import pytest
from ape.exceptions import ContractLogicError, CustomError
from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from hexbytes import HexBytes

from tests.contracts.conftest import FEE_BPS, YIELD_FEE_BPS

BPS = 10_000
MAGNITUDE = 2**96


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def listing_fee(price: int, fee_bps: int = FEE_BPS) -> int:
    """The platform fee on an advance: basis points of the price, rounded up."""
    return ceil_div(price * fee_bps, BPS)


@dataclass
class BookModel:
    """An invoice's repayment book as the rules define it, tracked in Python alongside the chain."""

    principal: int
    face: int
    yield_fee_bps: int = YIELD_FEE_BPS
    repaid: int = 0
    acc: int = 0
    fees: int = 0
    net: int = 0
    surplus: int = 0
    corrections: dict[str, int] = field(default_factory=dict)

    def _cumulative_fee(self, held: int) -> int:
        return ceil_div((held - self.principal) * self.yield_fee_bps, BPS) if held > self.principal else 0

    def repay(self, amount: int) -> tuple[int, int, int]:
        """Apply a repayment; returns (yield fee, net to holders, surplus to the seller) of this payment."""
        before, total = self.repaid, self.repaid + amount
        held_before, held_after = min(before, self.face), min(total, self.face)
        fee = self._cumulative_fee(held_after) - self._cumulative_fee(held_before)
        net = held_after - held_before - fee
        surplus = amount - (held_after - held_before)
        self.repaid = total
        self.acc += net * MAGNITUDE // self.principal
        self.fees += fee
        self.net += net
        self.surplus += surplus
        return fee, net, surplus

    def transfer(self, sender: str, receiver: str, amount: int) -> None:
        """A share transfer: the sender keeps what its shares earned so far, the receiver starts from now."""
        self.corrections[sender] = self.corrections.get(sender, 0) + self.acc * amount
        self.corrections[receiver] = self.corrections.get(receiver, 0) - self.acc * amount

    def earned(self, holder: str, balance: int) -> int:
        return (self.acc * balance + self.corrections.get(holder, 0)) // MAGNITUDE


def balances(stablecoin: Any, parties: dict[str, Any]) -> dict[str, int]:
    """Stablecoin balance of every named party."""
    return {name: int(stablecoin.balanceOf(who)) for name, who in parties.items()}


def deltas(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before}


def decode_error(exc: Exception, *contracts: Any) -> tuple[str, dict[str, Any]]:
    """The custom error name and arguments of a revert.

    ape decodes most custom errors itself, but not always one raised by a contract further down the call
    (the hub's errors under `settleRepayment`); those arrive as raw revert data, decoded here against the
    ABIs of `contracts`.
    """
    if isinstance(exc, CustomError):
        return type(exc).__name__, dict(exc.inputs)
    assert isinstance(exc, ContractLogicError), f"not a revert: {exc!r}"
    raw = HexBytes(exc.revert_message) if str(exc.revert_message).startswith("0x") else b""
    for contract in contracts:
        for abi in contract.contract_type.errors:
            if len(raw) >= 4 and function_signature_to_4byte_selector(abi.selector) == raw[:4]:
                values = abi_decode([i.canonical_type for i in abi.inputs], raw[4:])
                return abi.name, {
                    i.name: to_checksum_address(v) if i.canonical_type == "address" else v
                    for i, v in zip(abi.inputs, values, strict=True)
                }
    raise AssertionError(f"revert is not a custom error of {[c.contract_type.name for c in contracts]}: {exc!r}")


def assert_error(exc: Exception, names: tuple[str, ...], contracts: tuple[Any, ...], **inputs: Any) -> dict[str, Any]:
    """Assert `exc` is one of the custom errors `names` with these argument values; return its arguments."""
    name, actual_inputs = decode_error(exc, *contracts)
    assert name in names, f"expected {' or '.join(names)}, got {name}({actual_inputs})"
    for arg, expected in inputs.items():
        assert arg in actual_inputs, f"{name} has no argument {arg!r} (it has {sorted(actual_inputs)})"
        actual = actual_inputs[arg]
        if isinstance(expected, str) and isinstance(actual, str):
            assert actual.lower() == expected.lower(), f"{name}.{arg}: expected {expected}, got {actual}"
        else:
            assert actual == expected, f"{name}.{arg}: expected {expected!r}, got {actual!r}"
    return actual_inputs


@contextmanager
def reverts_with(error: Any, **inputs: Any) -> Iterator[Any]:
    """Expect a revert with exactly the custom error `error` (e.g. `hub.UnknownSigner`) and these arguments.

    Stricter than a bare `ape.reverts(error)`, which lets a revert that was not decoded as a custom error
    pass and silently skips argument names the error does not have.
    """
    with ape.reverts() as info:
        yield info
    assert_error(info.value, (error.__name__,), (error.contract,), **inputs)


def events(receipt: Any, event: Any) -> list[Any]:
    """The decoded logs of `event` in `receipt`, emitted by the contract `event` belongs to."""
    address = event.contract.address
    return [log for log in receipt.decode_logs(event) if log.contract_address == address]


@pytest.fixture
def parties(system: Any, sme: Any, investors: list[Any], buyer: Any, admin: Any) -> dict[str, Any]:
    """Every party whose stablecoin balance a lifecycle changes."""
    return {
        "seller": sme,
        "inv0": investors[0],
        "inv1": investors[1],
        "inv2": investors[2],
        "buyer": buyer,
        "collector": admin,
        "treasury": system.treasury,
        "escrow": system.escrow,
        "distributor": system.distributor,
    }
