"""Sign-in with Ethereum (EIP-4361) and the sessions it opens.

Why it is built this way:
- Nonces live in the database (``api_siwe_nonce``) and are spent by one conditional UPDATE, so several API workers
  agree and two concurrent verifies of one signed message cannot both win.
- The message is bound to this deployment: its domain and URI must be the host and origin of
  ``settings.api_public_url`` and its chain id the deployment's, so a signature phished by another site or made for
  another chain is useless here. Its issuedAt / expirationTime / notBefore are honoured against the server clock.
- The signature is checked with eth-account against the exact text that was signed (EIP-191 personal_sign).
- A session is an HS256 JWT whose ``jti`` has a row in ``api_session``; logout sets ``revoked_at`` and every later
  use is refused. The roles in it are the KycRegistry bitmask read on-chain at sign-in (0 when the KYC has expired):
  routes that move value re-read the chain before building anything.
"""

from __future__ import annotations

import secrets
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import jwt
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import delete, update
from sqlmodel import Session, col, select
from web3 import Web3

from backend.api.deps import ApiContext, Context
from backend.api.errors import ApiError
from backend.api.models import ApiNonce, ApiSession

if TYPE_CHECKING:
    from siwe import SiweMessage  # type: ignore[import-untyped]

#: KycRegistry role flags (CONTRACTS.md).
SME = 1
INVESTOR = 2
ROLE_NAMES = {SME: "SME", INVESTOR: "INVESTOR"}

#: What the dApp shows in the wallet; the server insists on it so a message made for another purpose is refused.
SIWE_STATEMENT = "Sign in to Hundi. This request costs no gas and authorises no transaction."
SIWE_VERSION = "1"
#: Seconds of disagreement tolerated between the wallet's clock and the server's (issuedAt slightly ahead).
CLOCK_SKEW = 60
#: Keep spent or expired nonces this long after expiry, so a late replay still reads "already used"/"expired".
NONCE_RETENTION = 3600
JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "hundi-api"
MAX_MESSAGE_CHARS = 4096


def now() -> int:
    """Server time in unix seconds (SIWE times and sessions use the server clock, not the chain's)."""
    return int(time.time())


class User(BaseModel):
    """The signed-in account behind a request."""

    address: str
    roles: int
    jti: str
    expires_at: int

    def has(self, role: int) -> bool:
        """Whether the KYC roles read at sign-in include `role`."""
        return role != 0 and self.roles & role == role


@dataclass(frozen=True)
class SiweBinding:
    """What a SIWE message must say to be accepted by this API."""

    domain: str
    uri: str
    scheme: str
    chain_id: int
    statement: str = SIWE_STATEMENT
    version: str = SIWE_VERSION


def siwe_binding(context: ApiContext) -> SiweBinding:
    """domain = host[:port] of settings.api_public_url, uri = its origin, chainId = the deployment's."""
    parts = urlsplit(context.settings.api_public_url)
    host = parts.hostname or ""
    domain = f"{host}:{parts.port}" if parts.port else host
    return SiweBinding(domain=domain, uri=f"{parts.scheme}://{domain}", scheme=parts.scheme, chain_id=context.chain_id)


def iso(timestamp: int) -> str:
    """An RFC 3339 UTC time as SIWE messages write it."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------------------------------------ nonces


def issue_nonce(context: ApiContext) -> ApiNonce:
    """A fresh single-use nonce, stored with its expiry; long-expired nonces are swept at the same time."""
    issued = now()
    row = ApiNonce(nonce=secrets.token_hex(16), issued_at=issued, expires_at=issued + context.settings.siwe_nonce_ttl)
    with Session(context.engine) as session:  # type: ignore[arg-type]
        session.connection().execute(delete(ApiNonce).where(col(ApiNonce.expires_at) < issued - NONCE_RETENTION))
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def _spend_nonce(session: Session, nonce: str, at: int) -> None:
    """Mark `nonce` used, atomically; raise the reason when it cannot be (unknown, used, expired)."""
    result = session.connection().execute(
        update(ApiNonce)
        .where(col(ApiNonce.nonce) == nonce, col(ApiNonce.consumed_at).is_(None), col(ApiNonce.expires_at) > at)
        .values(consumed_at=at)
    )
    if result.rowcount == 1:
        return
    row = session.get(ApiNonce, nonce)
    if row is None:
        raise ApiError(401, "nonce_unknown", "this sign-in nonce was never issued here: request a new one")
    if row.consumed_at is not None:
        raise ApiError(401, "nonce_used", "this sign-in message was already used: request a new nonce and sign again")
    raise ApiError(401, "nonce_expired", "the sign-in nonce expired: request a new one and sign again")


# ------------------------------------------------------------------------------------------------ SIWE


def _siwe_class() -> type[SiweMessage]:
    # The siwe package's grammar warns about redefined core rules when it loads; that is its business, not ours.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from siwe import SiweMessage
    siwe_message: type[SiweMessage] = SiweMessage
    return siwe_message


def parse_message(message: str) -> SiweMessage:
    """The EIP-4361 message, parsed by its ABNF grammar; 422 when it is not one."""
    if len(message) > MAX_MESSAGE_CHARS:
        raise ApiError(422, "siwe_malformed", f"the sign-in message is longer than {MAX_MESSAGE_CHARS} characters")
    try:
        return _siwe_class().from_message(message)
    except ValueError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ApiError(
            422,
            "siwe_malformed",
            "the sign-in message is not an EIP-4361 message: build it from GET /api/v1/auth/nonce's fields",
            {"reason": reason[:300]},
        ) from None


def parse_signature(signature: str) -> bytes:
    """The 65-byte r||s||v signature from its 0x-hex text; 422 otherwise."""
    text = signature[2:] if signature.startswith(("0x", "0X")) else signature
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 65:
        raise ApiError(
            422, "signature_malformed", "the signature must be 65 bytes of 0x-hex (r, s, v) as personal_sign returns"
        )
    return raw


def _timestamp(value: Any) -> int:
    """A SIWE time field as unix seconds; 422 for a time the grammar allows but no clock can hold."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp())
    except (ValueError, OverflowError, OSError):
        raise ApiError(
            422, "siwe_malformed", f"the sign-in message has an unusable time: {str(value)[:40]!r}"
        ) from None


def check_message(context: ApiContext, parsed: SiweMessage, at: int) -> None:
    """Binding and time checks of a parsed message (everything but the signature and the nonce)."""
    binding = siwe_binding(context)
    if parsed.domain != binding.domain:
        raise ApiError(
            401,
            "siwe_domain_mismatch",
            f"the message is for domain {parsed.domain!r}, this API is {binding.domain!r}: sign in from this site",
        )
    if parsed.scheme is not None and parsed.scheme != binding.scheme:
        raise ApiError(
            401, "siwe_domain_mismatch", f"the message's scheme is {parsed.scheme!r}, not {binding.scheme!r}"
        )
    if str(parsed.uri).rstrip("/") != binding.uri:
        raise ApiError(401, "siwe_uri_mismatch", f"the message's URI is {str(parsed.uri)!r}, expected {binding.uri!r}")
    if int(parsed.chain_id) != binding.chain_id:
        raise ApiError(
            401,
            "siwe_chain_mismatch",
            f"the message is for chain {parsed.chain_id}, this deployment is on chain {binding.chain_id}: "
            "switch the wallet's network",
        )
    if parsed.statement != binding.statement:
        raise ApiError(401, "siwe_statement_mismatch", f"the message's statement must be {binding.statement!r}")
    if _timestamp(parsed.issued_at) > at + CLOCK_SKEW:
        raise ApiError(401, "siwe_not_yet_valid", "the message's issuedAt is in the future: check the device's clock")
    if parsed.expiration_time is not None and _timestamp(parsed.expiration_time) <= at:
        raise ApiError(401, "siwe_expired", "the sign-in message expired: request a new nonce and sign again")
    if parsed.not_before is not None and _timestamp(parsed.not_before) > at:
        raise ApiError(401, "siwe_not_yet_valid", "the sign-in message is not valid yet (notBefore is in the future)")


def recover_signer(message: str, signature: bytes) -> str:
    """The address that personal_sign'ed `message` (EIP-191), lowercase; 401 when it does not recover."""
    try:
        signer: str = Account.recover_message(encode_defunct(text=message), signature=signature)
    except Exception:
        raise ApiError(401, "signature_invalid", "the signature does not verify: sign the message again") from None
    return signer.lower()


def read_roles(context: ApiContext, address: str) -> int:
    """The KycRegistry roles of `address` now: its bitmask while `validUntil` is ahead of the chain's clock, else 0
    (the same rule as KycRegistry.isAllowed)."""
    registry = context.deployment.contract(context.w3, "KycRegistry")
    try:
        roles, valid_until = registry.functions.kycOf(Web3.to_checksum_address(address)).call()
        chain_time = int(context.w3.eth.get_block("latest")["timestamp"])
    except Exception as exc:
        raise ApiError(
            503, "chain_unavailable", f"cannot read KYC from the node ({type(exc).__name__}); try again shortly"
        ) from None
    return int(roles) if chain_time < int(valid_until) else 0


def sign_in(context: ApiContext, message: str, signature: str) -> tuple[str, User]:
    """Verify a signed SIWE message, spend its nonce and open a session; returns the JWT and its user."""
    raw_signature = parse_signature(signature)
    parsed = parse_message(message)
    at = now()
    check_message(context, parsed, at)
    signer = recover_signer(message, raw_signature)
    if signer != str(parsed.address).lower():
        raise ApiError(
            401,
            "signature_mismatch",
            "the signature was made by another account than the message's address: sign with that account",
        )
    roles = read_roles(context, signer)
    expires = at + context.settings.jwt_ttl
    if parsed.expiration_time is not None:
        expires = min(expires, _timestamp(parsed.expiration_time))
    with Session(context.engine) as session:  # type: ignore[arg-type]
        _spend_nonce(session, str(parsed.nonce), at)
        user = _open_session(session, signer, roles, at, expires)
        session.commit()
    return _encode(context, user, at), user


# ------------------------------------------------------------------------------------------------ sessions


def _open_session(session: Session, address: str, roles: int, at: int, expires: int) -> User:
    session.connection().execute(delete(ApiSession).where(col(ApiSession.expires_at) < at - NONCE_RETENTION))
    jti = uuid.uuid4().hex
    session.add(ApiSession(jti=jti, address=address, roles=roles, issued_at=at, expires_at=expires))
    return User(address=address, roles=roles, jti=jti, expires_at=expires)


def _encode(context: ApiContext, user: User, at: int) -> str:
    claims = {
        "sub": user.address,
        "roles": user.roles,
        "jti": user.jti,
        "iat": at,
        "nbf": at - CLOCK_SKEW,
        "exp": user.expires_at,
        "iss": siwe_binding(context).uri,
        "aud": JWT_AUDIENCE,
        "chainId": context.chain_id,
    }
    return jwt.encode(claims, context.settings.jwt_secret.get_secret_value(), algorithm=JWT_ALGORITHM)


def issue_token(context: ApiContext, address: str, roles: int, *, ttl: int | None = None) -> str:
    """A session JWT for `address` with `roles`, without SIWE (tests, tools). `ttl` may be negative (expired)."""
    at = now()
    expires = at + (context.settings.jwt_ttl if ttl is None else ttl)
    with Session(context.engine) as session:  # type: ignore[arg-type]
        user = _open_session(session, address.lower(), roles, at, expires)
        session.commit()
    return _encode(context, user, at)


def decode_token(context: ApiContext, token: str) -> User:
    """The user of a valid, unexpired, unrevoked session token; 401 otherwise."""
    try:
        claims = jwt.decode(
            token,
            context.settings.jwt_secret.get_secret_value(),
            algorithms=[JWT_ALGORITHM],
            audience=JWT_AUDIENCE,
            issuer=siwe_binding(context).uri,
            options={"require": ["exp", "iat", "sub", "jti", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise ApiError(401, "session_expired", "the session expired: sign in again") from None
    except jwt.InvalidTokenError:
        raise ApiError(
            401, "invalid_token", "the bearer token is not a valid session of this API: sign in again"
        ) from None
    if claims.get("chainId") != context.chain_id or not isinstance(claims.get("roles"), int):
        raise ApiError(401, "invalid_token", "the bearer token is for another deployment: sign in again")
    with Session(context.engine) as session:  # type: ignore[arg-type]
        row = session.get(ApiSession, str(claims["jti"]))
    if row is None or row.address != str(claims["sub"]).lower():
        raise ApiError(401, "invalid_token", "the session is unknown to this API: sign in again")
    if row.revoked_at is not None:
        raise ApiError(401, "session_revoked", "this session was signed out: sign in again")
    return User(address=row.address, roles=row.roles, jti=row.jti, expires_at=row.expires_at)


def revoke(context: ApiContext, user: User) -> int:
    """Sign a session out for good; returns when it was revoked."""
    at = now()
    with Session(context.engine) as session:  # type: ignore[arg-type]
        session.connection().execute(
            update(ApiSession)
            .where(col(ApiSession.jti) == user.jti, col(ApiSession.revoked_at).is_(None))
            .values(revoked_at=at)
        )
        session.commit()
        row = session.exec(select(ApiSession).where(ApiSession.jti == user.jti)).one()
    return int(row.revoked_at or at)


# ------------------------------------------------------------------------------------------------ dependencies

_bearer = HTTPBearer(auto_error=False, description="the `token` of POST /api/v1/auth/verify")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def current_user(context: Context, credentials: Bearer) -> User:
    """The session's user; 401 without a valid, unrevoked bearer token."""
    if credentials is None:
        raise ApiError(
            401, "unauthorized", "sign in first: send `Authorization: Bearer <token>` from /api/v1/auth/verify"
        )
    return decode_token(context, credentials.credentials)


def optional_user(context: Context, credentials: Bearer) -> User | None:
    """The session's user when a token is sent (an invalid one is still a 401), else None."""
    if credentials is None:
        return None
    return decode_token(context, credentials.credentials)


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]


def require_role(role_bit: int) -> Callable[[User], User]:
    """A dependency that admits only users whose KYC roles (read at sign-in) include `role_bit`; 403 otherwise."""
    name = ROLE_NAMES.get(role_bit, f"role {role_bit}")

    def dependency(user: CurrentUser) -> User:
        if not user.has(role_bit):
            raise ApiError(
                403,
                "forbidden",
                f"this needs a valid {name} KYC; yours does not include it (ask a KYC officer, then sign in again)",
                {"required": role_bit, "roles": user.roles},
            )
        return user

    return dependency
