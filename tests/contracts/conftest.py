"""Shared fixtures for the contract suites: one real deployment on anvil (through the same deployer `hundi deploy`
uses), role accounts, and factories that walk invoices through the status machine.

ape isolates every test in a chain snapshot, so the session-scoped deployment is fresh for each test.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import ape_test.accounts as ape_test_accounts
import pytest
from eth_account import Account
from eth_utils import keccak

from hundi.chain.deploy import DeployConfig, deploy_system
from hundi.chain.deployment import Deployment
from hundi.chain.devkeys import dev_account
from hundi.chain.reports import Repayment, Verification, report_domain, sign_all

SME, INVESTOR = 1, 2
ALL_CHECKS = 0b111111
UNIT = 10**6  # the stablecoin has 6 decimals
DAY = 86400
FEE_BPS, YIELD_FEE_BPS, GRACE = 100, 1000, 30 * DAY
SIGNER_INDEXES = (7, 8, 9)

# The status machine's numbering (IInvoiceToken.Status).
NONE, MINTED, VERIFIED, REJECTED, LISTED, FUNDED, REPAID, DEFAULTED, CANCELLED = range(9)
BPS = 10_000

# The status machine of ARCHITECTURE.md: the seven transitions (Minted -> Verified/Rejected through
# recordVerification, the rest through transition)...
TRANSITIONS = frozenset(
    {
        (MINTED, VERIFIED),
        (MINTED, REJECTED),
        (VERIFIED, LISTED),
        (LISTED, FUNDED),
        (LISTED, CANCELLED),
        (FUNDED, REPAID),
        (FUNDED, DEFAULTED),
    }
)
# ...and burn, allowed from these (Cancelled too, so an unfilled invoice can be financed again; its refunds stay in
# the escrow).
BURNABLE = (MINTED, VERIFIED, REJECTED, CANCELLED)
# Every status change an invoice can show, mint (None -> Minted) and burn (-> None) included.
ALLOWED_EDGES = TRANSITIONS | {(NONE, MINTED)} | {(status, NONE) for status in BURNABLE}


def ceil_div(a: int, b: int) -> int:
    """Integer division rounding up, as the contracts round fees."""
    return -(-a // b)


@dataclass
class System:
    """The deployed contracts as ape instances, plus what tests need to sign reports."""

    deployment: Deployment
    kyc: Any
    token: Any
    hub: Any
    shares: Any
    distributor: Any
    escrow: Any
    stablecoin: Any
    domain: dict[str, Any]
    treasury: Any


@pytest.fixture(autouse=True, scope="session")
def _cache_test_accounts() -> Iterator[None]:
    """Speed only: ape-foundry prints a call trace on every revert, and enriching it re-derives every test account
    from the mnemonic (~0.8 s per revert). Derivation is deterministic, so each account is derived once per
    session here; ape's own method is back in place when the session ends."""
    container = ape_test_accounts.TestAccountContainer
    original = container.generate_account
    cache: dict[tuple[str, str, int], Any] = {}

    def generate_account(self: Any, index: int | None = None) -> Any:
        # Only the configured accounts: a generated one (index None or past them) is new each time by design.
        if index is None or index >= self.number_of_accounts:
            return original(self, index)
        key = (self.mnemonic, self.hd_path, index)
        if key not in cache:
            cache[key] = original(self, index)
        return cache[key]

    container.generate_account = generate_account  # type: ignore[method-assign]
    try:
        yield
    finally:
        container.generate_account = original  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def admin(accounts):
    """Deployer: DEFAULT_ADMIN, KYC officer, pauser and collector."""
    return accounts[0]


@pytest.fixture(scope="session")
def sme(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def investors(accounts):
    return [accounts[2], accounts[3], accounts[4]]


@pytest.fixture(scope="session")
def investor(investors):
    return investors[0]


@pytest.fixture(scope="session")
def stranger(accounts):
    """An address with no KYC and no role."""
    return accounts[5]


@pytest.fixture(scope="session")
def buyer(accounts):
    """The invoice's buyer, who repays on-chain."""
    return accounts[6]


@pytest.fixture(scope="session")
def oracle_signers():
    """Private keys of the three oracle operators (dev accounts 7, 8, 9)."""
    return [dev_account(i).key for i in SIGNER_INDEXES]


@pytest.fixture(scope="session")
def treasury_account(accounts):
    """A treasury of its own, so fee assertions are not muddled with the admin's balance."""
    return accounts.generate_test_account()


def build_system(
    project: Any,
    chain: Any,
    treasury: Any,
    *,
    admin: Any = None,
    sme: Any = None,
    investors: Sequence[Any] = (),
    buyer: Any = None,
    name: str = "test",
    progress: Callable[[str], None] | None = None,
) -> System:
    """Deploy the system on `chain` through `hundi deploy`'s deployer (dev account 0) with the test fees and grace
    period, and wrap it in ape instances. The `system` fixture and tests/bench/bench_gas.py both deploy this way.

    With `admin`, also onboard the test parties: KYC for `sme` (SME) and `investors` (INVESTOR) for ten years, and
    5,000,000 stablecoin for each investor, `buyer` and `admin`, approved without limit to the escrow and the
    distributor.
    """
    # Compile first (a no-op when nothing changed): the deployer reads .build/, which a bare `ape test` would
    # otherwise leave stale after a contract edit.
    project.load_contracts()
    config = DeployConfig.local_defaults()
    config.treasury = treasury.address
    config.fee_bps, config.yield_fee_bps, config.grace_period = FEE_BPS, YIELD_FEE_BPS, GRACE
    options: dict[str, Any] = {} if progress is None else {"progress": progress}
    deployment = deploy_system(chain.provider.web3, dev_account(0), config, name=name, **options)
    at = deployment.address
    system = System(
        deployment=deployment,
        kyc=project.KycRegistry.at(at("KycRegistry")),
        token=project.InvoiceToken.at(at("InvoiceToken")),
        hub=project.OracleHub.at(at("OracleHub")),
        shares=project.InvoiceShares.at(at("InvoiceShares")),
        distributor=project.RepaymentDistributor.at(at("RepaymentDistributor")),
        escrow=project.FundingEscrow.at(at("FundingEscrow")),
        stablecoin=project.MockStablecoin.at(at("Stablecoin")),
        domain=report_domain(chain.chain_id, at("OracleHub")),
        treasury=treasury,
    )
    if admin is None:
        return system
    far = chain.pending_timestamp + 10 * 365 * DAY
    system.kyc.setKyc(sme, SME, far, sender=admin)
    for inv in investors:
        system.kyc.setKyc(inv, INVESTOR, far, sender=admin)
    for holder in [*investors, buyer, admin]:
        system.stablecoin.mint(holder, 5_000_000 * UNIT, sender=admin)
        system.stablecoin.approve(system.escrow, 2**256 - 1, sender=holder)
        system.stablecoin.approve(system.distributor, 2**256 - 1, sender=holder)
    return system


@pytest.fixture(scope="session")
def system(project, chain, accounts, admin, sme, investors, buyer, treasury_account) -> System:
    return build_system(project, chain, treasury_account, admin=admin, sme=sme, investors=investors, buyer=buyer)


# Convenience fixtures for single contracts.
@pytest.fixture
def kyc(system):
    return system.kyc


@pytest.fixture
def token(system):
    return system.token


@pytest.fixture
def hub(system):
    return system.hub


@pytest.fixture
def shares(system):
    return system.shares


@pytest.fixture
def distributor(system):
    return system.distributor


@pytest.fixture
def escrow(system):
    return system.escrow


@pytest.fixture
def stablecoin(system):
    return system.stablecoin


def sign_permit(
    stablecoin: Any, chain: Any, owner: Any, spender: Any, value: int, deadline: int, *, key: str | None = None
) -> tuple[int, bytes, bytes]:
    """An EIP-2612 permit over the MockStablecoin domain for the owner's current nonce, signed in Python (with
    `key`, by another key than the owner's); returns (v, r, s)."""
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
            "spender": getattr(spender, "address", spender),
            "value": value,
            "nonce": stablecoin.nonces(owner),
            "deadline": deadline,
        },
    }
    signed = Account.sign_typed_data(key or owner.private_key, full_message=message)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


_keys = itertools.count(1)


def fresh_key() -> bytes:
    """A new, unique invoiceKey."""
    return keccak(text=f"invoice-{next(_keys)}")


def mint_verified(
    system: System,
    chain: Any,
    seller: Any,
    submitter: Any,
    signer_keys: Sequence[bytes],
    *,
    key: str,
    doc: str,
    cid: str,
) -> int:
    """Mint an invoice of 100,000 UNIT due in 60 days as `seller`, verify it (risk 70, every check, signed by the
    first two keys) as `submitter`, and return its id. For module-scoped pools, which cannot use the function-scoped
    factories; `key` and `doc` are hashed into the invoiceKey and docDigest."""
    now = chain.pending_timestamp
    digest = keccak(text=doc)
    request = (keccak(text=key), keccak(text="buyer"), 100_000 * UNIT, now - DAY, now + 60 * DAY, digest, cid)
    invoice_id = int(system.token.mint(request, sender=seller).return_value)
    report = Verification(invoice_id, digest, True, 70, ALL_CHECKS, now + 3600, 1)
    system.hub.submitVerification(report.as_tuple(), sign_all(report, system.domain, signer_keys[:2]), sender=submitter)
    return invoice_id


@pytest.fixture
def mint_request(chain) -> Callable[..., tuple[Any, ...]]:
    """Build a MintRequest tuple; every field can be overridden."""

    def build(
        *,
        key: bytes | None = None,
        buyer_id: bytes = keccak(text="27AAPFU0939F1ZV"),
        face: int = 100_000 * UNIT,
        issue_date: int | None = None,
        due_in: int = 60 * DAY,
        digest: bytes = keccak(text="document"),
        cid: str = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
    ) -> tuple[Any, ...]:
        now = chain.pending_timestamp
        return (
            key or fresh_key(),
            buyer_id,
            face,
            now - DAY if issue_date is None else issue_date,
            now + due_in,
            digest,
            cid,
        )

    return build


@pytest.fixture
def make_invoice(system, sme, mint_request) -> Callable[..., int]:
    """Mint an invoice as the SME and return its id."""

    def make(seller=None, **overrides: Any) -> int:
        receipt = system.token.mint(mint_request(**overrides), sender=seller or sme)
        return int(receipt.return_value)

    return make


@pytest.fixture
def verification(system, chain, oracle_signers) -> Callable[..., tuple[Verification, list[bytes]]]:
    """A Verification report for `invoice_id` and its sorted signatures (2 of 3 by default)."""

    def build(
        invoice_id: int,
        *,
        approved: bool = True,
        risk: int = 70,
        checks: int = ALL_CHECKS,
        digest: bytes | None = None,
        deadline_in: int = 3600,
        nonce: int = 1,
        signer_keys: Sequence[bytes] | None = None,
        domain: dict[str, Any] | None = None,
    ) -> tuple[Verification, list[bytes]]:
        report = Verification(
            invoiceId=invoice_id,
            docDigest=digest if digest is not None else bytes(system.token.invoiceOf(invoice_id).docDigest),
            approved=approved,
            riskScore=risk,
            checks=checks,
            deadline=chain.pending_timestamp + deadline_in,
            nonce=nonce,
        )
        keys = oracle_signers[:2] if signer_keys is None else signer_keys
        return report, sign_all(report, domain or system.domain, keys)

    return build


@pytest.fixture
def repayment(system, chain, oracle_signers) -> Callable[..., tuple[Repayment, list[bytes]]]:
    """A Repayment report and its sorted signatures (2 of 3 by default)."""

    def build(
        invoice_id: int,
        amount: int,
        *,
        bank_ref: bytes | None = None,
        deadline_in: int = 3600,
        nonce: int = 1,
        signer_keys: Sequence[bytes] | None = None,
        domain: dict[str, Any] | None = None,
    ) -> tuple[Repayment, list[bytes]]:
        report = Repayment(
            invoiceId=invoice_id,
            amount=amount,
            bankRef=bank_ref or keccak(text=f"UTR-{invoice_id}-{nonce}-{amount}"),
            paidAt=chain.pending_timestamp - 60,
            deadline=chain.pending_timestamp + deadline_in,
            nonce=nonce,
        )
        keys = oracle_signers[:2] if signer_keys is None else signer_keys
        return report, sign_all(report, domain or system.domain, keys)

    return build


@pytest.fixture
def verified_invoice(system, make_invoice, verification, admin) -> Callable[..., int]:
    """Mint and verify (2-of-3) an invoice; return its id."""

    def make(risk: int = 70, **overrides: Any) -> int:
        invoice_id = make_invoice(**overrides)
        report, sigs = verification(invoice_id, risk=risk)
        system.hub.submitVerification(report.as_tuple(), sigs, sender=admin)
        return invoice_id

    return make


@pytest.fixture
def listed_invoice(system, chain, verified_invoice, sme) -> Callable[..., int]:
    """A Verified invoice listed by the SME at `price` (default 95% of face); returns its id."""

    def make(
        *,
        face: int = 100_000 * UNIT,
        price: int | None = None,
        deadline_in: int = 7 * DAY,
        min_ticket: int = 0,
        **overrides: Any,
    ) -> int:
        invoice_id = verified_invoice(face=face, **overrides)
        price = price if price is not None else face * 95 // 100
        system.escrow.list(invoice_id, price, chain.pending_timestamp + deadline_in, min_ticket, sender=sme)
        return invoice_id

    return make


@pytest.fixture
def funded_invoice(system, listed_invoice, investors) -> Callable[..., int]:
    """A listed invoice funded to full by `amounts` from the investors (default: three roughly equal tickets)."""

    def make(
        *, amounts: Sequence[int] | None = None, face: int = 100_000 * UNIT, price: int | None = None, **overrides: Any
    ) -> int:
        price = price if price is not None else face * 95 // 100
        invoice_id = listed_invoice(face=face, price=price, **overrides)
        if amounts is None:
            third = price // 3
            amounts = [third, third, price - 2 * third]
        assert sum(amounts) == price, "the tickets must fill the price"
        for who, amount in zip(investors, amounts, strict=False):
            system.escrow.fund(invoice_id, amount, sender=who)
        return invoice_id

    return make
