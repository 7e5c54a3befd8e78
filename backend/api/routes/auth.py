"""Sign-in with Ethereum: nonce, verify, logout and the current session (backend/api/auth.py does the work)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from backend.api import auth
from backend.api.auth import ROLE_NAMES, CurrentUser
from backend.api.deps import Context
from backend.api.errors import ERROR_RESPONSES, ErrorResponse

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

_CHAIN_DOWN: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "the node cannot be read (KYC roles)"}
}


class NonceOut(BaseModel):
    """A single-use nonce and the exact fields the EIP-4361 message must carry."""

    nonce: str
    issuedAt: str = Field(description="RFC 3339 UTC; use it (or a later time) as the message's `Issued At`")
    expiresAt: int = Field(description="unix seconds after which the nonce is refused")
    domain: str = Field(description="the message's domain (host[:port] of the dApp)")
    uri: str = Field(description="the message's URI (the dApp's origin)")
    chainId: int
    version: str
    statement: str = Field(description="the message's statement, verbatim")


class VerifyIn(BaseModel):
    message: str = Field(min_length=1, max_length=auth.MAX_MESSAGE_CHARS, description="the EIP-4361 message text")
    signature: str = Field(min_length=1, max_length=200, description="personal_sign's 0x-hex signature")


class SessionOut(BaseModel):
    token: str = Field(description="send as `Authorization: Bearer <token>`")
    address: str = Field(description="lowercase 0x address")
    roles: int = Field(description="KycRegistry bitmask read on-chain at sign-in: SME = 1, INVESTOR = 2")
    expiresAt: int = Field(description="unix seconds")


class MeOut(BaseModel):
    address: str
    roles: int = Field(description="KycRegistry bitmask read on-chain at sign-in: SME = 1, INVESTOR = 2")
    roleNames: list[str]
    expiresAt: int


class LogoutOut(BaseModel):
    address: str
    revokedAt: int = Field(description="unix seconds; the token is refused from now on")


@router.get("/nonce", response_model=NonceOut, summary="A single-use sign-in nonce and the message's required fields")
def nonce(context: Context) -> NonceOut:
    row = auth.issue_nonce(context)
    binding = auth.siwe_binding(context)
    return NonceOut(
        nonce=row.nonce,
        issuedAt=auth.iso(row.issued_at),
        expiresAt=row.expires_at,
        domain=binding.domain,
        uri=binding.uri,
        chainId=binding.chain_id,
        version=binding.version,
        statement=binding.statement,
    )


@router.post(
    "/verify",
    response_model=SessionOut,
    summary="Exchange a signed EIP-4361 message for a session token",
    responses={**ERROR_RESPONSES, **_CHAIN_DOWN},
)
def verify(body: VerifyIn, context: Context) -> SessionOut:
    token, user = auth.sign_in(context, body.message, body.signature)
    return SessionOut(token=token, address=user.address, roles=user.roles, expiresAt=user.expires_at)


@router.post("/logout", response_model=LogoutOut, summary="Revoke the current session token", responses=ERROR_RESPONSES)
def logout(user: CurrentUser, context: Context) -> LogoutOut:
    return LogoutOut(address=user.address, revokedAt=auth.revoke(context, user))


@router.get("/me", response_model=MeOut, summary="The signed-in account and its roles", responses=ERROR_RESPONSES)
def me(user: CurrentUser) -> MeOut:
    names = [name for bit, name in ROLE_NAMES.items() if user.has(bit)]
    return MeOut(address=user.address, roles=user.roles, roleNames=names, expiresAt=user.expires_at)
