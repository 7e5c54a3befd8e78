"""The demo world of `hundi dev`: KYC'd SMEs and investors with stablecoin, and invoices in every status.

Everything is real: the invoices are GST tax invoices between taxpayers of the sandbox GST registry, rendered as
PDFs, encrypted into the document store, checked with the same `verify_invoice` the oracle runs, and driven
through the contracts with the anvil dev keys (local chains only). What the seed leaves behind:

=========  ================================================================================================
label      state
=========  ================================================================================================
defaulted  funded in the past, partly repaid, then past its due date and grace period: marked Defaulted
repaid     funded in the past, repaid half through a bank settlement and half on-chain: claims waiting
funded     fully funded today; the seller has the advance
open       listed, a third funded, open for more investors
fresh      listed, nobody has funded it yet
minted     just minted and left for the oracle, which verifies it live when it starts
=========  ================================================================================================

History needs time to pass (a default only happens after dueDate + grace), so the older invoices are made first
and the chain then travels forward with evm_increaseTime. `hundi dev` starts anvil with its genesis that far in the
past, so after the jump the chain's clock is the wall clock again; on a chain that is already at the wall clock the
jump leaves it in the future (a warning says so).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as day_time
from decimal import Decimal
from typing import Any, Literal

from eth_abi import decode as abi_decode
from eth_utils import keccak
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError
from web3.types import Nonce, TxParams, TxReceipt

from hundi.chain.deployment import Deployment, HundiContracts
from hundi.chain.devkeys import dev_account, is_local_chain
from hundi.chain.reports import Repayment, Verification, report_domain, sign_all
from hundi.devstack.documents import LineItem, Party, format_amount, render_pdf, tax_invoice
from hundi.documents import DocumentVault
from hundi.errors import HundiError
from hundi.gst.gstin import STATE_CODES
from hundi.gst.irn import buyer_id, financial_year_of, invoice_key
from hundi.gst.registry import SandboxGstRegistry
from hundi.risk import DEFAULT_MODEL, InvoiceOutcome, buyer_history, seller_history
from hundi.verification import IST, DeclaredInvoice, ist_date, verify_invoice

log = logging.getLogger(__name__)

SME, INVESTOR = 1, 2  # KycRegistry role bits
DECIMALS = 6  # MockStablecoin
UNIT = 10**DECIMALS
DAY = 86400
MAX_UINT = 2**256 - 1
#: Stablecoin each funded wallet starts with: ₹50 lakh.
STARTING_BALANCE = 5_000_000 * UNIT

#: InvoiceToken.Status names by number (CONTRACTS.md).
STATUS_NAMES = ("None", "Minted", "Verified", "Rejected", "Listed", "Funded", "Repaid", "Defaulted", "Cancelled")
MINTED, VERIFIED, LISTED, FUNDED, REPAID, DEFAULTED = 1, 2, 4, 5, 6, 7

# The demo wallets: anvil dev account indexes. Account 0 deployed the system and holds every role (local defaults);
# 7, 8 and 9 are the oracle signers of DeployConfig.local_defaults.
OPERATOR, GANESH, NANDI, ASHA, RAVI, MEERA, BUYER_DESK = 0, 1, 2, 3, 4, 5, 6
INVESTORS = (ASHA, RAVI, MEERA)


class SeedError(HundiError):
    """The demo data could not be created; the message says which step failed and why."""


@dataclass(frozen=True)
class DemoWallet:
    """One labelled dev account of the demo."""

    index: int
    role: str
    name: str

    @property
    def address(self) -> str:
        return str(dev_account(self.index).address)

    @property
    def private_key(self) -> str:
        return "0x" + bytes(dev_account(self.index).key).hex()


DEMO_WALLETS: tuple[DemoWallet, ...] = (
    DemoWallet(OPERATOR, "operator", "deployer, admin, KYC officer, collector, treasury"),
    DemoWallet(GANESH, "SME", "Shree Ganesh Textiles (27AAKCS4821M1ZW)"),
    DemoWallet(NANDI, "SME", "Nandi Precision Components (29AAPFN7314Q1ZC)"),
    DemoWallet(ASHA, "investor", "Asha"),
    DemoWallet(RAVI, "investor", "Ravi"),
    DemoWallet(MEERA, "investor", "Meera"),
    DemoWallet(BUYER_DESK, "buyer", "buyers' payables desk: repays invoices on-chain"),
    DemoWallet(7, "oracle", "oracle signer 1"),
    DemoWallet(8, "oracle", "oracle signer 2"),
    DemoWallet(9, "oracle", "oracle signer 3 (spare)"),
)

# Addresses printed on the invoices; names and GSTINs come from the sandbox GST registry.
_ADDRESSES: dict[str, tuple[str, str]] = {
    "27AAKCS4821M1ZW": ("Plot 12, MIDC Industrial Area, Bhosari", "Pune, Maharashtra"),
    "29AAPFN7314Q1ZC": ("Unit 3, Phase II, Peenya Industrial Estate", "Bengaluru, Karnataka"),
    "33AACCC8812F1ZZ": ("8 Anna Salai, Guindy", "Chennai, Tamil Nadu"),
    "29AACCM4470P1ZV": ("45 Ring Road, Yeshwanthpur", "Bengaluru, Karnataka"),
    "27AABCS9036J1Z2": ("22 Station Road, Thane West", "Thane, Maharashtra"),
    "06AADCA2259B1Z8": ("Sector 18, Udyog Vihar", "Gurugram, Haryana"),
    "23AABCN1175E1ZY": ("14/2 MG Road", "Indore, Madhya Pradesh"),
}
_SELLER_GSTIN = {GANESH: "27AAKCS4821M1ZW", NANDI: "29AAPFN7314Q1ZC"}


@dataclass(frozen=True)
class InvoicePlan:
    """One demo invoice: who, what, when (days relative to the day it is minted) and how far it goes."""

    label: str
    seller: int
    buyer_gstin: str
    number: str  # `{fy}` is replaced by the financial year's short form, e.g. 25-26
    issued: int  # days before the mint day
    due: int  # days after the mint day
    items: tuple[LineItem, ...]
    tax_rate: int
    layout: str
    font: str
    target: int  # the status the seed leaves it in
    discount_bps: int = 300  # price = face * (1 - discount)
    tickets: tuple[tuple[int, int], ...] = ()  # (investor, basis points of the price); the last may round up
    min_ticket: int = 0  # rupees
    deadline: int = 7  # funding deadline, days after listing


def _items(*rows: tuple[str, str, int, str]) -> tuple[LineItem, ...]:
    return tuple(LineItem(desc, hsn, qty, Decimal(rate)) for desc, hsn, qty, rate in rows)


#: Made in the past (before the time jump).
HISTORY: tuple[InvoicePlan, ...] = (
    InvoicePlan(
        "defaulted",
        GANESH,
        "33AACCC8812F1ZZ",
        "GT/{fy}/0131",
        issued=25,
        due=5,
        items=_items(("Cotton Yarn 40s", "5205", 420, "265.50"), ("Freight Charges", "996511", 1, "6500.00")),
        tax_rate=12,
        layout="letterhead",
        font="Helvetica",
        target=DEFAULTED,
        discount_bps=300,
        tickets=((ASHA, 6000), (RAVI, 4000)),
        deadline=2,
    ),
    InvoicePlan(
        "repaid",
        NANDI,
        "29AACCM4470P1ZV",
        "NPC/{fy}/0087",
        issued=3,
        due=58,
        items=_items(("Ball Bearings 6205", "84821010", 1200, "142.00"), ("Brake Pads Set", "870830", 150, "890.00")),
        tax_rate=18,
        layout="table",
        font="Times",
        target=REPAID,
        discount_bps=250,
        tickets=((ASHA, 4000), (RAVI, 3500), (MEERA, 2500)),
        min_ticket=5_000,
    ),
)
#: Made today (after the time jump).
TODAY: tuple[InvoicePlan, ...] = (
    InvoicePlan(
        "funded",
        GANESH,
        "27AABCS9036J1Z2",
        "GT/{fy}/0164",
        issued=6,
        due=39,
        items=_items(("Cotton Yarn 40s", "5205", 300, "270.00"), ("Corrugated Boxes", "4819", 800, "38.50")),
        tax_rate=12,
        layout="compact",
        font="Helvetica",
        target=FUNDED,
        discount_bps=200,
        tickets=((RAVI, 5000), (MEERA, 5000)),
    ),
    InvoicePlan(
        "open",
        NANDI,
        "06AADCA2259B1Z8",
        "NPC/{fy}/0102",
        issued=2,
        due=60,
        items=_items(
            ("Ball Bearings 6205", "84821010", 2500, "139.00"), ("Copper Wire 2.5 sq mm", "8544", 90, "2150.00")
        ),
        tax_rate=18,
        layout="letterhead",
        font="Times",
        target=LISTED,
        discount_bps=350,
        tickets=((ASHA, 3300),),
        min_ticket=10_000,
        deadline=10,
    ),
    InvoicePlan(
        "fresh",
        GANESH,
        "23AABCN1175E1ZY",
        "GT/{fy}/0171",
        issued=1,
        due=85,
        items=_items(("MS Steel Rods 12mm", "7214", 95, "5240.00"), ("Freight Charges", "996511", 1, "18500.00")),
        tax_rate=18,
        layout="table",
        font="Helvetica",
        target=LISTED,
        discount_bps=450,
        min_ticket=25_000,
        deadline=14,
    ),
    InvoicePlan(
        "minted",
        NANDI,
        "33AACCC8812F1ZZ",
        "NPC/{fy}/0109",
        issued=0,
        due=30,
        items=_items(("Brake Pads Set", "870830", 240, "905.00"), ("Printing Services", "998912", 1, "4200.00")),
        tax_rate=18,
        layout="compact",
        font="Courier",
        target=MINTED,
    ),
)


@dataclass
class SeededInvoice:
    """What the seed made of one plan."""

    label: str
    invoice_id: int
    number: str
    seller: str
    seller_name: str
    buyer_name: str
    face_value: int
    price: int = 0
    raised: int = 0
    due_date: date | None = None
    document_cid: str = ""
    risk_score: int | None = None
    status: int = 0


@dataclass
class SeedResult:
    """The seeded invoices (by label) and the chain time the seed finished at."""

    invoices: dict[str, SeededInvoice] = field(default_factory=dict)
    chain_time: int = 0
    travelled: int = 0

    def ids(self) -> dict[str, int]:
        return {label: inv.invoice_id for label, inv in self.invoices.items()}


class _Wallets:
    """Signs and sends the demo wallets' transactions with the dev keys; names what failed."""

    def __init__(self, w3: Web3, deployment: Deployment) -> None:
        self.w3 = w3
        self.deployment = deployment
        self._nonces: dict[str, int] = {}
        self._errors = _error_selectors(deployment)

    def send(self, who: int, fn: ContractFunction, what: str) -> TxReceipt:
        account = dev_account(who)
        nonce = self._nonces.get(account.address)
        if nonce is None:
            nonce = int(self.w3.eth.get_transaction_count(account.address, "pending"))
        try:
            params: TxParams = {"from": account.address, "nonce": Nonce(nonce), "chainId": self.deployment.chainId}
            tx = fn.build_transaction(params)
        except (ContractCustomError, ContractLogicError, Web3RPCError) as exc:
            raise SeedError(f"{what}: the transaction would revert: {self._explain(exc)}") from exc
        signed = account.sign_transaction(dict(tx))  # type: ignore[arg-type]
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.01)
        self._nonces[account.address] = nonce + 1
        if receipt["status"] != 1:
            raise SeedError(f"{what}: transaction {tx_hash.hex()} reverted")
        return receipt

    def _explain(self, exc: Exception) -> str:
        data = getattr(exc, "data", None)
        if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
            raw = bytes.fromhex(data[2:])
            known = self._errors.get(raw[:4])
            if known is not None:
                name, types = known
                try:
                    args = abi_decode(types, raw[4:])
                except Exception:  # show the raw data instead
                    return f"{name}(<undecodable {data}>)"
                return f"{name}({', '.join(_show(a) for a in args)})"
            return f"custom error {data}"
        return str(exc)


def _show(value: Any) -> str:
    return "0x" + value.hex() if isinstance(value, bytes) else str(value)


def _error_selectors(deployment: Deployment) -> dict[bytes, tuple[str, list[str]]]:
    """Custom error selector -> (name, argument types), from every ABI of the deployment."""
    found: dict[bytes, tuple[str, list[str]]] = {}
    for entry in deployment.contracts.values():
        for item in entry.abi:
            if item.get("type") != "error":
                continue
            types = [str(i["type"]) for i in item.get("inputs", [])]
            signature = f"{item['name']}({','.join(types)})"
            found[keccak(text=signature)[:4]] = (str(item["name"]), types)
    return found


def _noon_ist(day: date) -> int:
    """Unix seconds of noon in India on `day`: the timestamp the seed mints a calendar date as."""
    return int(datetime.combine(day, day_time(12), IST).timestamp())


def _rupees(base_units: int) -> str:
    return format_amount(Decimal(base_units).scaleb(-DECIMALS), "indian")


class Seeder:
    """Drives the demo invoices through the contracts; `seed()` runs it all."""

    def __init__(
        self,
        w3: Web3,
        deployment: Deployment,
        vault: DocumentVault,
        *,
        progress: Callable[[str], None] = log.info,
        registry: SandboxGstRegistry | None = None,
    ) -> None:
        if not is_local_chain(deployment.chainId):
            raise SeedError(f"chain {deployment.chainId} is not a local chain: the demo seed uses public dev keys")
        self.w3 = w3
        self.deployment = deployment
        self.c: HundiContracts = deployment.handles(w3)
        self.vault = vault
        self.progress = progress
        self.registry = registry or SandboxGstRegistry()
        self.wallets = _Wallets(w3, deployment)
        self.domain = report_domain(deployment.chainId, deployment.address("OracleHub"))
        signers = deployment.roles.get("OracleHub", {}).get("SIGNERS", [])
        self.threshold = int(deployment.config.get("threshold", 1))
        by_address = {str(dev_account(i).address): i for i in range(20)}
        self.signer_keys = [bytes(dev_account(by_address[s]).key) for s in signers if s in by_address]
        if len(self.signer_keys) < self.threshold:
            raise SeedError(
                f"the deployment's oracle signers {signers} are not dev accounts (need {self.threshold} of them): "
                "seed a deployment made with DeployConfig.local_defaults (`hundi deploy` on a local chain)"
            )
        self.result = SeedResult()
        self._requests: dict[str, tuple[Any, ...]] = {}  # label -> MintRequest tuple
        self._outcomes: list[InvoiceOutcome] = []  # settled invoices: the risk history, as the oracle reads it

    # ------------------------------------------------------------------------------------------------- chain

    @property
    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def travel_to(self, target: int) -> int:
        """Move the chain clock forward to `target` (never backward) with evm_increaseTime; return the seconds."""
        delta = max(0, target - self.now)
        if delta:
            self.w3.provider.make_request("evm_increaseTime", [delta])  # type: ignore[arg-type]
            self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        return delta

    # ------------------------------------------------------------------------------------------------- steps

    def onboard(self) -> None:
        """KYC the SMEs and investors for two years; give investors, the buyers' desk and the collector
        stablecoin, approved to the escrow (investors) and the distributor (payers)."""
        kyc, coin = self.c.kyc.functions, self.c.stablecoin.functions
        until = self.now + 2 * 365 * DAY
        for who in (GANESH, NANDI):
            self.wallets.send(OPERATOR, kyc.setKyc(dev_account(who).address, SME, until), f"KYC SME {who}")
        for who in INVESTORS:
            self.wallets.send(OPERATOR, kyc.setKyc(dev_account(who).address, INVESTOR, until), f"KYC investor {who}")
        for who in (*INVESTORS, BUYER_DESK, OPERATOR):
            address = dev_account(who).address
            self.wallets.send(who, coin.mint(address, STARTING_BALANCE), f"stablecoin for account {who}")
            spender = self.c.escrow.address if who in INVESTORS else self.c.distributor.address
            self.wallets.send(who, coin.approve(spender, MAX_UINT), f"account {who} approves {spender}")
        self.progress(
            f"onboarded: 2 SMEs and 3 investors KYC'd; ₹{_rupees(STARTING_BALANCE)} of stablecoin each for the "
            "investors, the buyers' desk and the collector"
        )

    def mint(self, plan: InvoicePlan) -> SeededInvoice:
        """Render the invoice, store it encrypted, and mint it as its seller."""
        today = ist_date(self.now)
        issue, due = today - timedelta(days=plan.issued), today + timedelta(days=plan.due)
        fy = financial_year_of(issue)
        number = plan.number.format(fy=f"{fy[2:4]}-{fy[5:7]}")
        seller_gstin = _SELLER_GSTIN[plan.seller]
        seller, buyer = self._party(seller_gstin), self._party(plan.buyer_gstin)
        state = STATE_CODES.get(plan.buyer_gstin[:2], "India")
        spec = tax_invoice(
            number=number,
            issue_date=issue,
            due_date=due,
            seller=seller,
            buyer=buyer,
            items=plan.items,
            tax_rate=plan.tax_rate,
            layout=plan.layout,  # type: ignore[arg-type]
            font=plan.font,
            place_of_supply=f"{state} ({plan.buyer_gstin[:2]})",
        )
        pdf = render_pdf(spec)
        stored = self.vault.store(pdf)
        face = int(spec.truth.total.scaleb(DECIMALS))
        request = (
            invoice_key(seller_gstin, fy, "INV", number),
            buyer_id(plan.buyer_gstin),
            face,
            _noon_ist(issue),
            _noon_ist(due),
            stored.doc_digest,
            stored.cid,
        )
        invoice_id = int(self.c.token.functions.nextInvoiceId().call())
        self.wallets.send(plan.seller, self.c.token.functions.mint(request), f"mint {plan.label} invoice {number}")
        seeded = SeededInvoice(
            label=plan.label,
            invoice_id=invoice_id,
            number=number,
            seller=str(dev_account(plan.seller).address),
            seller_name=seller.name,
            buyer_name=buyer.name,
            face_value=face,
            due_date=due,
            document_cid=stored.cid,
        )
        self.result.invoices[plan.label] = seeded
        self._requests[plan.label] = request
        return seeded

    def verify(self, seeded: SeededInvoice) -> None:
        """Run the oracle's verification on the stored document and submit a k-of-n signed verdict."""
        request = self._requests[seeded.label]
        loaded = self.vault.load(seeded.document_cid, request[5])  # what the oracle reads back: decrypts and checks
        declared = DeclaredInvoice(
            invoice_key=request[0],
            buyer_id=request[1],
            face_value=request[2],
            issue_date=request[3],
            due_date=request[4],
            doc_digest=request[5],
            decimals=DECIMALS,
        )
        result = verify_invoice(
            loaded,
            declared,
            self.registry,
            seller_history=seller_history(self._outcomes, seeded.seller),
            buyer_history=buyer_history(self._outcomes, declared.buyer_id),
            risk_model=DEFAULT_MODEL,
        )
        if not result.approved:
            problems = "; ".join(str(m) for m in result.mismatches)
            raise SeedError(f"the {seeded.label} invoice {seeded.number} does not verify: {problems}")
        risk = result.risk.score if result.risk is not None else 50
        report = Verification(seeded.invoice_id, request[5], True, risk, result.checks, self.now + 3600, 1)
        signatures = sign_all(report, self.domain, self.signer_keys[: self.threshold])
        self.wallets.send(
            OPERATOR,
            self.c.hub.functions.submitVerification(report.as_tuple(), signatures),
            f"verify {seeded.label} invoice",
        )
        seeded.risk_score = risk

    def list_and_fund(self, plan: InvoicePlan, seeded: SeededInvoice) -> None:
        """List at the plan's discount and take the plan's tickets."""
        price = seeded.face_value * (10_000 - plan.discount_bps) // 10_000
        deadline = self.now + plan.deadline * DAY
        self.wallets.send(
            plan.seller,
            self.c.escrow.functions.list(seeded.invoice_id, price, deadline, plan.min_ticket * UNIT),
            f"list {plan.label} invoice",
        )
        seeded.price = price
        raised = 0
        for n, (investor, bps) in enumerate(plan.tickets):
            last = n == len(plan.tickets) - 1 and sum(b for _, b in plan.tickets) == 10_000
            amount = price - raised if last else price * bps // 10_000
            self.wallets.send(
                investor, self.c.escrow.functions.fund(seeded.invoice_id, amount), f"fund {plan.label} invoice"
            )
            raised += amount
        seeded.raised = raised

    def repay(self, seeded: SeededInvoice, amount: int) -> None:
        """The buyer pays on-chain."""
        self.wallets.send(
            BUYER_DESK, self.c.distributor.functions.repay(seeded.invoice_id, amount), f"repay {seeded.label}"
        )

    def settle_bank_payment(self, seeded: SeededInvoice, amount: int, transaction_id: str) -> None:
        """A bank payment reported by k oracle signers and settled by the collector, as the oracle does it."""
        now = self.now
        # bankRef = keccak256 of the bank's transactionId (the oracle's bank intake derives it the same way).
        report = Repayment(seeded.invoice_id, amount, keccak(text=transaction_id), now - 3600, now + 3600, 1)
        signatures = sign_all(report, self.domain, self.signer_keys[: self.threshold])
        self.wallets.send(
            OPERATOR,
            self.c.distributor.functions.settleRepayment(report.as_tuple(), signatures),
            f"bank settlement of {seeded.label}",
        )

    def mark_defaulted(self, seeded: SeededInvoice) -> None:
        self.wallets.send(
            OPERATOR, self.c.distributor.functions.markDefaulted(seeded.invoice_id), f"default {seeded.label}"
        )

    # ------------------------------------------------------------------------------------------------- plan

    def run(self) -> SeedResult:
        """The whole demo world; see the module docstring."""
        started = time.monotonic()
        self.onboard()
        plans = {p.label: p for p in (*HISTORY, *TODAY)}

        for plan in HISTORY:
            seeded = self.mint(plan)
            self.verify(seeded)
            self.list_and_fund(plan, seeded)
            self.progress(f"made the {plan.label} invoice #{seeded.invoice_id} ({seeded.number})")
        defaulted, repaid = self.result.invoices["defaulted"], self.result.invoices["repaid"]
        self.repay(defaulted, defaulted.face_value // 5)  # a part payment before the buyer stops paying

        # Past the defaulted invoice's due date and grace period, and at least to the wall clock.
        defaultable = int(self.c.distributor.functions.defaultableAfter(defaulted.invoice_id).call())
        target = max(defaultable + 3600, int(time.time()))
        self.result.travelled = self.travel_to(target)
        self.progress(f"travelled {self.result.travelled / DAY:.1f} days forward (evm_increaseTime)")
        if self.now > time.time() + 3600:
            self.progress(
                "warning: the chain's clock is now ahead of the wall clock (it was not started in the past; "
                "`hundi dev` starts anvil with --timestamp so this does not happen)"
            )

        self.mark_defaulted(defaulted)
        self._settled(defaulted, "defaulted")
        half = repaid.face_value // 2
        self.settle_bank_payment(repaid, half, f"UTR-HDFC-{repaid.invoice_id:06d}-DEMO")
        self.repay(repaid, repaid.face_value - half)
        self._settled(repaid, "repaid")

        for plan in TODAY:
            seeded = self.mint(plan)
            if plan.target != MINTED:
                self.verify(seeded)
                self.list_and_fund(plan, seeded)
            self.progress(f"made the {plan.label} invoice #{seeded.invoice_id} ({seeded.number})")

        token = self.c.token.functions
        for label, seeded in self.result.invoices.items():
            seeded.status = int(token.statusOf(seeded.invoice_id).call())
            if seeded.status != plans[label].target:
                raise SeedError(
                    f"the {label} invoice #{seeded.invoice_id} ended {STATUS_NAMES[seeded.status]}, expected "
                    f"{STATUS_NAMES[plans[label].target]}"
                )
        self.result.chain_time = self.now
        self.progress(f"seeded {len(self.result.invoices)} invoices in {time.monotonic() - started:.1f} s")
        return self.result

    def _settled(self, seeded: SeededInvoice, how: Literal["repaid", "defaulted"]) -> None:
        due = seeded.due_date or ist_date(self.now)
        repaid_on = ist_date(self.now) if how == "repaid" else None
        self._outcomes.append(InvoiceOutcome(seeded.seller, self._requests[seeded.label][1], due, how, repaid_on))

    def _party(self, gstin: str) -> Party:
        taxpayer = self.registry.lookup(gstin)
        if taxpayer is None:
            raise SeedError(f"GSTIN {gstin} is not in the sandbox GST registry (hundi/data/sandbox_taxpayers.json)")
        street, city_state = _ADDRESSES[gstin]
        return Party(gstin=gstin, name=taxpayer.legal_name, street=street, city_state=city_state)


def seed(
    w3: Web3,
    deployment: Deployment,
    vault: DocumentVault,
    *,
    progress: Callable[[str], None] = log.info,
) -> SeedResult:
    """Seed the demo world on a fresh local deployment (see the module docstring).

    Raises:
        SeedError: the chain is not local, the deployment's signers are not dev accounts, an invoice does not
            verify, or a transaction reverted (with the contract's custom error).
    """
    return Seeder(w3, deployment, vault, progress=progress).run()


def summary_table(result: SeedResult) -> list[str]:
    """The seeded invoices as aligned text lines (a header and one line per invoice)."""
    rows: list[Sequence[str]] = [
        ("id", "status", "invoice no.", "seller", "buyer", "face ₹", "price ₹", "funded", "due", "risk")
    ]
    for inv in sorted(result.invoices.values(), key=lambda i: i.invoice_id):
        funded = f"{inv.raised * 100 // inv.price}%" if inv.price else "-"
        rows.append(
            (
                f"#{inv.invoice_id}",
                STATUS_NAMES[inv.status] + ("" if inv.label == STATUS_NAMES[inv.status].lower() else f" ({inv.label})"),
                inv.number,
                _short(inv.seller_name),
                _short(inv.buyer_name),
                _rupees(inv.face_value),
                _rupees(inv.price) if inv.price else "-",
                funded,
                inv.due_date.isoformat() if inv.due_date else "-",
                str(inv.risk_score) if inv.risk_score is not None else "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def _short(name: str, width: int = 24) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"
