"""Shared fixtures for the contract suites: one real deployment on anvil (through the same deployer `hundi deploy`
uses), role accounts, and factories that walk invoices through the status machine.

ape isolates every test in a chain snapshot, so the session-scoped deployment is fresh for each test.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
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


@pytest.fixture(scope="session")
def system(project, chain, accounts, admin, sme, investors, buyer, treasury_account) -> System:
    config = DeployConfig.local_defaults()
    config.treasury = treasury_account.address
    config.fee_bps, config.yield_fee_bps, config.grace_period = FEE_BPS, YIELD_FEE_BPS, GRACE
    deployment = deploy_system(chain.provider.web3, dev_account(0), config, name="test")
    at = deployment.address
    sys_ = System(
        deployment=deployment,
        kyc=project.KycRegistry.at(at("KycRegistry")),
        token=project.InvoiceToken.at(at("InvoiceToken")),
        hub=project.OracleHub.at(at("OracleHub")),
        shares=project.InvoiceShares.at(at("InvoiceShares")),
        distributor=project.RepaymentDistributor.at(at("RepaymentDistributor")),
        escrow=project.FundingEscrow.at(at("FundingEscrow")),
        stablecoin=project.MockStablecoin.at(at("Stablecoin")),
        domain=report_domain(chain.chain_id, at("OracleHub")),
        treasury=treasury_account,
    )
    far = chain.pending_timestamp + 10 * 365 * DAY
    sys_.kyc.setKyc(sme, SME, far, sender=admin)
    for inv in investors:
        sys_.kyc.setKyc(inv, INVESTOR, far, sender=admin)
    for holder in [*investors, buyer, admin]:
        sys_.stablecoin.mint(holder, 5_000_000 * UNIT, sender=admin)
        sys_.stablecoin.approve(sys_.escrow, 2**256 - 1, sender=holder)
        sys_.stablecoin.approve(sys_.distributor, 2**256 - 1, sender=holder)
    return sys_


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


_keys = itertools.count(1)


def fresh_key() -> bytes:
    """A new, unique invoiceKey."""
    return keccak(text=f"invoice-{next(_keys)}")


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
