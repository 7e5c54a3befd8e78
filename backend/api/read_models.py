"""The JSON the read side of the API returns (camelCase, the seed's marketplace names).

Amounts are decimal strings of integer stablecoin base units (``decimals`` in GET /api/v1/config, 6 for the
rupee stablecoin), so no client loses precision to floating point; ratios (discount rate, ROI, funded percent) are
plain numbers, for display and sorting. Times are the chain's unix seconds.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, Field

from hundi.verification import ALL_CHECKS, Check

Amount = Annotated[
    str,
    Field(
        pattern=r"^[0-9]+$",
        description="integer amount in stablecoin base units, as a decimal string (divide by 10**decimals)",
        examples=["95000000000"],
    ),
]
Address = Annotated[str, Field(pattern=r"^0x[0-9a-f]{40}$", description="lowercase 0x address")]
Hex32 = Annotated[str, Field(pattern=r"^0x[0-9a-f]{64}$", description="32 bytes, lowercase 0x-hex")]

#: Names of the verification check bits (CONTRACTS.md, OracleHub `checks`), in bit order.
CHECK_NAMES: dict[Check, str] = {
    Check.GSTIN_VALID: "gstinValid",
    Check.SELLER_ACTIVE: "sellerActive",
    Check.BUYER_ACTIVE: "buyerActive",
    Check.FIELDS_MATCH: "fieldsMatch",
    Check.IRN_MATCH: "irnMatch",
    Check.DIGEST_MATCH: "digestMatch",
}


def amount(value: int | None) -> str:
    """An integer amount as the API's decimal string ("0" for None)."""
    return str(int(value or 0))


class Checks(BaseModel):
    """The oracle's verification checks, bit by bit (CONTRACTS.md: bits 0-5 of `checks`)."""

    mask: int = Field(ge=0, description="the raw bitmask as signed in the oracle's report")
    complete: bool = Field(description="all six checks passed (what approval requires)")
    gstinValid: bool = Field(description="bit 0: GSTIN checksums valid")
    sellerActive: bool = Field(description="bit 1: seller registered and active")
    buyerActive: bool = Field(description="bit 2: buyer registered and active")
    fieldsMatch: bool = Field(description="bit 3: OCR fields match the minted ones")
    irnMatch: bool = Field(description="bit 4: IRN matches invoiceKey")
    digestMatch: bool = Field(description="bit 5: document digest matches")

    @classmethod
    def of(cls, mask: int) -> Checks:
        flags: dict[str, Any] = {name: bool(mask & bit) for bit, name in CHECK_NAMES.items()}
        return cls(mask=mask, complete=mask & ALL_CHECKS == ALL_CHECKS, **flags)


@lru_cache(maxsize=256)
def checks_json(mask: int) -> dict[str, Any]:
    """`Checks.of(mask)` as the JSON-ready dict it dumps, memoised: a page of listings holds few distinct masks,
    and the marketplace builds its JSON without model instances. Shared: never modify the result."""
    return Checks.of(mask).model_dump(mode="json")


# ------------------------------------------------------------------------------------------------ config


class StablecoinInfo(BaseModel):
    address: Address
    symbol: str
    decimals: int = Field(ge=0, le=255, description="amounts in this API are integers of 10**-decimals units")


class ApiConfig(BaseModel):
    """What the dApp needs to talk to the chain: never paste an address, read it from here."""

    chainId: int
    deploymentName: str
    deployedAt: int = Field(description="block of the first deployment transaction")
    contracts: dict[str, Address] = Field(description="contract name (as in CONTRACTS.md) -> address")
    stablecoin: StablecoinInfo
    rpcUrl: str = Field(description="JSON-RPC URL the dApp should use for reads")
    oracleUrl: str = Field(description="oracle node whose status the operator page shows")
    pageLimitMax: int


# ------------------------------------------------------------------------------------------------ marketplace


class MarketplaceItem(BaseModel):
    """One open listing: fundable now (Listing state Open, funding deadline not passed)."""

    id: int = Field(description="invoice id (the ERC-721 token id)")
    seller: Address
    amount: Amount = Field(description="face value: what the buyer owes at maturity (base units)")
    discountedAmount: Amount = Field(description="listing price: what investors pay in total (base units)")
    discountRate: float = Field(description="(amount - discountedAmount) / amount, in percent")
    riskScore: int = Field(ge=0, le=100, description="oracle risk score, 0 (worst) .. 100 (best)")
    expectedROI: float = Field(
        description="annualised return in percent: (amount - price) / price * 365 / daysToMaturity"
    )
    daysToMaturity: int = Field(ge=0, description="whole days (rounded up) from the chain's time to the due date")
    fundedPercent: float = Field(ge=0, le=100, description="raised / price, in percent")
    raised: Amount
    remaining: Amount = Field(description="what can still be invested (base units)")
    minTicket: Amount = Field(description="smallest accepted investment, unless it is the whole remainder")
    fundingDeadline: int = Field(description="unix seconds; funding closes at this chain time")
    dueDate: int
    listedBlock: int
    checks: Checks


class MarketplacePage(BaseModel):
    items: list[MarketplaceItem]
    nextCursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")
    chainTime: int = Field(description="timestamp of the latest indexed block: what daysToMaturity is relative to")
    indexedBlock: int


# ------------------------------------------------------------------------------------------------ invoice


class ListingView(BaseModel):
    state: str = Field(description="Open, Funded or Cancelled")
    price: Amount
    raised: Amount
    remaining: Amount
    fundedPercent: float
    minTicket: Amount
    fundingDeadline: int
    fee: Amount | None = Field(description="platform fee taken when fully funded")
    discountRate: float
    expectedROI: float | None = Field(description="as in the marketplace; null once the due date has passed")
    daysToMaturity: int
    listedBlock: int
    investors: int = Field(description="distinct accounts that invested")


class Investment(BaseModel):
    investor: Address
    amount: Amount
    raised: Amount = Field(description="the listing's total raised after this ticket")
    block: int
    time: int
    txHash: Hex32


class RepaymentView(BaseModel):
    payer: Address
    amount: Amount
    totalRepaid: Amount
    bankRef: Hex32 | None = Field(description="bank transaction reference (hashed); null when paid on-chain")
    block: int
    time: int
    txHash: Hex32


class TimelineEntry(BaseModel):
    """One contract event about the invoice, as the indexer stored it."""

    id: str = Field(description="<block>-<logIndex>: the event's position on the chain")
    event: str
    contract: str
    block: int
    logIndex: int
    time: int
    txHash: Hex32
    args: dict[str, Any] = Field(description="decoded event arguments (integers as JSON numbers)")


class InvoiceSummary(BaseModel):
    id: int
    seller: Address
    amount: Amount = Field(description="face value (base units)")
    status: str = Field(description="IInvoiceToken.Status name: Minted, Verified, Rejected, Listed, ...")
    statusCode: int
    issueDate: int
    dueDate: int
    riskScore: int | None
    checks: Checks | None
    totalRepaid: Amount
    mintedBlock: int
    listingState: str | None
    raised: Amount | None
    price: Amount | None


class InvoiceDetail(BaseModel):
    id: int
    seller: Address
    invoiceKey: Hex32 = Field(description="IRN: SHA-256 of supplier GSTIN, financial year, type and number")
    buyerId: Hex32 = Field(description="keccak256 of the buyer's GSTIN")
    amount: Amount = Field(description="face value (base units)")
    issueDate: int
    dueDate: int
    docDigest: Hex32 = Field(description="sha256 of the document's plaintext")
    documentCid: str | None = Field(description="CID of the encrypted document: only shown to the seller")
    status: str
    statusCode: int
    riskScore: int | None
    checks: Checks | None
    reportId: Hex32 | None
    totalRepaid: Amount
    outstandingAtDefault: Amount | None
    yieldFee: Amount = Field(description="treasury's fee on the repaid yield")
    surplusPaid: Amount = Field(description="repaid above face value, returned to the seller")
    mintedBlock: int
    mintedTx: Hex32
    chainTime: int
    listing: ListingView | None
    investments: list[Investment]
    repayments: list[RepaymentView]
    timeline: list[TimelineEntry]


class InvoicePage(BaseModel):
    items: list[InvoiceSummary]
    nextCursor: str | None


# ------------------------------------------------------------------------------------------------ portfolio


class PositionView(BaseModel):
    invoiceId: int
    status: str = Field(description="the invoice's status")
    listingState: str | None
    amount: Amount = Field(description="the invoice's face value")
    price: Amount | None = Field(description="the listing price (total principal)")
    dueDate: int
    shares: Amount = Field(description="InvoiceShares balance (1 share = 1 base unit of principal)")
    sharePercent: float = Field(description="shares / total principal, in percent")
    invested: Amount
    claimed: Amount
    claimable: Amount = Field(description="exactly what RepaymentDistributor.claimable returns")
    refunded: Amount
    refundable: Amount = Field(description="principal refundable after a cancelled listing")


class PortfolioTotals(BaseModel):
    positions: int
    activePositions: int = Field(description="positions holding shares")
    invested: Amount
    claimed: Amount
    claimable: Amount
    refunded: Amount
    refundable: Amount


class HistoryEntry(BaseModel):
    id: str
    event: str = Field(description="Invested, Refunded, Claimed or AutoPayoutSet")
    invoiceId: int | None
    amount: Amount | None
    enabled: bool | None = Field(description="AutoPayoutSet only: the new auto-payout flag")
    block: int
    time: int
    txHash: Hex32


class HistoryPage(BaseModel):
    items: list[HistoryEntry]
    nextCursor: str | None


class Portfolio(BaseModel):
    address: Address
    autoPayout: bool = Field(description="opted in to keeper payouts (RepaymentDistributor.setAutoPayout)")
    chainTime: int
    totals: PortfolioTotals
    positions: list[PositionView] = Field(description="one page of positions, by invoice id")
    nextCursor: str | None = Field(description="cursor of the next page of positions")
    history: list[HistoryEntry] = Field(description="latest account events; all of them at .../history")


# ------------------------------------------------------------------------------------------------ stats


class Stats(BaseModel):
    chainTime: int
    indexedBlock: int
    invoices: int
    invoicesByStatus: dict[str, int] = Field(description="status name -> count (every status, zeros included)")
    openListings: int
    volumeListed: Amount = Field(description="sum of listing prices")
    volumeFunded: Amount = Field(description="principal of fully funded listings")
    volumeRepaid: Amount = Field(description="sum of repayments received")
    volumeDefaulted: Amount = Field(description="outstanding amounts when invoices were marked defaulted")
    platformFees: Amount
    yieldFees: Amount
    investors: int = Field(description="distinct accounts that invested")
    sellers: int = Field(description="distinct accounts that minted")
    averageExpectedROI: float | None = Field(description="mean expectedROI of open listings, percent")
    averageDiscountRate: float | None = Field(description="mean discount rate of all listings, percent")


# ------------------------------------------------------------------------------------------------ events


class ChainEventMessage(BaseModel):
    """The `data` of one server-sent event; its SSE `id` is `id`."""

    id: str
    event: str
    contract: str
    invoiceId: int | None
    account: str | None
    block: int
    logIndex: int
    time: int
    txHash: Hex32
