"""Funding for investors: the unsigned transactions (approve + fund) or the EIP-2612 permit typed data plus the
fundWithPermit call, for the investor's own wallet to sign and send. The API never holds keys or funds.

Everything is checked against the chain at request time, not the indexed copy, with FundingEscrow._fund's rules
(listing open, deadline not passed, minTicket <= amount <= remaining or amount == remaining, KYC'd investor) plus
the investor's balance, so a wallet is never asked to sign a transaction that is bound to revert.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field
from web3 import Web3

from backend.api.auth import INVESTOR, User, require_role
from backend.api.deps import ApiContext, Context
from backend.api.errors import ERROR_RESPONSES, ApiError, ErrorResponse
from backend.api.routes.upload import TransactionOut
from backend.db.models import ListingState

router = APIRouter(prefix="/api/v1/invoices", tags=["fund"])

UINT128_MAX = 2**128 - 1
#: A permit deadline defaults to this many seconds after the chain's latest block, and may be at most a week out.
DEFAULT_PERMIT_SECONDS = 3600
MAX_PERMIT_SECONDS = 7 * 86400
FUND_WITH_PERMIT = "fundWithPermit(uint256,uint128,uint256,uint8,bytes32,bytes32)"

InvestorUser = Annotated[User, Depends(require_role(INVESTOR))]


class FundIn(BaseModel):
    amount: str = Field(
        pattern=r"^[0-9]{1,39}$",
        description="the ticket in stablecoin base units (6 decimals), decimal string",
        examples=["1000000000"],
    )
    mode: Literal["approve", "permit"] = Field(
        default="approve", description="approve + fund transactions, or an EIP-2612 permit and fundWithPermit"
    )
    deadline: int | None = Field(
        default=None, ge=0, lt=2**64, description="permit deadline, unix seconds (default: one hour from now)"
    )


class PermitCall(BaseModel):
    """FundingEscrow.fundWithPermit, to send once the typed data is signed: split the signature into v, r, s."""

    to: str
    chainId: int
    from_: str = Field(serialization_alias="from")
    value: str = "0"
    function: str = FUND_WITH_PERMIT
    args: dict[str, str] = Field(description="invoiceId, amount, permitDeadline as decimal strings")
    signatureArgs: list[str] = Field(default_factory=lambda: ["v", "r", "s"])
    abi: list[dict[str, Any]]
    description: str


class PermitOut(BaseModel):
    typedData: dict[str, Any] = Field(description="eth_signTypedData_v4 payload; uint values are decimal strings")
    call: PermitCall


class FundOut(BaseModel):
    invoiceId: int
    mode: str
    investor: str
    amount: str = Field(description="stablecoin base units, decimal string")
    remaining: str = Field(description="what the listing still needs, before this ticket")
    minTicket: str
    fundingDeadline: int
    allowance: str = Field(description="the investor's current allowance to the escrow")
    transactions: list[TransactionOut] = Field(description="approve mode: send in order (approve only when needed)")
    permit: PermitOut | None = Field(description="permit mode: sign typedData, then send call")


def _listing(context: ApiContext, invoice_id: int, investor: str) -> dict[str, Any]:
    """Everything the checks need, read from the chain in one go."""
    escrow = context.deployment.contract(context.w3, "FundingEscrow")
    coin = context.deployment.contract(context.w3, "Stablecoin")
    kyc = context.deployment.contract(context.w3, "KycRegistry")
    who = Web3.to_checksum_address(investor)
    try:
        listing = escrow.functions.listingOf(invoice_id).call()
        names = [o["name"] for o in escrow.get_function_by_name("listingOf").abi["outputs"][0]["components"]]
        fields = dict(zip(names, listing, strict=True))
        return {
            **fields,
            "remaining": int(escrow.functions.remaining(invoice_id).call()),
            "kyc": bool(kyc.functions.isAllowed(who, INVESTOR).call()),
            "balance": int(coin.functions.balanceOf(who).call()),
            "allowance": int(coin.functions.allowance(who, escrow.address).call()),
            "now": int(context.w3.eth.get_block("latest")["timestamp"]),
        }
    except Exception as exc:
        raise ApiError(503, "chain_unavailable", f"cannot read the listing ({type(exc).__name__}); try again") from None


def check_ticket(invoice_id: int, amount: int, state: dict[str, Any]) -> None:
    """FundingEscrow._fund's preconditions (plus the balance), as clear API errors."""
    listing_state = ListingState(int(state["state"]))
    if listing_state == ListingState.NONE:
        raise ApiError(404, "not_listed", f"invoice {invoice_id} is not listed for funding")
    if listing_state != ListingState.OPEN:
        raise ApiError(
            409,
            "listing_not_open",
            f"invoice {invoice_id}'s listing is {listing_state.label}, no longer open: pick another invoice",
            {"state": listing_state.label},
        )
    if state["now"] > int(state["fundingDeadline"]):
        raise ApiError(
            409,
            "funding_closed",
            f"invoice {invoice_id}'s funding deadline has passed",
            {"fundingDeadline": int(state["fundingDeadline"])},
        )
    if not state["kyc"]:
        raise ApiError(
            403, "kyc_invalid", "your INVESTOR KYC is not valid now (expired or revoked): renew it with a KYC officer"
        )
    remaining, min_ticket = int(state["remaining"]), int(state["minTicket"])
    detail = {"remaining": str(remaining), "minTicket": str(min_ticket)}
    if amount == 0:
        raise ApiError(422, "invalid_amount", "the amount must be positive", detail)
    if amount > remaining:
        raise ApiError(422, "amount_exceeds_remaining", f"the listing needs only {remaining} more base units", detail)
    if amount < min_ticket and amount != remaining:
        raise ApiError(
            422,
            "amount_below_min_ticket",
            f"the minimum ticket is {min_ticket} base units (or exactly the remaining {remaining})",
            detail,
        )
    if int(state["balance"]) < amount:
        raise ApiError(
            422,
            "insufficient_balance",
            f"your stablecoin balance ({state['balance']}) is below the amount: top up, or fund less",
            {**detail, "balance": str(state["balance"])},
        )


def _permit(context: ApiContext, investor: str, invoice_id: int, amount: int, deadline: int) -> PermitOut:
    coin = context.deployment.contract(context.w3, "Stablecoin")
    escrow = context.deployment.contract(context.w3, "FundingEscrow")
    who = Web3.to_checksum_address(investor)
    try:
        _fields, name, version, chain_id, verifying, _salt, _ext = coin.functions.eip712Domain().call()
        nonce = int(coin.functions.nonces(who).call())
    except Exception as exc:
        raise ApiError(503, "chain_unavailable", f"cannot read the permit domain ({type(exc).__name__})") from None
    typed = {
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
        "domain": {"name": name, "version": version, "chainId": int(chain_id), "verifyingContract": verifying},
        "message": {
            "owner": who,
            "spender": escrow.address,
            "value": str(amount),
            "nonce": str(nonce),
            "deadline": str(deadline),
        },
    }
    abi = [dict(f) for f in escrow.abi if f.get("type") == "function" and f.get("name") == "fundWithPermit"]
    return PermitOut(
        typedData=typed,
        call=PermitCall(
            to=escrow.address,
            chainId=context.chain_id,
            from_=who,
            args={"invoiceId": str(invoice_id), "amount": str(amount), "permitDeadline": str(deadline)},
            abi=abi,
            description=f"Fund invoice #{invoice_id} with {amount} base units, authorised by the signed permit",
        ),
    )


@router.post(
    "/{invoice_id}/fund",
    response_model=FundOut,
    response_model_by_alias=True,
    summary="Unsigned funding transactions for the investor's wallet (approve + fund, or permit)",
    description="Amounts are decimal strings of stablecoin base units (decimals in /api/v1/config).",
    responses={
        **ERROR_RESPONSES,
        503: {"model": ErrorResponse, "description": "the node cannot be read"},
    },
)
def fund(
    body: FundIn, user: InvestorUser, context: Context, invoice_id: Annotated[int, Path(ge=1, lt=2**256)]
) -> FundOut:
    amount = int(body.amount)
    if amount > UINT128_MAX:
        raise ApiError(422, "invalid_amount", "the amount does not fit in uint128")
    state = _listing(context, invoice_id, user.address)
    check_ticket(invoice_id, amount, state)
    escrow = context.deployment.contract(context.w3, "FundingEscrow")
    coin = context.deployment.contract(context.w3, "Stablecoin")
    investor = Web3.to_checksum_address(user.address)
    transactions: list[TransactionOut] = []
    permit: PermitOut | None = None
    if body.mode == "approve":
        if state["allowance"] < amount:
            transactions.append(
                TransactionOut(
                    to=coin.address,
                    data=coin.encode_abi("approve", args=[escrow.address, amount]),
                    value="0",
                    chainId=context.chain_id,
                    from_=investor,
                    description=f"Allow the funding escrow to take {amount} base units of your stablecoin",
                )
            )
        transactions.append(
            TransactionOut(
                to=escrow.address,
                data=escrow.encode_abi("fund", args=[invoice_id, amount]),
                value="0",
                chainId=context.chain_id,
                from_=investor,
                description=f"Fund invoice #{invoice_id} with {amount} base units",
            )
        )
    else:
        deadline = body.deadline if body.deadline is not None else state["now"] + DEFAULT_PERMIT_SECONDS
        if deadline <= state["now"]:
            raise ApiError(422, "invalid_deadline", "the permit deadline must be in the future (unix seconds)")
        if deadline > state["now"] + MAX_PERMIT_SECONDS:
            raise ApiError(422, "invalid_deadline", "the permit deadline may be at most 7 days ahead")
        permit = _permit(context, investor, invoice_id, amount, deadline)
    return FundOut(
        invoiceId=invoice_id,
        mode=body.mode,
        investor=user.address,
        amount=str(amount),
        remaining=str(state["remaining"]),
        minTicket=str(state["minTicket"]),
        fundingDeadline=int(state["fundingDeadline"]),
        allowance=str(state["allowance"]),
        transactions=transactions,
        permit=permit,
    )
