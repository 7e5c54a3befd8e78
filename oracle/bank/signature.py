"""The ``X-Bank-Signature`` header: ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``.

The MAC covers the timestamp and the body bytes exactly as sent, so a replayed request is refused once the timestamp
leaves the tolerance window, and any change to the body (even re-serialising the same JSON) breaks it. Several
secrets may be configured at once so that the bank's secret can be rotated without refusing deliveries in flight.
The header grammar is strict (exactly one ``t`` and one ``v1``, nothing else): an ambiguous header is refused rather
than interpreted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

from oracle.bank.errors import SignatureExpired, SignatureInvalid, SignatureMalformed, SignatureMissing

HEADER = "X-Bank-Signature"
SCHEME = "v1"
#: Seconds a signature stays valid on either side of the receiver's clock.
DEFAULT_TOLERANCE = 300
#: A real header is about 80 characters; anything much longer is not one.
MAX_HEADER_LENGTH = 256

# A canonical decimal timestamp (no sign, no leading zero, at most 12 digits: year 33658) and a SHA-256 in hex.
_TIMESTAMP = re.compile(r"[1-9][0-9]{0,11}")
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class SignatureHeader:
    """A parsed header: the timestamp as signed (its decimal text) and the MAC bytes."""

    timestamp: int
    mac: bytes


def compute_mac(secret: bytes, body: bytes, timestamp: int) -> bytes:
    """HMAC-SHA256 over ``b"<timestamp>." + body``."""
    return hmac.new(secret, str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).digest()


def sign_header(secret: bytes, body: bytes, timestamp: int) -> str:
    """The header value a bank sends with `body` signed at `timestamp` (unix seconds)."""
    if timestamp <= 0:
        raise ValueError(f"timestamp must be positive unix seconds, got {timestamp}")
    return f"t={timestamp},{SCHEME}={compute_mac(secret, body, timestamp).hex()}"


def parse_header(header: str) -> SignatureHeader:
    """Split a header value into its timestamp and MAC.

    Raises:
        SignatureMalformed: anything but exactly one canonical ``t`` and one 64-hex-digit ``v1``.
    """
    if len(header) > MAX_HEADER_LENGTH:
        raise SignatureMalformed(f"{HEADER} is longer than {MAX_HEADER_LENGTH} characters")
    parts: dict[str, str] = {}
    for part in header.strip().split(","):
        key, sep, value = part.partition("=")
        if not sep:
            raise SignatureMalformed(f"{HEADER} part {part[:20]!r} is not key=value")
        if key not in ("t", SCHEME):
            raise SignatureMalformed(f"{HEADER} has an unknown part {key[:20]!r}; expected only t and {SCHEME}")
        if key in parts:
            raise SignatureMalformed(f"{HEADER} repeats {key!r}")
        parts[key] = value
    if "t" not in parts:
        raise SignatureMalformed(f"{HEADER} has no t=<unix seconds>")
    if SCHEME not in parts:
        raise SignatureMalformed(f"{HEADER} has no {SCHEME}=<hex HMAC-SHA256>")
    if not _TIMESTAMP.fullmatch(parts["t"]):
        raise SignatureMalformed(f"{HEADER} t must be unix seconds in decimal (no sign, no leading zero)")
    if not _HEX_DIGEST.fullmatch(parts[SCHEME]):
        raise SignatureMalformed(f"{HEADER} {SCHEME} must be 64 hex digits (HMAC-SHA256)")
    return SignatureHeader(timestamp=int(parts["t"]), mac=bytes.fromhex(parts[SCHEME]))


def verify_header(
    secrets: Sequence[bytes],
    body: bytes,
    header: str | None,
    *,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> int:
    """Check that `header` signs exactly `body` under one of `secrets`, within `tolerance` seconds of `now`.

    Every secret is compared, in constant time, whatever the outcome of the others, so the timing tells nothing
    about which secret (if any) came close.

    Returns:
        The signed timestamp.

    Raises:
        SignatureMissing, SignatureMalformed, SignatureInvalid, SignatureExpired.
    """
    if not secrets:
        # A configuration error, not the caller's: refuse everything rather than accept everything.
        raise SignatureInvalid("no webhook secret is configured; set HUNDI_BANK_WEBHOOK_SECRET on the oracle")
    if header is None or not header.strip():
        raise SignatureMissing(f"the {HEADER} header is required")
    parsed = parse_header(header)
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(compute_mac(secret, body, parsed.timestamp), parsed.mac)
    if not matched:
        raise SignatureInvalid(
            f"{HEADER} does not match the body: sign the exact bytes sent with the shared secret",
        )
    skew = parsed.timestamp - now
    if abs(skew) > tolerance:
        raise SignatureExpired(
            f"{HEADER} timestamp is {abs(skew):.0f} s in the {'future' if skew > 0 else 'past'}; "
            f"the tolerance is {tolerance} s (check the sender's clock, or re-sign on retry)",
            detail={"timestamp": parsed.timestamp, "now": int(now), "tolerance": tolerance},
        )
    return parsed.timestamp
