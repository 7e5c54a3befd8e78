"""A Hypothesis state machine over the whole deployed system: it checks the eight invariants of CONTRACTS.md
("Invariants") after every step, plus the money-conservation and pro-rata properties listed in PROPERTIES.md.

Random actors (the SME, three KYC'd investors, a stranger without KYC, the buyer, the collector, a keeper and a donor)
mint, verify, list, fund, cancel, refund, repay, settle bank reports, transfer shares, claim, default and warp time.
A Python model follows every call by the documented rules and predicts either the exact state change or the custom
error of the revert; the invariants then compare the chain with the model and with itself.

Speed. ape's transaction path (gas estimate, receipt decoding, and a call trace for every revert) costs 30-80 ms per
transaction and ~350 ms per expected revert on this machine, ten times the per-step budget of 100 x 30 steps in under
8 minutes. So the machine talks to the same anvil through ape's provider with pre-encoded JSON-RPC: transactions are
`eth_sendTransaction` from anvil's unlocked dev accounts, expected reverts are `eth_call`s against the pending block
(decoded into the contracts' custom error names), and each step's invariant reads go out as one JSON-RPC batch.
ABIs and addresses come from ape's compile output and the `system` deployment.

Determinism. Block timestamps advance exactly one second per block (`anvil_setBlockTimestampInterval`), warps are
explicit, and keys and nonces come from per-example counters, so an example replays identically while Hypothesis
shrinks it. Each example starts from a chain snapshot taken over a seeded pool of invoices in every status.
"""

from __future__ import annotations

import copy
import functools
import itertools
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

import pytest
from eth_abi import decode, encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from hundi.chain.reports import Repayment, Verification, report_digest, sign_all
from tests.contracts.conftest import (
    ALL_CHECKS,
    ALLOWED_EDGES,
    BPS,
    BURNABLE,
    CANCELLED,
    DAY,
    DEFAULTED,
    FUNDED,
    LISTED,
    MINTED,
    NONE,
    REJECTED,
    REPAID,
    VERIFIED,
    ceil_div,
)
from tests.contracts.properties.conftest import profile_timeout

log = logging.getLogger(__name__)

# FundingEscrow.ListingState and RepaymentDistributor.BookState.
L_NONE, L_OPEN, L_FUNDED, L_CANCELLED = range(4)
B_NONE, B_FUNDED, B_REPAID, B_DEFAULTED = range(4)
MAX_FEE_BPS, MAX_YIELD_FEE_BPS, MAX_GRACE = 500, 2000, 365 * DAY
SME_ROLE, INVESTOR_ROLE = 1, 2  # KycRegistry role bits
GAS = 3_000_000
ZERO_ADDRESS = "0x" + "00" * 20
BUYER_ID = keccak(text="27AAPFU0939F1ZV")
TRANSFER_TOPIC = keccak(text="Transfer(address,address,uint256)")
CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"

PAUSABLE = ("token", "hub", "escrow", "shares", "dist")


# ---------------------------------------------------------------------------------------------------------- driver


class RpcError(Exception):
    """A JSON-RPC error that is not a contract revert."""


@dataclass(frozen=True)
class Reverted:
    """A decoded revert: the custom error's name and arguments."""

    name: str
    args: tuple[Any, ...]


class Rpc:
    """Pre-encoded calls to the deployed contracts over ape's provider connection (see the module docstring)."""

    def __init__(self, http: Any, contracts: dict[str, Any]) -> None:
        self._http = http
        self.address: dict[str, str] = {}
        self._fns: dict[tuple[str, str], tuple[bytes, list[str], list[str]]] = {}
        self._fields: dict[tuple[str, str], list[str]] = {}  # a struct output's field names
        self._errors: dict[bytes, tuple[str, list[str]]] = {
            keccak(text="Error(string)")[:4]: ("Error", ["string"]),
            keccak(text="Panic(uint256)")[:4]: ("Panic", ["uint256"]),
        }
        for name, contract in contracts.items():
            self.address[name] = str(contract.address)
            for abi in contract.contract_type.abi:
                if abi.type == "function":
                    fn = (
                        keccak(text=abi.selector)[:4],
                        [i.canonical_type for i in abi.inputs],
                        [o.canonical_type for o in abi.outputs],
                    )
                    self._fns.setdefault((name, abi.name), fn)
                    self._fns[(name, abi.selector)] = fn
                    if len(abi.outputs) == 1 and abi.outputs[0].components:
                        self._fields[(name, abi.name)] = [c.name for c in abi.outputs[0].components]
                elif abi.type == "error":
                    self._errors[keccak(text=abi.selector)[:4]] = (abi.name, [i.canonical_type for i in abi.inputs])

    def has(self, contract: str, fn: str) -> bool:
        return (contract, fn) in self._fns

    def _request(self, method: str, params: list[Any]) -> Any:
        response = self._http.make_request(method, params)
        if "error" in response:
            raise RpcError(f"{method}: {response['error']}")
        return response["result"]

    def _calldata(self, contract: str, fn: str, args: Sequence[Any]) -> str:
        selector, inputs, _ = self._fns[(contract, fn)]
        return "0x" + (selector + encode(inputs, list(args))).hex()

    def _decode(self, contract: str, fn: str, raw: str) -> Any:
        outputs = self._fns[(contract, fn)][2]
        values = decode(outputs, bytes.fromhex(raw[2:]))
        if (contract, fn) in self._fields:
            return dict(zip(self._fields[(contract, fn)], values[0], strict=True))
        return values[0] if len(values) == 1 else values

    def _decode_revert(self, error: dict[str, Any]) -> Reverted:
        data = error.get("data")
        if isinstance(data, dict):  # some nodes nest it
            data = data.get("data")
        if not isinstance(data, str) or len(data) < 10:
            raise RpcError(f"not a revert: {error}")
        raw = bytes.fromhex(data[2:])
        if raw[:4] not in self._errors:
            return Reverted(f"unknown 0x{raw[:4].hex()}", (raw[4:],))
        name, types = self._errors[raw[:4]]
        return Reverted(name, tuple(decode(types, raw[4:])))

    def send(self, sender: str, contract: str, fn: str, *args: Any) -> dict[str, Any]:
        """Mines the call from an unlocked dev account and returns the receipt; a revert fails the test."""
        tx = {"from": sender, "to": self.address[contract], "data": self._calldata(contract, fn, args), "gas": hex(GAS)}
        tx_hash = self._request("eth_sendTransaction", [tx])
        receipt: dict[str, Any] | None = None
        give_up = time.monotonic() + 30
        while receipt is None:
            receipt = self._request("eth_getTransactionReceipt", [tx_hash])
            if receipt is None and time.monotonic() > give_up:
                raise RpcError(f"no receipt for {tx_hash}")
        if int(receipt["status"], 16) != 1:
            parent = hex(int(receipt["blockNumber"], 16) - 1)
            why = self.revert_of(sender, contract, fn, *args, block=parent)
            raise AssertionError(f"{contract}.{fn}{args} from {sender} reverted unexpectedly: {why}")
        return receipt

    def call(self, contract: str, fn: str, *args: Any, sender: str = ZERO_ADDRESS) -> Any:
        tx = {"from": sender, "to": self.address[contract], "data": self._calldata(contract, fn, args)}
        return self._decode(contract, fn, self._request("eth_call", [tx, "latest"]))

    def revert_of(self, sender: str, contract: str, fn: str, *args: Any, block: str = "pending") -> Reverted | None:
        """The revert the call would hit in the next block (the pending block's timestamp), or None if it succeeds."""
        tx = {"from": sender, "to": self.address[contract], "data": self._calldata(contract, fn, args)}
        response = self._http.make_request("eth_call", [tx, block])
        return self._decode_revert(response["error"]) if "error" in response else None

    def batch(self, calls: Sequence[tuple[str, str, tuple[Any, ...]]]) -> tuple[list[Any], int]:
        """Reads many views in one JSON-RPC batch; also returns the latest block's timestamp."""
        requests: list[tuple[str, list[Any]]] = [
            ("eth_call", [{"to": self.address[c], "data": self._calldata(c, fn, args)}, "latest"])
            for c, fn, args in calls
        ]
        requests.append(("eth_getBlockByNumber", ["latest", False]))
        responses = self._http.make_batch_request(requests)
        if not isinstance(responses, list):
            raise RpcError(f"batch failed: {responses}")
        out: list[Any] = []
        for (c, fn, _), response in zip(calls, responses, strict=False):
            if "error" in response:
                out.append(self._decode_revert(response["error"]))
            else:
                out.append(self._decode(c, fn, response["result"]))
        head = responses[-1]
        if "error" in head:
            raise RpcError(f"eth_getBlockByNumber: {head['error']}")
        return out, int(head["result"]["timestamp"], 16)


class Oracle:
    """Signs reports like the operators do. One EIP-712 digest per report (hundi.chain.reports), then a plain ECDSA
    signature per key: the same bytes `sign_all` produces (checked once per run), at a fraction of its cost.

    Keys are addressed by index: 0-2 are the three operators sorted by address, 3 is an outsider key that is not an
    operator until an admin rotation makes it one."""

    def __init__(self, domain: dict[str, Any], operator_keys: Iterable[bytes]) -> None:
        self.domain = domain
        operators = sorted((Account.from_key(k) for k in operator_keys), key=lambda a: int(a.address, 16))
        outsider = Account.from_key(keccak(text="hundi-properties-not-an-operator"))
        self.keys = [bytes(a.key) for a in (*operators, outsider)]
        self.addresses = [a.address for a in (*operators, outsider)]

    def digest(self, report: Verification | Repayment) -> bytes:
        return report_digest(report, self.domain)

    def sign(self, report: Verification | Repayment, signers: Sequence[int]) -> list[bytes]:
        """Signatures by the keys at `signers`, in that order (the hub wants them sorted by address)."""
        digest = self.digest(report)
        return [bytes(Account.unsafe_sign_hash(digest, self.keys[i]).signature) for i in signers]


# ----------------------------------------------------------------------------------------------------------- model


@dataclass
class Invoice:
    """What the model expects of one invoice."""

    id: int
    key: bytes
    digest: bytes
    face: int
    due: int
    status: int = MINTED
    # FundingEscrow listing
    listing: int = L_NONE
    price: int = 0
    raised: int = 0
    min_ticket: int = 0
    deadline: int = 0
    fee_bps: int = 0
    yield_bps: int = 0
    grace: int = 0  # the grace period after the due date, fixed at listing
    shares: dict[str, int] = field(default_factory=dict)
    holders_ever: set[str] = field(default_factory=set)
    # RepaymentDistributor book
    book: int = B_NONE
    repaid: int = 0
    net: int = 0  # everything owed to holders so far: repaid up to face, less the yield fee
    paid: dict[str, int] = field(default_factory=dict)  # claims paid out, per holder
    entitled: dict[str, Fraction] = field(default_factory=dict)  # exact pro-rata share of `net`, per holder

    def supply(self) -> int:
        return sum(self.shares.values())


@dataclass
class Model:
    invoices: dict[int, Invoice]
    next_id: int
    head: int  # timestamp of the latest block; the next transaction mines at head + 1
    coin: dict[str, int]  # expected stablecoin balances of every tracked address
    fee_bps: int
    yield_bps: int
    grace: int
    live_keys: dict[bytes, int] = field(default_factory=dict)
    freed_keys: set[bytes] = field(default_factory=set)
    counter: int = 0  # keys, digests, nonces and bank references are unique per example
    kyc: dict[str, tuple[int, int]] = field(default_factory=dict)  # KycRegistry (roles, validUntil) of the actors
    signers: set[str] = field(default_factory=set)  # the hub's current operators
    threshold: int = 0
    autopayout: dict[str, bool] = field(default_factory=dict)
    paused: set[str] = field(default_factory=set)
    donated: dict[str, int] = field(default_factory=dict)
    accepted_reports: set[bytes] = field(default_factory=set)
    rejected_reports: set[bytes] = field(default_factory=set)
    used_bank_refs: set[bytes] = field(default_factory=set)
    unused_bank_refs: set[bytes] = field(default_factory=set)
    verifications: list[tuple[Verification, list[bytes]]] = field(default_factory=list)
    repayments: list[tuple[Repayment, list[bytes]]] = field(default_factory=list)
    history: dict[int, list[int]] = field(default_factory=dict)  # every status observed, after every transaction

    def fresh(self, label: str) -> bytes:
        self.counter += 1
        return keccak(text=f"hundi-properties-{label}-{self.counter}")

    def nonce(self) -> int:
        self.counter += 1
        return self.counter


@dataclass(frozen=True)
class Actors:
    admin: str  # DEFAULT_ADMIN, collector, pauser
    sme: str
    investors: tuple[str, ...]
    stranger: str
    buyer: str
    treasury: str
    donor: str
    escrow: str
    dist: str

    @property
    def holders(self) -> tuple[str, ...]:
        """Everyone who could hold shares, plus the stranger (who never may)."""
        return (*self.investors, self.stranger)


@dataclass
class View:
    """One batch of reads of everything the invariants look at."""

    head: int
    coin: dict[str, int]
    status: dict[int, int]
    listing: dict[int, dict[str, Any]]
    supply: dict[int, int]
    book: dict[int, dict[str, Any]]
    invoice: dict[int, dict[str, Any]]
    claimable: dict[tuple[int, str], int]
    position: dict[tuple[int, str], dict[str, int]]
    id_by_key: dict[bytes, int]
    next_id: int
    report_used: dict[bytes, bool]
    bank_ref_used: dict[bytes, bool]
    net_distributed: dict[int, int]


# ----------------------------------------------------------------------------------------------------------- world


class World:
    """The chain plus the model: every action predicts its outcome, performs it and updates the model."""

    def __init__(
        self, rpc: Rpc, oracle: Oracle, actors: Actors, chain: Any, model: Model, outcomes: Counter[str]
    ) -> None:
        self.rpc, self.oracle, self.a, self.chain, self.m = rpc, oracle, actors, chain, model
        self.outcomes = outcomes
        self.epoch = 0  # bumps on every state change; the view is cached per epoch
        self._observed_epoch = -1
        self._view: View | None = None
        self._view_epoch = -1
        self.names = {
            actors.admin: "admin",
            actors.sme: "sme",
            actors.stranger: "stranger",
            actors.buyer: "buyer",
            actors.treasury: "treasury",
            actors.donor: "donor",
            actors.escrow: "escrow",
            actors.dist: "distributor",
            **{a: f"investor{i}" for i, a in enumerate(actors.investors)},
        }

    # ------------------------------------------------------------------------------------------------ plumbing

    def now(self) -> int:
        """The timestamp the next transaction will execute at."""
        return self.m.head + 1

    def _expect(self, sender: str, contract: str, fn: str, args: tuple[Any, ...], error: str | set[str] | None) -> Any:
        """error None: the call must succeed; it is mined and its receipt returned. Otherwise it must revert with
        one of the named custom errors (checked against the pending block) and None is returned."""
        self._view = None  # the model changes either way (a refused report is remembered too)
        # `--hypothesis-show-statistics` then shows how often each call succeeded or hit each refusal.
        if currently_in_test_context():  # not while seeding the pool
            outcome = "ok" if error is None else "/".join(sorted({error} if isinstance(error, str) else error))
            event(f"{contract}.{fn}: {outcome}")
            self.outcomes[f"{contract}.{fn}: {outcome}"] += 1
        if error is None:
            self.observe()  # the statuses after the previous transaction
            receipt = self.rpc.send(sender, contract, fn, *args)
            self.m.head += 1
            self.epoch += 1
            return receipt
        allowed = {error} if isinstance(error, str) else error
        got = self.rpc.revert_of(sender, contract, fn, *args)
        who = self.names.get(sender, sender)
        assert got is not None, f"{contract}.{fn}{args} by {who} succeeded; the model expected a revert {allowed}"
        assert got.name in allowed, f"{contract}.{fn}{args} by {who} reverted {got}; the model expected {allowed}"
        return None

    def expect_refusal(self, sender: str, contract: str, fn: str, args: tuple[Any, ...], error: str) -> None:
        """A call that must revert with `error` whatever the state."""
        self._expect(sender, contract, fn, args, error)

    def observe(self) -> None:
        """Records every invoice's status into its history (once per state change)."""
        if self._observed_epoch == self.epoch:
            return
        ids = sorted(self.m.invoices)
        statuses, _ = self.rpc.batch([("token", "statusOf", (i,)) for i in ids])
        for i, s in zip(ids, statuses, strict=True):
            hist = self.m.history.setdefault(i, [NONE])
            if hist[-1] != s:
                hist.append(s)
        self._observed_epoch = self.epoch

    def warp(self, seconds: int) -> None:
        """Mines one block `seconds` after the pending timestamp (ape's chain.mine)."""
        self.observe()
        self.chain.mine(deltatime=max(1, seconds))
        self.m.head += 1 + max(1, seconds)
        self.epoch += 1

    def warp_to(self, next_timestamp: int) -> bool:
        """Makes the next transaction execute exactly at `next_timestamp`, if that is still ahead."""
        if next_timestamp - 1 <= self.m.head:
            return False
        self.observe()
        self.chain.mine(timestamp=next_timestamp - 1)
        self.m.head = next_timestamp - 1
        self.epoch += 1
        return True

    def inv(self, invoice_id: int) -> Invoice:
        return self.m.invoices[invoice_id]

    def pick(self, pick: int, where: Callable[[Invoice], bool] | None = None) -> Invoice | None:
        found = [v for _, v in sorted(self.m.invoices.items()) if where is None or where(v)]
        return found[pick % len(found)] if found else None

    def _kyc_allows(self, who: str, role: int) -> bool:
        roles, valid_until = self.m.kyc.get(who, (0, 0))
        return bool(roles & role) and self.now() < valid_until  # IKycRegistry: valid while now < validUntil

    def is_investor(self, who: str) -> bool:
        return self._kyc_allows(who, INVESTOR_ROLE)

    def is_sme(self, who: str) -> bool:
        return self._kyc_allows(who, SME_ROLE)

    def claimables(self, ids: Iterable[int]) -> dict[tuple[int, str], int]:
        keys = [(i, h) for i in sorted(set(ids)) for h in self.a.holders]
        values, _ = self.rpc.batch([("dist", "claimable", k) for k in keys])
        for key, value in zip(keys, values, strict=True):
            assert not isinstance(value, Reverted), f"claimable{key} reverted: {value}"
        return dict(zip(keys, values, strict=True))

    def _pay(self, frm: str, to: str, amount: int) -> None:
        self.m.coin[frm] -= amount
        self.m.coin[to] += amount

    # ------------------------------------------------------------------------------------------------ InvoiceToken

    def mint(
        self, sender: str, face: int, due_in: int, key_kind: str = "fresh", pick: int = 0, defect: str | None = None
    ) -> int | None:
        """key_kind: "fresh", "duplicate" (a live key) or "freed" (a burned one). defect: a malformed request."""
        m = self.m
        if key_kind == "duplicate" and m.live_keys:
            key = sorted(m.live_keys)[pick % len(m.live_keys)]
        elif key_kind == "freed" and m.freed_keys:
            key = sorted(m.freed_keys)[pick % len(m.freed_keys)]
        else:
            key = m.fresh("key")
        digest = m.fresh("doc")
        now = self.now()
        issue = now - DAY
        if defect == "empty_key":
            key = bytes(32)
        elif defect == "zero_face":
            face = 0
        elif defect == "empty_digest":
            digest = bytes(32)
        elif defect == "issue_after_due":
            issue = now + due_in + 1
        request = (key, BUYER_ID, face, issue, now + due_in, digest, CID)
        if "token" in m.paused:
            error = "EnforcedPause"
        elif not self.is_sme(sender):
            error = "NotKycApproved"
        elif defect == "empty_key":
            error = "EmptyInvoiceKey"
        elif face == 0:
            error = "ZeroFaceValue"
        elif due_in <= 0:
            error = "DueDateNotInFuture"
        elif defect == "issue_after_due":
            error = "IssueDateAfterDueDate"
        elif defect == "empty_digest":
            error = "EmptyDocDigest"
        elif key in m.live_keys:
            error = "DuplicateInvoice"
        else:
            error = None
        receipt = self._expect(sender, "token", "mint", (request,), error)
        if receipt is None:
            return None
        invoice_id = m.next_id
        m.next_id += 1
        minted = [
            int(log["topics"][3], 16)
            for log in receipt["logs"]
            if log["address"].lower() == self.rpc.address["token"].lower()
            and bytes.fromhex(log["topics"][0][2:]) == TRANSFER_TOPIC
            and int(log["topics"][1], 16) == 0
        ]
        assert minted == [invoice_id], f"mint assigned {minted}, expected [{invoice_id}]"
        m.invoices[invoice_id] = Invoice(id=invoice_id, key=key, digest=digest, face=face, due=now + due_in)
        m.live_keys[key] = invoice_id
        m.freed_keys.discard(key)
        m.history.setdefault(invoice_id, [NONE])
        return invoice_id

    def burn(self, inv: Invoice, sender: str) -> None:
        if "token" in self.m.paused:
            error = "EnforcedPause"
        elif inv.status == NONE:
            error = "InvoiceNotFound"
        elif sender != self.a.sme:
            error = "NotSeller"
        elif inv.status not in BURNABLE:
            error = "NotBurnable"
        else:
            error = None
        if self._expect(sender, "token", "burn", (inv.id,), error) is None:
            return
        inv.status = NONE
        del self.m.live_keys[inv.key]
        self.m.freed_keys.add(inv.key)

    # ------------------------------------------------------------------------------------------------ OracleHub

    def verify(
        self,
        inv: Invoice,
        *,
        approved: bool = True,
        signers: Sequence[int] | None = None,
        deadline_in: int = 400 * DAY,
        risk: int = 70,
        checks: int = ALL_CHECKS,
        wrong_digest: bool = False,
    ) -> None:
        """A fresh Verification report signed by the keys at `signers` (default: every current operator)."""
        digest = keccak(text="not-the-document") if wrong_digest else inv.digest
        report = Verification(inv.id, digest, approved, risk, checks, self.now() + deadline_in, self.m.nonce())
        signers = self.current_signers() if signers is None else signers
        sigs = self.oracle.sign(report, signers)
        report_id = self.oracle.digest(report)
        if "hub" in self.m.paused:
            error = "EnforcedPause"
        elif deadline_in < 0:
            error = "ReportExpired"
        elif (refusal := self.signature_refusal(signers)) is not None:
            error = refusal
        elif inv.status == NONE:
            error = "InvoiceNotFound"
        elif wrong_digest:
            error = "DigestMismatch"
        elif checks > ALL_CHECKS:  # bits 0-5 are the defined checks
            error = "InvalidChecks"
        elif inv.status != MINTED:
            error = "InvalidTransition"
        else:
            error = None
        if self._expect(self.a.stranger, "hub", "submitVerification", (report.as_tuple(), sigs), error) is None:
            self.m.rejected_reports.add(report_id)
            return
        inv.status = VERIFIED if approved else REJECTED
        self.m.accepted_reports.add(report_id)
        self.m.verifications.append((report, sigs))

    def current_signers(self) -> list[int]:
        """Indices of the current operators' keys, sorted by address: a set the hub must accept."""
        return [i for i, address in enumerate(self.oracle.addresses) if address in self.m.signers]

    def signature_refusal(self, signers: Sequence[int]) -> str | None:
        """The documented acceptance rule: at least `threshold` signatures, by distinct current signers, sorted by
        address. Returns the refusal the hub reports first, or None if the signatures are acceptable."""
        if len(signers) < self.m.threshold:
            return "InsufficientSignatures"
        previous = 0
        for i in signers:
            address = self.oracle.addresses[i]
            if int(address, 16) == previous:
                return "DuplicateSigner"
            if int(address, 16) < previous:
                return "SignaturesNotSorted"
            if address not in self.m.signers:
                return "UnknownSigner"
            previous = int(address, 16)
        return None

    def set_signers(self, signers: Sequence[int], threshold: int) -> None:
        addresses = [self.oracle.addresses[i] for i in signers]
        if not 1 <= threshold <= len(addresses):
            error = "InvalidThreshold"
        elif len(set(addresses)) < len(addresses):
            error = "InvalidSigner"
        else:
            error = None
        if self._expect(self.a.admin, "hub", "setSigners", (addresses, threshold), error) is not None:
            self.m.signers, self.m.threshold = set(addresses), threshold

    def replay_verification(self, pick: int) -> None:
        report, sigs = self.m.verifications[pick % len(self.m.verifications)]
        if "hub" in self.m.paused:
            error = "EnforcedPause"
        elif self.now() > report.deadline:  # the hub checks the deadline before the used-set
            error = "ReportExpired"
        else:
            error = "ReportAlreadyUsed"
        self._expect(self.a.admin, "hub", "submitVerification", (report.as_tuple(), sigs), error)

    # ------------------------------------------------------------------------------------------------ FundingEscrow

    def list(self, inv: Invoice, sender: str, price: int, deadline_in: int, min_ticket: int) -> None:
        m, now = self.m, self.now()
        deadline = max(0, now + deadline_in)
        if "escrow" in m.paused:
            error = "EnforcedPause"
        elif inv.status == NONE:
            error = "InvoiceNotFound"
        elif sender != self.a.sme:
            error = "NotSeller"
        elif not self.is_sme(sender):  # the advance goes to the seller: its KYC must hold when it lists
            error = "NotKycApproved"
        elif inv.status != VERIFIED:
            error = "InvoiceNotVerified"
        elif not 0 < price < inv.face:
            error = "InvalidPrice"
        elif not now < deadline < inv.due:
            error = "InvalidFundingDeadline"
        else:
            error = None
        if self._expect(sender, "escrow", "list", (inv.id, price, deadline, min_ticket), error) is None:
            return
        inv.status, inv.listing = LISTED, L_OPEN
        inv.price, inv.deadline, inv.min_ticket = price, deadline, min_ticket
        inv.fee_bps, inv.yield_bps, inv.grace = m.fee_bps, m.yield_bps, m.grace

    def remaining(self, inv: Invoice) -> int:
        return inv.price - inv.raised if inv.listing == L_OPEN else 0

    def fund(self, inv: Invoice, sender: str, amount: int) -> None:
        m, a = self.m, self.a
        left = self.remaining(inv)
        if "escrow" in m.paused:
            error = "EnforcedPause"
        elif not self.is_investor(sender):
            error = "NotKycApproved"
        elif inv.listing != L_OPEN:
            error = "ListingNotOpen"
        elif self.now() > inv.deadline:
            error = "FundingClosed"
        elif amount == 0:
            error = "ZeroAmount"
        elif amount > left:
            error = "AmountExceedsRemaining"
        elif amount < inv.min_ticket and amount != left:
            error = "AmountBelowMinTicket"
        else:
            error = None
        if self._expect(sender, "escrow", "fund", (inv.id, amount), error) is None:
            return
        self._pay(sender, a.escrow, amount)
        inv.raised += amount
        inv.shares[sender] = inv.shares.get(sender, 0) + amount
        inv.holders_ever.add(sender)
        if inv.raised == inv.price:
            fee = ceil_div(inv.price * inv.fee_bps, BPS)  # rounded up, in the protocol's favour
            self._pay(a.escrow, a.sme, inv.price - fee)
            self._pay(a.escrow, a.treasury, fee)
            inv.listing, inv.status, inv.book = L_FUNDED, FUNDED, B_FUNDED

    def cancel(self, inv: Invoice, sender: str) -> None:
        if inv.listing != L_OPEN:  # never paused: it is how a failed listing's investors get their money back
            error = "ListingNotOpen"
        elif not ((sender == self.a.sme and inv.raised == 0) or self.now() > inv.deadline):
            error = "CancelNotAllowed"
        else:
            error = None
        if self._expect(sender, "escrow", "cancel", (inv.id,), error) is None:
            return
        inv.listing, inv.status = L_CANCELLED, CANCELLED

    def refund(self, inv: Invoice, sender: str) -> None:
        held = inv.shares.get(sender, 0)
        if inv.listing != L_CANCELLED:  # never paused
            error = "ListingNotCancelled"
        elif held == 0:
            error = "NothingToRefund"
        else:
            error = None
        if self._expect(sender, "escrow", "refund", (inv.id,), error) is None:
            return
        self._pay(self.a.escrow, sender, held)
        inv.shares[sender] = 0

    # ---------------------------------------------------------------------------------------- RepaymentDistributor

    def _yield_fee(self, inv: Invoice, held: int) -> int:
        # The documented rule: bps of the cumulative part above principal, rounded up.
        return ceil_div((held - inv.price) * inv.yield_bps, BPS) if held > inv.price else 0

    def _apply_repayment(self, inv: Invoice, amount: int, payer: str) -> None:
        a = self.a
        before, total = inv.repaid, inv.repaid + amount
        held_before, held_after = min(before, inv.face), min(total, inv.face)
        fee = self._yield_fee(inv, held_after) - self._yield_fee(inv, held_before)
        net = held_after - held_before - fee
        surplus = amount - (held_after - held_before)
        self._pay(payer, a.dist, amount)
        self._pay(a.dist, a.treasury, fee)
        self._pay(a.dist, a.sme, surplus)
        inv.repaid, inv.net = total, inv.net + net
        for holder, balance in inv.shares.items():
            if balance:
                inv.entitled[holder] = inv.entitled.get(holder, Fraction(0)) + Fraction(net * balance, inv.price)
        if inv.book == B_FUNDED and total >= inv.face:
            inv.book, inv.status = B_REPAID, REPAID

    def repay(self, inv: Invoice, amount: int) -> None:
        if "dist" in self.m.paused:
            error = "EnforcedPause"
        elif amount == 0:
            error = "ZeroAmount"
        elif inv.book not in (B_FUNDED, B_DEFAULTED):
            error = "InvoiceNotRepayable"
        else:
            error = None
        if self._expect(self.a.buyer, "dist", "repay", (inv.id, amount), error) is None:
            return
        self._apply_repayment(inv, amount, self.a.buyer)

    def settle(
        self,
        inv: Invoice,
        amount: int,
        *,
        sender: str | None = None,
        bank_ref: str = "fresh",
        signers: Sequence[int] | None = None,
        deadline_in: int = 3600,
        pick: int = 0,
    ) -> None:
        """A bank repayment reported by the oracle. bank_ref: "fresh", "reused" (a counted bankRef under a new
        nonce) or "replay" (an accepted report resubmitted as is)."""
        m, sender = self.m, sender or self.a.admin
        if bank_ref == "replay" and m.repayments:
            report, sigs = m.repayments[pick % len(m.repayments)]
        else:
            if bank_ref == "reused" and m.used_bank_refs:
                ref = sorted(m.used_bank_refs)[pick % len(m.used_bank_refs)]
            else:
                ref = m.fresh("utr")
            now = self.now()
            report = Repayment(inv.id, amount, ref, now - 60, now + deadline_in, m.nonce())
            signers = self.current_signers() if signers is None else signers
            sigs = self.oracle.sign(report, signers)
        report_id = self.oracle.digest(report)
        if sender != self.a.admin:
            error = "AccessControlUnauthorizedAccount"
        elif "dist" in m.paused or "hub" in m.paused:
            error = "EnforcedPause"
        elif report.amount == 0:
            error = "ZeroAmount"
        elif report.bankRef in m.used_bank_refs:
            error = "BankRefAlreadyUsed"
        elif report.deadline < self.now():
            error = "ReportExpired"
        elif report_id in m.accepted_reports:
            error = "ReportAlreadyUsed"
        elif (refusal := self.signature_refusal(signers or [])) is not None:
            error = refusal
        elif m.invoices[report.invoiceId].book not in (B_FUNDED, B_DEFAULTED):
            error = "InvoiceNotRepayable"
        else:
            error = None
        if self._expect(sender, "dist", "settleRepayment", (report.as_tuple(), sigs), error) is None:
            if report_id not in m.accepted_reports:
                m.rejected_reports.add(report_id)
            if report.bankRef not in m.used_bank_refs:
                m.unused_bank_refs.add(report.bankRef)
            return
        m.accepted_reports.add(report_id)
        m.used_bank_refs.add(report.bankRef)
        m.unused_bank_refs.discard(report.bankRef)
        m.repayments.append((report, sigs))
        self._apply_repayment(m.invoices[report.invoiceId], report.amount, sender)

    def mark_defaulted(self, inv: Invoice, sender: str) -> None:
        if "dist" in self.m.paused:
            error = "EnforcedPause"
        elif inv.book != B_FUNDED:
            error = "NotDefaultable"
        elif self.now() <= inv.due + inv.grace:
            error = "GracePeriodNotOver"
        else:
            error = None
        if self._expect(sender, "dist", "markDefaulted", (inv.id,), error) is None:
            return
        inv.book, inv.status = B_DEFAULTED, DEFAULTED

    def _record_claims(self, who: str, owed: dict[int, int]) -> None:
        for invoice_id, amount in owed.items():
            if amount:
                inv = self.inv(invoice_id)
                inv.paid[who] = inv.paid.get(who, 0) + amount
                self._pay(self.a.dist, who, amount)

    def claim(self, inv: Invoice, who: str) -> None:
        owed = self.rpc.call("dist", "claimable", inv.id, who)
        if self._expect(who, "dist", "claim", (inv.id,), None if owed else "NothingToClaim") is None:
            return
        self._record_claims(who, {inv.id: owed})
        assert self.rpc.call("dist", "claimable", inv.id, who) == 0, "a claim must leave nothing claimable"

    def claim_many(self, ids: Sequence[int], who: str) -> None:
        owed = {i: c for (i, holder), c in self.claimables(ids).items() if holder == who}
        error = None if sum(owed.values()) else "NothingToClaim"
        if self._expect(who, "dist", "claimMany", (list(ids),), error) is None:
            return
        self._record_claims(who, owed)

    def set_autopayout(self, who: str, enabled: bool) -> None:
        error = "EnforcedPause" if "dist" in self.m.paused else None
        if self._expect(who, "dist", "setAutoPayout", (enabled,), error) is not None:
            self.m.autopayout[who] = enabled

    def claim_for(self, inv: Invoice, investors: Sequence[str], keeper: str) -> None:
        before = self.claimables([inv.id])
        self._expect(keeper, "dist", "claimFor", (inv.id, list(investors)), None)
        for who in dict.fromkeys(investors):  # a repeated address is paid once: the second pass owes nothing
            if self.m.autopayout.get(who, False):
                self._record_claims(who, {inv.id: before[(inv.id, who)]})

    # ------------------------------------------------------------------------------------------------ InvoiceShares

    def transfer(
        self, ids: Sequence[int], frm: str, to: str, amounts: Sequence[int], sender: str | None = None
    ) -> None:
        """safeTransferFrom (one id) or safeBatchTransferFrom; checks property 8 on every transfer that succeeds."""
        sender = sender or frm
        balances = {i: self.inv(i).shares.get(frm, 0) for i in ids}
        short = False
        for i, amount in zip(ids, amounts, strict=True):
            if amount > balances[i]:
                short = True
            balances[i] -= amount
        if "shares" in self.m.paused:
            error = "EnforcedPause"
        elif sender != frm:
            error = "ERC1155MissingApprovalForAll"
        elif not self.is_investor(frm) or not self.is_investor(to):
            error = "NotKycApproved"
        elif short:
            error = "ERC1155InsufficientBalance"
        else:
            error = None
        if error is not None:
            if len(ids) == 1:
                self._expect(sender, "shares", "safeTransferFrom", (frm, to, ids[0], amounts[0], b""), error)
            else:
                self._expect(sender, "shares", "safeBatchTransferFrom", (frm, to, list(ids), list(amounts), b""), error)
            return
        before = self.claimables(ids)
        if len(ids) == 1:
            self._expect(sender, "shares", "safeTransferFrom", (frm, to, ids[0], amounts[0], b""), None)
        else:
            self._expect(sender, "shares", "safeBatchTransferFrom", (frm, to, list(ids), list(amounts), b""), None)
        after = self.claimables(ids)
        for i in set(ids):
            total_before = sum(before[(i, h)] for h in self.a.holders)
            total_after = sum(after[(i, h)] for h in self.a.holders)
            # Property 8: a transfer neither creates nor destroys claimable value, to the unit...
            assert total_after == total_before, f"invoice {i}: claimable {total_before} -> {total_after} on transfer"
            # ...and each side keeps what it had earned (IInvoiceShares: "every transfer checkpoints").
            for h in self.a.holders:
                assert after[(i, h)] == before[(i, h)], f"invoice {i}: {self.names[h]} claimable changed on transfer"
        for i, amount in zip(ids, amounts, strict=True):
            inv = self.inv(i)
            inv.shares[frm] = inv.shares.get(frm, 0) - amount
            inv.shares[to] = inv.shares.get(to, 0) + amount
            if amount:
                inv.holders_ever.add(to)

    # ------------------------------------------------------------------------------------------------ others

    def donate(self, target: str, amount: int) -> None:
        """The donor sends stablecoin straight to a contract: no accounting may move."""
        ids = [i for i, v in self.m.invoices.items() if v.listing != L_NONE]
        before = self.claimables(ids)
        remaining_before, _ = self.rpc.batch([("escrow", "remaining", (i,)) for i in ids])
        assert not any(isinstance(r, Reverted) for r in remaining_before), remaining_before
        self._expect(self.a.donor, "coin", "transfer", (target, amount), None)
        self._pay(self.a.donor, target, amount)
        self.m.donated[target] = self.m.donated.get(target, 0) + amount
        assert self.claimables(ids) == before, "a donation changed what holders can claim"
        remaining_after, _ = self.rpc.batch([("escrow", "remaining", (i,)) for i in ids])
        assert remaining_after == remaining_before, "a donation changed what listings still need"

    def set_terms(self, fee_bps: int, yield_bps: int, grace: int | None = None) -> None:
        """The admin's platform fee, yield fee and grace period: they apply to listings made afterwards only."""
        error = "FeeTooHigh" if fee_bps > MAX_FEE_BPS else None
        if self._expect(self.a.admin, "escrow", "setFee", (fee_bps,), error) is not None:
            self.m.fee_bps = fee_bps
        error = "FeeTooHigh" if yield_bps > MAX_YIELD_FEE_BPS else None
        if self._expect(self.a.admin, "dist", "setYieldFee", (yield_bps,), error) is not None:
            self.m.yield_bps = yield_bps
        if grace is not None:
            error = "GracePeriodTooLong" if grace > MAX_GRACE else None
            if self._expect(self.a.admin, "dist", "setGracePeriod", (grace,), error) is not None:
                self.m.grace = grace

    def set_kyc(self, who: str, roles: int) -> None:
        valid_until = self.m.head + 10 * 365 * DAY
        self._expect(self.a.admin, "kyc", "setKyc", (who, roles, valid_until), None)
        self.m.kyc[who] = (roles, valid_until)

    def pause(self, contract: str, paused: bool) -> None:
        self._expect(self.a.admin, contract, "pause" if paused else "unpause", (), None)
        if paused:
            self.m.paused.add(contract)
        else:
            self.m.paused.discard(contract)

    # ------------------------------------------------------------------------------------------------ view

    def view(self) -> View:
        if self._view is not None and self._view_epoch == self.epoch:
            return self._view
        self.observe()
        m, a = self.m, self.a
        calls: list[tuple[str, str, tuple[Any, ...]]] = []
        tags: list[tuple[Any, ...]] = []

        def add(tag: tuple[Any, ...], contract: str, fn: str, *args: Any) -> None:
            tags.append(tag)
            calls.append((contract, fn, args))

        for address in m.coin:
            add(("coin", address), "coin", "balanceOf", address)
        for i, inv in sorted(m.invoices.items()):
            add(("status", i), "token", "statusOf", i)
            add(("listing", i), "escrow", "listingOf", i)
            add(("supply", i), "shares", "totalSupply", i)
            add(("book", i), "dist", "bookOf", i)
            if inv.book != B_NONE and self.rpc.has("dist", "netDistributed"):
                add(("net", i), "dist", "netDistributed", i)
            if inv.status != NONE:
                add(("invoice", i), "token", "invoiceOf", i)
            if inv.listing != L_NONE:
                for h in a.holders:
                    add(("claimable", i, h), "dist", "claimable", i, h)
                    add(("position", i, h), "shares", "positionOf", i, h)
        for key in sorted(m.live_keys.keys() | m.freed_keys):
            add(("key", key), "token", "idByKey", key)
        add(("next",), "token", "nextInvoiceId")
        for r in sorted(m.accepted_reports | m.rejected_reports):
            add(("report", r), "hub", "isReportUsed", r)
        for b in sorted(m.used_bank_refs | m.unused_bank_refs):
            add(("bankref", b), "hub", "isBankRefUsed", b)
        values, head = self.rpc.batch(calls)
        v = View(head, {}, {}, {}, {}, {}, {}, {}, {}, {}, 0, {}, {}, {})
        for tag, value in zip(tags, values, strict=True):
            assert not isinstance(value, Reverted) or tag[0] == "invoice", f"read {tag} reverted: {value}"
            kind = tag[0]
            if kind == "coin":
                v.coin[tag[1]] = value
            elif kind == "status":
                v.status[tag[1]] = value
            elif kind == "listing":
                v.listing[tag[1]] = value
            elif kind == "supply":
                v.supply[tag[1]] = value
            elif kind == "book":
                v.book[tag[1]] = value
            elif kind == "invoice":
                v.invoice[tag[1]] = value
            elif kind == "claimable":
                v.claimable[(tag[1], tag[2])] = value
            elif kind == "position":
                v.position[(tag[1], tag[2])] = value
            elif kind == "key":
                v.id_by_key[tag[1]] = value
            elif kind == "next":
                v.next_id = value
            elif kind == "report":
                v.report_used[tag[1]] = value
            elif kind == "bankref":
                v.bank_ref_used[tag[1]] = value
            elif kind == "net":
                v.net_distributed[tag[1]] = value
        self._view, self._view_epoch = v, self.epoch
        return v


# ------------------------------------------------------------------------------------------------------- harness


class Harness:
    """Everything that outlives one example: the connection, the actors and the seeded pool's model."""

    def __init__(self, system: Any, chain: Any, actors: Actors, oracle: Oracle) -> None:
        self.chain = chain
        self.rpc = Rpc(
            chain.provider.web3.provider,
            {
                "token": system.token,
                "hub": system.hub,
                "escrow": system.escrow,
                "shares": system.shares,
                "dist": system.distributor,
                "coin": system.stablecoin,
                "kyc": system.kyc,
            },
        )
        self.actors, self.oracle = actors, oracle
        self.base: Model | None = None
        self.outcomes: Counter[str] = Counter()  # call outcomes over the whole run, logged at the end

    def initial_model(self) -> Model:
        a, rpc = self.actors, self.rpc
        tracked = [a.admin, a.sme, *a.investors, a.stranger, a.buyer, a.treasury, a.donor, a.escrow, a.dist]
        values, head = rpc.batch([("coin", "balanceOf", (t,)) for t in tracked])
        signer_set = rpc.call("hub", "signerSet")
        people = [a.sme, *a.investors, a.stranger]
        kyc_of, _ = rpc.batch([("kyc", "kycOf", (p,)) for p in people])
        return Model(
            invoices={},
            next_id=rpc.call("token", "nextInvoiceId"),
            head=head,
            coin=dict(zip(tracked, values, strict=True)),
            fee_bps=rpc.call("escrow", "feeBps"),
            yield_bps=rpc.call("dist", "yieldFeeBps"),
            grace=rpc.call("dist", "gracePeriod"),
            donated={a.escrow: 0, a.dist: 0},
            signers={to_checksum_address(s) for s in signer_set[0]},
            kyc={p: tuple(entry) for p, entry in zip(people, kyc_of, strict=True)},
            threshold=signer_set[1],
        )

    def world(self, model: Model) -> World:
        return World(self.rpc, self.oracle, self.actors, self.chain, model, self.outcomes)

    def seed(self) -> None:
        """A pool of invoices in every status, with 1-unit edge cases, so short examples still reach deep states."""
        w = self.world(self.initial_model())
        a = self.actors
        i0, i1, i2 = a.investors

        def originate(face: int, due_in: int, **kw: Any) -> Invoice:
            invoice_id = w.mint(a.sme, face, due_in)
            assert invoice_id is not None
            inv = w.inv(invoice_id)
            if "approved" in kw:
                w.verify(inv, approved=kw["approved"])
            if "price" in kw:
                w.list(inv, a.sme, kw["price"], kw.get("deadline_in", 5 * DAY), kw.get("min_ticket", 0))
            for who, amount in kw.get("tickets", ()):
                w.fund(inv, who, amount)
            return inv

        # A cancelled listing with principal waiting to be refunded (made first: it needs a warp).
        cancelled = originate(500, 40 * DAY, approved=True, price=400, deadline_in=3600, tickets=[(i0, 150), (i1, 50)])
        w.warp(3601)
        w.cancel(cancelled, a.stranger)
        originate(1_000, 90 * DAY)  # Minted
        originate(2, 40 * DAY, approved=True)  # Verified; the only valid price is 1
        originate(50, 40 * DAY, approved=False)  # Rejected
        originate(
            1_000_000, 20 * DAY, approved=True, price=950_000, min_ticket=1_000, tickets=[(i0, 1_000), (i1, 500_000)]
        )
        originate(7, 2 * DAY, approved=True, price=5, deadline_in=DAY)  # open, nothing raised yet
        # Funded: a 1-unit holder beside two large ones; due soon enough for a default within the warps.
        originate(
            1_000_003,
            3 * DAY,
            approved=True,
            price=999_001,
            deadline_in=DAY,
            tickets=[(i0, 1), (i1, 333_000), (i2, 666_000)],
        )
        # Funded on the maximum fees and a zero grace period (all fixed at listing; the defaults come back after).
        defaults = (w.m.fee_bps, w.m.yield_bps, w.m.grace)
        w.set_terms(MAX_FEE_BPS, MAX_YIELD_FEE_BPS, 0)
        originate(3, 60 * DAY, approved=True, price=2, tickets=[(i1, 1), (i2, 1)])
        w.set_terms(*defaults)
        # Funded, single holder, already partly repaid.
        big = originate(10**10, 10 * DAY, approved=True, price=9_000_000_007, tickets=[(i2, 9_000_000_007)])
        w.repay(big, 123_456_789)
        w.observe()
        self.base = w.m


# ------------------------------------------------------------------------------------------------------- machine


def counted(rule_fn: Callable[..., None]) -> Callable[..., None]:
    """Counts the rule's calls for the run's outcome log (which rules the swarm actually exercised)."""

    @functools.wraps(rule_fn)
    def wrapper(self: SystemMachine, **kwargs: Any) -> None:
        self.w.outcomes[f"step {rule_fn.__name__}"] += 1
        rule_fn(self, **kwargs)

    return wrapper


def _open(inv: Invoice) -> bool:
    return inv.listing == L_OPEN


def _repayable(inv: Invoice) -> bool:
    return inv.book in (B_FUNDED, B_DEFAULTED)


def _has_shares(inv: Invoice) -> bool:
    return any(inv.shares.values())


PICK = st.integers(min_value=0, max_value=2**16)
INVESTOR = st.integers(min_value=0, max_value=2)
FACE = st.one_of(st.integers(2, 12), st.integers(13, 10**6), st.integers(10**6, 10**10))


class SystemMachine(RuleBasedStateMachine):
    """Rules draw actors and amounts; the World predicts and checks each outcome; the invariants run after each step."""

    harness: ClassVar[Harness]

    def __init__(self) -> None:
        super().__init__()
        h = type(self).harness
        assert h.base is not None
        self.snapshot = h.chain.snapshot()
        self.w = h.world(copy.deepcopy(h.base))
        self.a = h.actors

    def teardown(self) -> None:
        self.w.outcomes["examples"] += 1
        self.w.chain.restore(self.snapshot)

    # ---------------------------------------------------------------------------------------------- helpers

    def _investor(self, index: int) -> str:
        return self.a.investors[index]

    def _holder_or_stranger(self, index: int) -> str:
        return self.a.holders[index % len(self.a.holders)]

    def _with(self, *statuses: int) -> Callable[[Invoice], bool]:
        return lambda inv: inv.status in statuses

    def _target(self, pick: int, preferred: Callable[[Invoice], bool], any_invoice: bool) -> Invoice:
        """Usually an invoice where the action makes sense; sometimes any invoice, to hit the refusals."""
        inv = None if any_invoice else self.w.pick(pick, preferred)
        result = inv or self.w.pick(pick)
        assert result is not None  # the pool is never empty
        return result

    # ---------------------------------------------------------------------------------------------- token / hub

    @rule(
        face=FACE,
        due_in=st.one_of(st.integers(2 * DAY, 120 * DAY), st.sampled_from([0, 1, 2])),
        key_kind=st.sampled_from(["fresh", "fresh", "duplicate", "freed"]),
        pick=PICK,
        by_stranger=st.booleans(),
        defect=st.one_of(
            st.none(), st.none(), st.sampled_from(["empty_key", "zero_face", "empty_digest", "issue_after_due"])
        ),
    )
    @counted
    def mint(self, face: int, due_in: int, key_kind: str, pick: int, by_stranger: bool, defect: str | None) -> None:
        """Property 5: a live key cannot be minted twice, and a burned key is free again."""
        sender = self.a.stranger if by_stranger and pick % 4 == 0 else self.a.sme
        self.w.mint(sender, face, due_in, key_kind, pick, defect)

    @rule(pick=PICK, by=st.sampled_from(["sme", "stranger", "escrow"]), safe=st.booleans())
    @counted
    def move_invoice_nft(self, pick: int, by: str, safe: bool) -> None:
        """Holders never move the NFT themselves: custody follows the status (IInvoiceToken)."""
        inv = self._target(pick, lambda v: v.status != NONE, False)
        sender = {"sme": self.a.sme, "stranger": self.a.stranger, "escrow": self.a.escrow}[by]
        fn = "safeTransferFrom(address,address,uint256)" if safe else "transferFrom"
        self.w.expect_refusal(sender, "token", fn, (sender, self.a.stranger, inv.id), "TransferRestricted")

    @precondition(lambda self: self.w.pick(0, lambda v: v.status in BURNABLE) is not None)
    @rule(pick=PICK, any_invoice=st.booleans(), by_stranger=st.booleans())
    @counted
    def burn(self, pick: int, any_invoice: bool, by_stranger: bool) -> None:
        inv = self._target(pick, self._with(*BURNABLE), any_invoice and pick % 3 == 0)
        self.w.burn(inv, self.a.stranger if by_stranger and pick % 3 == 0 else self.a.sme)

    def _signers(self, data: st.DataObject, kinds: Sequence[str]) -> list[int] | None:
        """Who signs a report: None (every current operator), a valid subset (at least threshold of them, sorted),
        one operator short of the threshold, or any list of keys in any order (duplicates and the outsider too)."""
        current, threshold = self.w.current_signers(), self.w.m.threshold
        kind = data.draw(st.sampled_from(kinds), label="signers")
        if kind == "subset":
            size = data.draw(st.integers(min(threshold, len(current)), len(current)), label="size")
            return sorted(data.draw(st.permutations(current), label="order")[:size])
        if kind == "below_threshold":
            return current[: max(0, threshold - 1)]
        if kind == "any":
            return data.draw(st.lists(st.integers(0, len(self.w.oracle.keys) - 1), max_size=4), label="keys")
        return None

    @precondition(lambda self: self.w.pick(0, lambda v: v.status == MINTED) is not None)
    @rule(
        pick=PICK,
        approved=st.booleans(),
        deadline_in=st.sampled_from([0, 1, 3600, 400 * DAY]),
        risk=st.integers(0, 100),
        checks=st.one_of(
            st.integers(0, ALL_CHECKS), st.just(ALL_CHECKS), st.just(ALL_CHECKS), st.integers(ALL_CHECKS + 1, 2**16 - 1)
        ),
        any_invoice=st.booleans(),
        data=st.data(),
    )
    @counted
    def verify(
        self,
        pick: int,
        approved: bool,
        deadline_in: int,
        risk: int,
        checks: int,
        any_invoice: bool,
        data: st.DataObject,
    ) -> None:
        inv = self._target(pick, self._with(MINTED), any_invoice and pick % 3 == 0)
        signers = self._signers(data, ["current", "subset"])
        self.w.verify(inv, approved=approved, signers=signers, deadline_in=deadline_in, risk=risk, checks=checks)

    @rule(
        pick=PICK,
        defect=st.sampled_from(["signatures", "signatures", "below_threshold", "expired", "wrong_digest", "replay"]),
        data=st.data(),
    )
    @counted
    def verify_forged(self, pick: int, defect: str, data: st.DataObject) -> None:
        """Property 6: an under-signed, mis-signed, expired, mismatched or replayed report is never accepted (the
        model predicts the refusal; a random key list that happens to be valid is accepted, as it must be)."""
        if defect == "replay" and self.w.m.verifications:
            self.w.replay_verification(pick)
            return
        inv = self._target(pick, self._with(MINTED), False)
        kinds = {"signatures": ["any"], "below_threshold": ["below_threshold"]}.get(defect)
        signers = self._signers(data, kinds) if kinds else None
        self.w.verify(
            inv,
            signers=signers,
            deadline_in=-1 if defect == "expired" else 400 * DAY,
            wrong_digest=defect == "wrong_digest",
        )

    @rule(who=st.integers(0, 3), allowed=st.booleans())
    @counted
    def set_kyc(self, who: int, allowed: bool) -> None:
        """The KYC officer grants or revokes: the SME (who=0) or an investor. Revoked investors can no longer fund
        or trade shares, but claims and refunds still pay them (they never check KYC)."""
        account = self.a.sme if who == 0 else self.a.investors[who - 1]
        role = SME_ROLE if who == 0 else INVESTOR_ROLE
        self.w.set_kyc(account, role if allowed else 0)

    @rule(signers=st.lists(st.integers(0, 3), max_size=4), threshold=st.integers(0, 4))
    @counted
    def rotate_signers(self, signers: list[int], threshold: int) -> None:
        """The admin replaces the operator set (the outsider key may join); reports then need the new quorum."""
        self.w.set_signers(signers, threshold)

    # ---------------------------------------------------------------------------------------------- escrow

    @precondition(lambda self: self.w.pick(0, lambda v: v.status == VERIFIED) is not None)
    @rule(pick=PICK, data=st.data(), any_invoice=st.booleans())
    @counted
    def list_invoice(self, pick: int, data: st.DataObject, any_invoice: bool) -> None:
        inv = self._target(pick, self._with(VERIFIED), any_invoice and pick % 3 == 0)
        now = self.w.now()
        price = data.draw(
            st.one_of(
                st.just(1), st.just(inv.face - 1), st.integers(1, max(1, inv.face - 1)), st.sampled_from([0, inv.face])
            ),
            label="price",
        )
        room = inv.due - now - 1  # a deadline in (now, due) needs 1 <= deadline_in <= room
        deadline_in = data.draw(
            st.one_of(st.integers(1, max(1, room)), st.sampled_from([1, room, room + 1, 0])), label="deadline_in"
        )
        min_ticket = data.draw(st.one_of(st.just(0), st.just(1), st.integers(0, max(1, price))), label="min_ticket")
        sender = self.a.stranger if pick % 7 == 0 else self.a.sme
        self.w.list(inv, sender, price, deadline_in, min_ticket)

    @precondition(lambda self: self.w.pick(0, _open) is not None)
    @rule(pick=PICK, investor=INVESTOR, data=st.data(), any_invoice=st.booleans())
    @counted
    def fund(self, pick: int, investor: int, data: st.DataObject, any_invoice: bool) -> None:
        inv = self._target(pick, lambda v: v.listing == L_OPEN, any_invoice and pick % 4 == 0)
        left = self.w.remaining(inv)
        kind = data.draw(
            st.sampled_from(["remaining", "random", "random", "one", "min_ticket", "below_min", "over", "zero"]),
            label="amount kind",
        )
        amount = {
            "remaining": left,
            "random": data.draw(st.integers(1, max(1, left)), label="amount") if kind == "random" else 0,
            "one": 1,
            "min_ticket": inv.min_ticket,
            "below_min": max(0, inv.min_ticket - 1),
            "over": left + 1,
            "zero": 0,
        }[kind]
        self.w.fund(inv, self._investor(investor), amount)

    @precondition(lambda self: self.w.pick(0, _open) is not None)
    @rule(pick=PICK, amount=st.integers(0, 10**6))
    @counted
    def fund_by_stranger(self, pick: int, amount: int) -> None:
        inv = self._target(pick, lambda v: v.listing == L_OPEN, False)
        self.w.fund(inv, self.a.stranger, amount)

    @precondition(lambda self: self.w.pick(0, _open) is not None)
    @rule(pick=PICK, who=st.sampled_from(["sme", "stranger", "investor"]), any_invoice=st.booleans())
    @counted
    def cancel(self, pick: int, who: str, any_invoice: bool) -> None:
        inv = self._target(pick, lambda v: v.listing == L_OPEN, any_invoice and pick % 3 == 0)
        sender = {"sme": self.a.sme, "stranger": self.a.stranger, "investor": self.a.investors[pick % 3]}[who]
        self.w.cancel(inv, sender)

    @precondition(lambda self: self.w.pick(0, lambda v: v.listing == L_CANCELLED) is not None)
    @rule(pick=PICK, holder=st.integers(0, 3), any_invoice=st.booleans())
    @counted
    def refund(self, pick: int, holder: int, any_invoice: bool) -> None:
        inv = self._target(pick, lambda v: v.listing == L_CANCELLED, any_invoice and pick % 3 == 0)
        self.w.refund(inv, self._holder_or_stranger(holder))

    # ---------------------------------------------------------------------------------------------- distributor

    def _repayment_amount(self, inv: Invoice, data: st.DataObject) -> int:
        outstanding = max(1, inv.face - inv.repaid)
        kind = data.draw(st.sampled_from(["one", "partial", "exact", "overpay", "zero"]), label="repayment kind")
        if kind == "partial":
            return data.draw(st.integers(1, outstanding), label="amount")
        if kind == "overpay":
            return outstanding + data.draw(st.integers(1, inv.face), label="excess")
        return {"one": 1, "exact": outstanding, "zero": 0}[kind]

    @precondition(lambda self: self.w.pick(0, _repayable) is not None)
    @rule(pick=PICK, data=st.data(), any_invoice=st.booleans())
    @counted
    def repay(self, pick: int, data: st.DataObject, any_invoice: bool) -> None:
        inv = self._target(pick, lambda v: v.book in (B_FUNDED, B_DEFAULTED), any_invoice and pick % 3 == 0)
        self.w.repay(inv, self._repayment_amount(inv, data))

    @precondition(lambda self: self.w.pick(0, _repayable) is not None)
    @rule(
        pick=PICK,
        data=st.data(),
        bank_ref=st.sampled_from(["fresh", "fresh", "reused", "replay"]),
        deadline_in=st.sampled_from([0, 3600, 3600, 3600, -1]),
        by_stranger=st.booleans(),
    )
    @counted
    def settle_bank_repayment(
        self, pick: int, data: st.DataObject, bank_ref: str, deadline_in: int, by_stranger: bool
    ) -> None:
        """Property 6: a bankRef is counted at most once, a report accepted at most once, under-signed never."""
        inv = self._target(pick, lambda v: v.book in (B_FUNDED, B_DEFAULTED), pick % 5 == 0)
        sender = self.a.stranger if by_stranger and pick % 4 == 0 else self.a.admin
        amount = self._repayment_amount(inv, data)
        signers = self._signers(data, ["current", "current", "subset", "below_threshold", "any"])
        self.w.settle(
            inv, amount, sender=sender, bank_ref=bank_ref, signers=signers, deadline_in=deadline_in, pick=pick
        )

    @precondition(lambda self: self.w.pick(0, lambda v: v.book == B_FUNDED) is not None)
    @rule(pick=PICK, any_invoice=st.booleans(), keeper=st.sampled_from(["stranger", "buyer"]))
    @counted
    def mark_defaulted(self, pick: int, any_invoice: bool, keeper: str) -> None:
        inv = self._target(pick, lambda v: v.book == B_FUNDED, any_invoice and pick % 3 == 0)
        self.w.mark_defaulted(inv, self.a.stranger if keeper == "stranger" else self.a.buyer)

    def _claimant(self, inv: Invoice, holder: int, anyone: bool) -> str:
        """Usually someone who held the invoice's shares; sometimes anyone (the stranger included)."""
        holders = sorted(inv.holders_ever)
        return self._holder_or_stranger(holder) if anyone or not holders else holders[holder % len(holders)]

    def _owed(self, inv: Invoice) -> bool:
        return inv.book != B_NONE and inv.net > sum(inv.paid.values()) + len(inv.holders_ever)

    @rule(pick=PICK, holder=st.integers(0, 3), anyone=st.booleans())
    @counted
    def claim(self, pick: int, holder: int, anyone: bool) -> None:
        inv = self._target(pick, self._owed, anyone and pick % 3 == 0)
        self.w.claim(inv, self._claimant(inv, holder, anyone))

    @rule(picks=st.lists(PICK, max_size=4), holder=st.integers(0, 3), anyone=st.booleans())
    @counted
    def claim_many(self, picks: list[int], holder: int, anyone: bool) -> None:
        invs = [self._target(p, self._owed, p % 4 == 0) for p in picks]
        who = self._claimant(invs[0], holder, anyone) if invs else self._holder_or_stranger(holder)
        self.w.claim_many([inv.id for inv in invs], who)

    @rule(holder=st.integers(0, 3), enabled=st.booleans())
    @counted
    def set_autopayout(self, holder: int, enabled: bool) -> None:
        self.w.set_autopayout(self._holder_or_stranger(holder), enabled)

    @rule(pick=PICK, holders=st.lists(st.integers(0, 3), max_size=6), keeper=st.sampled_from(["stranger", "buyer"]))
    @counted
    def claim_for(self, pick: int, holders: list[int], keeper: str) -> None:
        inv = self._target(pick, lambda v: v.book != B_NONE, pick % 5 == 0)
        self.w.claim_for(inv, [self._holder_or_stranger(h) for h in holders], getattr(self.a, keeper))

    # ---------------------------------------------------------------------------------------------- shares

    def _transfer_amount(self, balance: int, data: st.DataObject) -> int:
        kind = data.draw(st.sampled_from(["all", "one", "random", "random", "zero", "over"]), label="transfer kind")
        if kind == "random":
            return data.draw(st.integers(0, max(0, balance)), label="amount")
        return {"all": balance, "one": 1, "zero": 0, "over": balance + 1}[kind]

    @precondition(lambda self: self.w.pick(0, _has_shares) is not None)
    @rule(pick=PICK, frm=INVESTOR, to=st.integers(0, 3), data=st.data(), unapproved_operator=st.booleans())
    @counted
    def transfer_shares(self, pick: int, frm: int, to: int, data: st.DataObject, unapproved_operator: bool) -> None:
        """Property 8 is checked inside World.transfer on every successful transfer."""
        inv = self._target(pick, lambda v: any(v.shares.values()), False)
        holders = sorted(h for h, b in inv.shares.items() if b) or [self._investor(frm)]
        sender_from = holders[frm % len(holders)]
        amount = self._transfer_amount(inv.shares.get(sender_from, 0), data)
        operator = self._investor((frm + 1) % 3) if unapproved_operator and pick % 5 == 0 else None
        self.w.transfer([inv.id], sender_from, self._holder_or_stranger(to), [amount], sender=operator)

    @precondition(lambda self: self.w.pick(0, _has_shares) is not None)
    @rule(picks=st.lists(PICK, min_size=1, max_size=3), frm=INVESTOR, to=INVESTOR, data=st.data())
    @counted
    def batch_transfer_shares(self, picks: list[int], frm: int, to: int, data: st.DataObject) -> None:
        """Several ids (possibly the same one twice) in one safeBatchTransferFrom."""
        invs = [self._target(p, lambda v: any(v.shares.values()), False) for p in picks]
        sender_from = self._investor(frm)
        left = {inv.id: inv.shares.get(sender_from, 0) for inv in invs}
        amounts = []
        for inv in invs:
            amount = data.draw(st.integers(0, max(0, left[inv.id])), label="amount")
            left[inv.id] -= amount
            amounts.append(amount)
        self.w.transfer([inv.id for inv in invs], sender_from, self._investor(to), amounts)

    # ---------------------------------------------------------------------------------------------- others

    @rule(
        face=FACE,
        due_in=st.integers(2 * DAY, 120 * DAY),
        stage=st.sampled_from([VERIFIED, LISTED, LISTED + 0.5, FUNDED, FUNDED]),
        data=st.data(),
    )
    @counted
    def originate(self, face: int, due_in: int, stage: float, data: st.DataObject) -> None:
        """A new invoice walked to a random stage in one step (mint, verify, list, fund), with random terms."""
        w = self.w
        invoice_id = w.mint(self.a.sme, face, due_in)
        if invoice_id is None:  # the SME's KYC was revoked, or the token is paused
            return
        inv = w.inv(invoice_id)
        w.verify(inv, signers=self._signers(data, ["current", "subset"]))
        if stage < LISTED:
            return
        price = data.draw(st.one_of(st.just(1), st.just(face - 1), st.integers(1, face - 1)), label="price")
        room = inv.due - w.now() - 1
        deadline_in = data.draw(st.integers(min(5, room), room), label="deadline_in")
        min_ticket = data.draw(st.one_of(st.just(0), st.integers(0, price)), label="min_ticket")
        w.list(inv, self.a.sme, price, deadline_in, min_ticket)
        if stage == LISTED:
            return
        smallest = max(1, min_ticket)
        if stage < FUNDED:  # one ticket that leaves the listing open
            if smallest < price:
                amount = data.draw(st.integers(smallest, price - 1), label="ticket")
                w.fund(inv, self._investor(data.draw(INVESTOR, label="investor")), amount)
            return
        for n in range(3):  # up to three tickets, the last one completing the price
            left = w.remaining(inv)
            if left == 0:
                break
            last = n == 2 or left <= smallest
            amount = left if last else data.draw(st.integers(smallest, left), label="ticket")
            w.fund(inv, self._investor(data.draw(INVESTOR, label="investor")), amount)

    @rule(recipient=st.sampled_from(["escrow", "dist"]), amount=st.one_of(st.just(1), st.integers(1, 10**9)))
    @counted
    def donate(self, recipient: str, amount: int) -> None:
        self.w.donate(getattr(self.a, recipient), amount)

    @rule(seconds=st.one_of(st.integers(1, 3600), st.integers(3600, 10 * DAY), st.integers(10 * DAY, 45 * DAY)))
    @counted
    def warp(self, seconds: int) -> None:
        self.w.warp(seconds)

    @precondition(lambda self: self.w.pick(0, _open) is not None)
    @rule(pick=PICK, action=st.sampled_from(["fund", "cancel"]), offset=st.sampled_from([-1, 0, 1]), investor=INVESTOR)
    @counted
    def act_at_funding_deadline(self, pick: int, action: str, offset: int, investor: int) -> None:
        """Funds (allowed up to and at the deadline) or cancels as a stranger (allowed only after it) exactly one
        second before, at, or after a listing's funding deadline."""
        inv = self.w.pick(pick, _open)
        assert inv is not None
        if not self.w.warp_to(inv.deadline + offset):
            return
        if action == "fund":
            left = self.w.remaining(inv)
            self.w.fund(inv, self._investor(investor), left if left <= inv.min_ticket else max(1, inv.min_ticket))
        else:
            self.w.cancel(inv, self.a.stranger)

    @precondition(lambda self: self.w.pick(0, lambda v: v.book == B_FUNDED) is not None)
    @rule(pick=PICK, offset=st.sampled_from([-1, 0, 1]), keeper=st.sampled_from(["stranger", "buyer"]))
    @counted
    def default_at_grace_end(self, pick: int, offset: int, keeper: str) -> None:
        """markDefaulted one second before, at (both refused: it needs now > dueDate + grace) and after the end of
        the grace period."""
        inv = self.w.pick(pick, lambda v: v.book == B_FUNDED)
        assert inv is not None
        if self.w.warp_to(inv.due + inv.grace + offset):
            self.w.mark_defaulted(inv, getattr(self.a, keeper))

    @rule(
        fee_bps=st.one_of(st.integers(0, MAX_FEE_BPS), st.just(MAX_FEE_BPS + 1)),
        yield_bps=st.one_of(st.integers(0, MAX_YIELD_FEE_BPS), st.just(MAX_YIELD_FEE_BPS + 1)),
        grace=st.one_of(st.none(), st.sampled_from([0, 1, DAY, MAX_GRACE, MAX_GRACE + 1]), st.integers(0, 60 * DAY)),
    )
    @counted
    def set_terms(self, fee_bps: int, yield_bps: int, grace: int | None) -> None:
        """New fees and grace apply to new listings only: open and funded ones keep their own (the model uses those;
        p11 compares them with the chain's listing and book)."""
        self.w.set_terms(fee_bps, yield_bps, grace)

    @rule(contract=st.sampled_from(PAUSABLE), pick=PICK, holder=st.integers(0, 2))
    @counted
    def pause_window(self, contract: str, pick: int, holder: int) -> None:
        """Pauses one contract and shows that a state-changing entry point refuses while the ways out (claim, refund,
        and cancel of an expired listing) still work."""
        w, a = self.w, self.a
        w.pause(contract, True)
        probe = {
            "token": lambda: w.mint(a.sme, 100, 10 * DAY),
            "hub": lambda: w.verify(self._target(pick, self._with(MINTED), False)),
            "escrow": lambda: w.fund(self._target(pick, lambda v: v.listing == L_OPEN, False), a.investors[0], 1),
            "shares": lambda: w.transfer(
                [self._target(pick, lambda v: any(v.shares.values()), False).id],
                a.investors[holder],
                a.investors[(holder + 1) % 3],
                [0],
            ),
            "dist": lambda: w.repay(self._target(pick, lambda v: v.book == B_FUNDED, False), 1),
        }[contract]
        probe()
        refundable = w.pick(pick, lambda v: v.listing == L_CANCELLED and any(v.shares.values()))
        if refundable is not None:
            w.refund(refundable, sorted(h for h, b in refundable.shares.items() if b)[0])
        expired = w.pick(pick, lambda v: v.listing == L_OPEN and w.now() > v.deadline)
        if expired is not None:
            w.cancel(expired, a.stranger)
        owed = w.pick(pick, self._owed)
        if owed is not None:
            w.claim(owed, self._claimant(owed, holder, False))
        w.pause(contract, False)

    # ---------------------------------------------------------------------------------------------- invariants

    @invariant()
    def p0_count_steps(self) -> None:
        self.w.outcomes["invariant checks (steps + 1 per example)"] += 1

    @invariant()
    def p1_escrow_solvency(self) -> None:
        v, m, a = self.w.view(), self.w.m, self.a
        open_raised = sum(v.listing[i]["raised"] for i in m.invoices if v.listing[i]["state"] == L_OPEN)
        unrefunded = sum(v.supply[i] for i in m.invoices if v.listing[i]["state"] == L_CANCELLED)
        assert v.coin[a.escrow] == open_raised + unrefunded + m.donated[a.escrow], (
            f"escrow holds {v.coin[a.escrow]}, owes {open_raised} raised + {unrefunded} unrefunded"
            f" (+{m.donated[a.escrow]} donated)"
        )
        tracked = sum(inv.raised for inv in m.invoices.values() if inv.listing == L_OPEN) + sum(
            inv.supply() for inv in m.invoices.values() if inv.listing == L_CANCELLED
        )
        assert tracked == open_raised + unrefunded, "the escrow's obligations differ from the model's"

    @invariant()
    def p2_distributor_solvency(self) -> None:
        v, a = self.w.view(), self.a
        owed = sum(v.claimable.values())
        assert v.coin[a.dist] >= owed, f"distributor holds {v.coin[a.dist]} but owes {owed} claimable"

    @invariant()
    def p3_claims_within_net_repaid(self) -> None:
        v, m, a = self.w.view(), self.w.m, self.a
        for i, inv in m.invoices.items():
            if inv.listing == L_NONE:
                continue
            paid = sum(inv.paid.values())
            owed = sum(v.claimable[(i, h)] for h in a.holders)
            assert paid + owed <= inv.net, f"invoice {i}: paid {paid} + claimable {owed} > net repaid {inv.net}"
            assert paid + owed >= inv.net - len(inv.holders_ever), (
                f"invoice {i}: paid {paid} + claimable {owed} < net {inv.net} - {len(inv.holders_ever)} holders"
            )

    @invariant()
    def p4_supply_equals_raised(self) -> None:
        v, m = self.w.view(), self.w.m
        for i, inv in m.invoices.items():
            if v.status[i] in (LISTED, FUNDED):
                assert v.supply[i] == v.listing[i]["raised"] == inv.raised, (
                    f"invoice {i}: supply {v.supply[i]}, raised {v.listing[i]['raised']}, model {inv.raised}"
                )

    @invariant()
    def p5_one_live_token_per_key(self) -> None:
        v, m = self.w.view(), self.w.m
        for key, i in m.live_keys.items():
            assert v.id_by_key[key] == i, f"idByKey({key.hex()}) = {v.id_by_key[key]}, expected live token {i}"
            assert v.status[i] != NONE and v.invoice[i]["invoiceKey"] == key, f"token {i} is not live under its key"
        for key in m.freed_keys:
            assert v.id_by_key[key] == 0, f"burned key {key.hex()} still maps to {v.id_by_key[key]}"
        live = {i for i in m.invoices if v.status[i] != NONE}
        assert live == set(m.live_keys.values()), f"live tokens {live} vs live keys {set(m.live_keys.values())}"
        assert len(live) == len(m.live_keys), "two live keys share a token"
        assert v.next_id == m.next_id, f"nextInvoiceId {v.next_id}, model {m.next_id}"

    @invariant()
    def p6_reports_and_bank_refs_once(self) -> None:
        v, m = self.w.view(), self.w.m
        for r in m.accepted_reports:
            assert v.report_used[r], f"accepted report {r.hex()} is not marked used"
        for r in m.rejected_reports:
            assert not v.report_used[r], f"refused report {r.hex()} is marked used"
        for b in m.used_bank_refs:
            assert v.bank_ref_used[b], f"counted bankRef {b.hex()} is not marked used"
        for b in m.unused_bank_refs:
            assert not v.bank_ref_used[b], f"bankRef {b.hex()} of a refused report is marked used"

    @invariant()
    def p7_status_machine(self) -> None:
        v, m = self.w.view(), self.w.m
        for i, hist in m.history.items():
            for edge in itertools.pairwise(hist):
                assert edge in ALLOWED_EDGES, f"invoice {i}: illegal status change {edge} in {hist}"
            assert v.status[i] == m.invoices[i].status, (
                f"invoice {i}: status {v.status[i]}, model {m.invoices[i].status}"
            )

    @invariant()
    def p9_money_is_conserved(self) -> None:
        v, m = self.w.view(), self.w.m
        for address, expected in m.coin.items():
            assert v.coin[address] == expected, f"{self.w.names[address]} holds {v.coin[address]}, model {expected}"

    @invariant()
    def p10_pro_rata_per_holder(self) -> None:
        v, m = self.w.view(), self.w.m
        for i, inv in m.invoices.items():
            if inv.book == B_NONE:
                continue
            for h in inv.holders_ever:
                earned = inv.paid.get(h, 0) + v.claimable[(i, h)]
                exact = inv.entitled.get(h, Fraction(0))
                # IRepaymentDistributor: "a holder's dust is below one base unit" (finding F1 in PROPERTIES.md:
                # the 2^96 accumulator lost a whole unit when the exact share is a whole number).
                assert 0 <= exact - earned < 1, f"invoice {i}: {self.w.names[h]} earned {earned}, exact share {exact}"

    @invariant()
    def p11_books_and_positions_match(self) -> None:
        v, m = self.w.view(), self.w.m
        assert v.head == m.head, f"block time {v.head}, model {m.head}"
        for i, inv in m.invoices.items():
            listing, book = v.listing[i], v.book[i]
            assert (listing["state"], listing["raised"]) == (inv.listing, inv.raised), f"invoice {i}: {listing}"
            if inv.listing != L_NONE:
                # Terms are fixed at listing (IFundingEscrow): later admin changes must not show up here.
                terms = {k: listing[k] for k in ("price", "minTicket", "fundingDeadline", "feeBps", "yieldFeeBps")}
                assert terms == {
                    "price": inv.price,
                    "minTicket": inv.min_ticket,
                    "fundingDeadline": inv.deadline,
                    "feeBps": inv.fee_bps,
                    "yieldFeeBps": inv.yield_bps,
                }, f"invoice {i}: listing terms {listing}"
                assert listing.get("gracePeriod", inv.grace) == inv.grace, f"invoice {i}: listing grace {listing}"

                for h in self.a.holders:
                    assert v.position[(i, h)]["balance"] == inv.shares.get(h, 0), (
                        f"invoice {i}: {self.w.names[h]} shares"
                    )
                    assert v.position[(i, h)]["withdrawn"] == inv.paid.get(h, 0), (
                        f"invoice {i}: {self.w.names[h]} withdrawn"
                    )
            assert (book["state"], book["repaid"]) == (inv.book, inv.repaid), f"invoice {i}: book {book}"
            if inv.book != B_NONE:
                assert (book["principal"], book["faceValue"], book["dueDate"], book["yieldFeeBps"]) == (
                    inv.price,
                    inv.face,
                    inv.due,
                    inv.yield_bps,
                ), f"invoice {i}: book {book}"
                assert book.get("gracePeriod", inv.grace) == inv.grace, f"invoice {i}: book grace {book}"
                if i in v.net_distributed:  # the distributor's own count of net repaid, where it exposes one
                    assert v.net_distributed[i] == inv.net, f"invoice {i}: netDistributed {v.net_distributed[i]}"


# ---------------------------------------------------------------------------------------------------------- test


@pytest.fixture
def harness(
    system: Any, chain: Any, admin: Any, sme: Any, investors: Any, stranger: Any, buyer: Any, oracle_signers: Any
) -> Iterable[Harness]:
    """The deployment (from the session fixture) with a seeded pool, one-second blocks, and a funded donor."""
    provider = chain.provider
    donor = to_checksum_address(keccak(text="hundi-properties-donor")[-20:])
    provider.make_request("anvil_impersonateAccount", [donor])
    provider.make_request("anvil_setBalance", [donor, hex(10**21)])
    system.stablecoin.mint(donor, 10**13, sender=admin)
    actors = Actors(
        admin=admin.address,
        sme=sme.address,
        investors=tuple(i.address for i in investors),
        stranger=stranger.address,
        buyer=buyer.address,
        treasury=system.treasury.address,
        donor=donor,
        escrow=system.escrow.address,
        dist=system.distributor.address,
    )
    oracle = Oracle(system.domain, oracle_signers)
    sample = Verification(1, b"\x01" * 32, True, 1, 1, 2**40, 1)
    assert oracle.sign(sample, [0, 1, 2]) == sign_all(sample, system.domain, oracle_signers)
    # One block per second of chain time, whatever the wall clock does: deadlines are then exact and replayable.
    provider.make_request("anvil_setBlockTimestampInterval", [1])
    try:
        h = Harness(system, chain, actors, oracle)
        h.seed()
        yield h
    finally:
        provider.make_request("anvil_removeBlockTimestampInterval", [])
        provider.make_request("anvil_stopImpersonatingAccount", [donor])


@pytest.mark.properties
@pytest.mark.timeout(profile_timeout())
def test_system_invariants_hold_under_random_operations(harness, property_settings):
    SystemMachine.harness = harness
    started = time.monotonic()
    try:
        run_state_machine_as_test(SystemMachine, settings=property_settings)
    finally:
        log.info(
            "state machine ran %.1f s; outcomes:\n%s",
            time.monotonic() - started,
            "\n".join(f"{n:6d}  {k}" for k, n in sorted(harness.outcomes.items())),
        )


def test_sole_holder_dust_is_below_one_base_unit(system, funded_invoice, investor, buyer):
    """CONTRACTS.md: "Dust left after every holder has claimed must be smaller than the number of holders", and
    IRepaymentDistributor: "a holder's dust is below one base unit". Regression for finding F1 (PROPERTIES.md), shrunk
    from the state machine's property 10: with the old 2^96 accumulator the only holder of a 3-unit principal, owed
    exactly 1 unit after a 1-unit repayment, could claim 0 (floor(floor(1 * 2^96 / 3) * 3 / 2^96) = 0)."""
    invoice_id = funded_invoice(face=4, price=3, amounts=[3])
    system.distributor.repay(invoice_id, 1, sender=buyer)  # below principal: no yield fee, all of it is the holder's
    assert system.distributor.claimable(invoice_id, investor) == 1
