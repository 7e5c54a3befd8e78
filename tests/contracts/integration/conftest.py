"""What the lifecycle tests share: an independent model of the repayment rules and balance snapshots of
every party. (The strict revert and event assertions are in tests/contracts/assertions.py.)

The model re-derives every amount from the rules in CONTRACTS.md (fees in basis points rounded up in the
protocol's favour, the yield fee only on the cumulative part above principal, anything above face to the
seller, a 2^96-scaled per-share accumulator rounded down, claims rounded down), so a test can assert balances
to the base unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.contracts.conftest import BPS, FEE_BPS, YIELD_FEE_BPS, ceil_div


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
        self.fees += fee
        self.net += net
        self.surplus += surplus
        return fee, net, surplus

    def transfer(self, sender: str, receiver: str, amount: int) -> None:
        """A share transfer: the sender keeps what its shares earned so far, the receiver starts from now."""
        self.corrections[sender] = self.corrections.get(sender, 0) + self.net * amount
        self.corrections[receiver] = self.corrections.get(receiver, 0) - self.net * amount

    def earned(self, holder: str, balance: int) -> int:
        """floor((net * balance + correction) / principal): exact integers, one division."""
        return (self.net * balance + self.corrections.get(holder, 0)) // self.principal


def balances(stablecoin: Any, parties: dict[str, Any]) -> dict[str, int]:
    """Stablecoin balance of every named party."""
    return {name: int(stablecoin.balanceOf(who)) for name, who in parties.items()}


def deltas(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before}


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
