"""The webhook body: strict parsing of ``{transactionId, invoiceNumber, amount, status, paidAt}``.

Decisions, so that a bank integration fails loudly instead of moving the wrong amount of money:
- The body is one UTF-8 JSON object. Duplicate keys, ``NaN``/``Infinity``, unknown fields and missing fields are
  refused (an unknown field may be something the bank meant us to act on).
- ``amount`` is rupees, as a JSON string or a JSON number, in plain decimal notation with at most 2 decimal places
  (paise). JSON numbers are read from their literal text, never through a binary float, so ``1234.56`` is exactly
  1234.56 and there is no representability question; exponent notation (``1e3``) is refused. The amount converts
  exactly to stablecoin base units (``amount * 10**decimals``): it must be positive, fit uint128, and (only when the
  token has fewer than 2 decimals) be representable in the token's units.
- ``status`` is one of ``STATUSES`` (lower case). Only ``success`` moves money; the others are recorded.
- ``paidAt`` is an ISO-8601 string with a UTC offset (``2025-03-01T10:30:00+05:30``, ``...Z``), or a JSON integer
  of unix seconds. Not before 2000-01-01 (a unit mix-up, not a payment), not later than the receiver's clock plus the
  signature tolerance. Fractions of a second are dropped.
- ``transactionId`` (the bank's unique reference, e.g. a UTR) is 1-128 visible ASCII characters; ``invoiceNumber``
  is 1-64 printable ASCII characters without leading or trailing spaces. Neither is altered or normalised.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from oracle.bank.errors import InvalidPayment, MalformedBody

FIELDS = ("transactionId", "invoiceNumber", "amount", "status", "paidAt")
SUCCESS = "success"
STATUSES = (SUCCESS, "pending", "failed", "reversed")
MAX_TRANSACTION_ID = 128
MAX_INVOICE_NUMBER = 64
#: Rupee amounts carry paise: two decimal places.
RUPEE_DECIMALS = 2
UINT128_MAX = 2**128 - 1
#: 2000-01-01T00:00:00Z. Earlier paidAt values are unit mix-ups (days, or a zero), not payments.
MIN_PAID_AT = 946_684_800

_TRANSACTION_ID = re.compile(r"[!-~]+")
_INVOICE_NUMBER = re.compile(r"[!-~](?:[ -~]*[!-~])?")
_DECIMAL = re.compile(r"(?P<sign>-?)(?P<whole>[0-9]+)(?:\.(?P<fraction>[0-9]+))?")
# More integer digits than this cannot fit uint128 base units whatever the decimals; refuse before any arithmetic.
_MAX_WHOLE_DIGITS = 40


class JsonNumber(str):
    """A JSON number literal, kept as its exact text (so that no amount ever passes through a float)."""

    __slots__ = ()


@dataclass(frozen=True)
class PaymentNotice:
    """A validated payment notification.

    Attributes:
        amount: the rupee amount in canonical text (``"1234.50"``), for display and review.
        amount_units: the same amount in stablecoin base units.
        paid_at: unix seconds.
    """

    transaction_id: str
    invoice_number: str
    amount: str
    amount_units: int
    status: str
    paid_at: int

    @property
    def is_success(self) -> bool:
        """Whether the bank reports the money as received."""
        return self.status == SUCCESS


class _Problems:
    """Collects every problem of a body, so the bank sees them all in one response."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append({"field": field, "message": message})


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key[:40]!r}")
        result[key] = value
    return result


def load_json_object(raw: bytes) -> dict[str, Any]:
    """Decode `raw` as one JSON object, numbers kept as `JsonNumber` text.

    Raises:
        MalformedBody: not UTF-8, not JSON, duplicate keys, NaN/Infinity, nested too deeply, or not an object.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"the body is not UTF-8 (byte {exc.start})") from exc
    try:
        value = json.loads(
            text,
            parse_float=JsonNumber,
            parse_int=JsonNumber,
            parse_constant=_reject_constant,
            object_pairs_hook=_no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise MalformedBody(f"the body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except ValueError as exc:
        raise MalformedBody(f"the body is not acceptable JSON: {exc}") from exc
    except RecursionError as exc:
        raise MalformedBody("the body nests too deeply") from exc
    if not isinstance(value, dict):
        raise MalformedBody(f"the body must be a JSON object, got {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, JsonNumber):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    return "an object"


def parse_rupees(value: Any, decimals: int) -> tuple[str, int]:
    """A rupee amount (string or JSON number text) as (canonical text, base units at `decimals`).

    Raises:
        ValueError: with a message fit for the bank, when the amount is not a positive exact amount of paise that
            fits uint128 base units.
    """
    if not isinstance(value, str) or isinstance(value, bool):
        raise ValueError(f"must be a decimal string or number of rupees, got {_json_type(value)}")
    match = _DECIMAL.fullmatch(value)
    if match is None:
        if isinstance(value, JsonNumber):
            raise ValueError("must be written in plain decimal notation (no exponent)")
        raise ValueError("must be a decimal number of rupees such as '1234.50' (digits, one optional '.')")
    whole, fraction = match["whole"], match["fraction"] or ""
    if len(whole) > 1 and whole.startswith("0"):
        raise ValueError("must not have leading zeros")
    if len(fraction) > RUPEE_DECIMALS:
        raise ValueError(f"must have at most {RUPEE_DECIMALS} decimal places (paise)")
    if len(whole) > _MAX_WHOLE_DIGITS:
        raise ValueError("is too large for a uint128 amount")
    paise = int(whole) * 10**RUPEE_DECIMALS + int(fraction.ljust(RUPEE_DECIMALS, "0"))
    if match["sign"] or paise == 0:
        raise ValueError("must be positive")
    scaled = paise * 10**decimals
    if scaled % 10**RUPEE_DECIMALS:
        raise ValueError(f"is not representable in the stablecoin's {decimals} decimals")
    units = scaled // 10**RUPEE_DECIMALS
    if units > UINT128_MAX:
        raise ValueError("is too large for a uint128 amount")
    return format_rupees(paise), units


def format_rupees(paise: int) -> str:
    """``123450`` -> ``"1234.50"``."""
    return f"{paise // 100}.{paise % 100:02d}"


def parse_paid_at(value: Any, *, now: float, tolerance: int) -> int:
    """paidAt (ISO-8601 with an offset, or JSON integer unix seconds) as unix seconds.

    Raises:
        ValueError: with a message fit for the bank.
    """
    if isinstance(value, JsonNumber):
        if not value.isdigit():
            raise ValueError("as a number must be whole unix seconds")
        if len(value) > 12:
            raise ValueError("is too far in the future")
        seconds = int(value)
    elif isinstance(value, str):
        if len(value) > 40:
            raise ValueError("is too long for an ISO-8601 timestamp")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError("must be ISO-8601 with a UTC offset, e.g. 2025-03-01T10:30:00+05:30") from exc
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("must carry a UTC offset (Z or +05:30): a local time is ambiguous")
        try:
            # Whole seconds first, so the float timestamp is exact.
            seconds = int(moment.replace(microsecond=0).timestamp())
        except (OverflowError, ValueError, OSError) as exc:
            raise ValueError("is out of range") from exc
    else:
        raise ValueError(f"must be an ISO-8601 string or unix seconds, got {_json_type(value)}")
    if seconds < MIN_PAID_AT:
        raise ValueError("is before 2000-01-01: expected unix seconds or an ISO-8601 timestamp")
    if seconds > now + tolerance:
        raise ValueError(f"is in the future ({seconds - int(now)} s ahead of the oracle's clock)")
    return seconds


def _text(value: Any, field: str, limit: int, pattern: re.Pattern[str], charset: str, problems: _Problems) -> str:
    if not isinstance(value, str) or isinstance(value, JsonNumber):
        problems.add(field, f"must be a string, got {_json_type(value)}")
        return ""
    if not value:
        problems.add(field, "must not be empty")
    elif len(value) > limit:
        problems.add(field, f"must be at most {limit} characters, got {len(value)}")
    elif not pattern.fullmatch(value):
        problems.add(field, f"must be {charset}")
    return value


def parse_notice(raw: bytes, *, now: float, tolerance: int, decimals: int) -> PaymentNotice:
    """Validate a webhook body into a `PaymentNotice`.

    Raises:
        MalformedBody: the bytes are not one JSON object.
        InvalidPayment: the object is not a valid notice; the detail lists every problem.
    """
    body = load_json_object(raw)
    problems = _Problems()
    for name in body:
        if name not in FIELDS:
            problems.add(name[:64], "is not a known field")
    for name in FIELDS:
        if name not in body:
            problems.add(name, "is required")
    if problems.items:
        raise InvalidPayment("the payment notice has missing or unknown fields", detail=problems.items)

    transaction_id = _text(
        body["transactionId"],
        "transactionId",
        MAX_TRANSACTION_ID,
        _TRANSACTION_ID,
        "visible ASCII characters without spaces",
        problems,
    )
    invoice_number = _text(
        body["invoiceNumber"],
        "invoiceNumber",
        MAX_INVOICE_NUMBER,
        _INVOICE_NUMBER,
        "printable ASCII without leading or trailing spaces",
        problems,
    )
    amount, units = "", 0
    try:
        amount, units = parse_rupees(body["amount"], decimals)
    except ValueError as exc:
        problems.add("amount", str(exc))
    status = body["status"]
    if not isinstance(status, str) or isinstance(status, JsonNumber) or status not in STATUSES:
        problems.add("status", f"must be one of {', '.join(STATUSES)}")
    paid_at = 0
    try:
        paid_at = parse_paid_at(body["paidAt"], now=now, tolerance=tolerance)
    except ValueError as exc:
        problems.add("paidAt", str(exc))
    if problems.items:
        raise InvalidPayment("the payment notice is invalid", detail=problems.items)
    return PaymentNotice(
        transaction_id=transaction_id,
        invoice_number=invoice_number,
        amount=amount,
        amount_units=units,
        status=status,
        paid_at=paid_at,
    )


def notice_body(
    *, transaction_id: str, invoice_number: str, amount: str, status: str = SUCCESS, paid_at: int | str
) -> bytes:
    """The compact JSON body a bank would send (used by ``hundi bank-sim`` and the tests)."""
    document = {
        "transactionId": transaction_id,
        "invoiceNumber": invoice_number,
        "amount": amount,
        "status": status,
        "paidAt": paid_at,
    }
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


#: The request body as OpenAPI documents it (the route reads raw bytes, so FastAPI cannot derive it).
OPENAPI_BODY: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": list(FIELDS),
    "properties": {
        "transactionId": {"type": "string", "minLength": 1, "maxLength": MAX_TRANSACTION_ID, "pattern": "^[!-~]+$"},
        "invoiceNumber": {"type": "string", "minLength": 1, "maxLength": MAX_INVOICE_NUMBER},
        "amount": {
            "description": "rupees, at most 2 decimal places, positive",
            "oneOf": [
                {"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$"},
                {"type": "number", "exclusiveMinimum": 0},
            ],
        },
        "status": {"type": "string", "enum": list(STATUSES)},
        "paidAt": {
            "description": "ISO-8601 with a UTC offset, or unix seconds",
            "oneOf": [{"type": "string", "format": "date-time"}, {"type": "integer", "minimum": MIN_PAID_AT}],
        },
    },
    "example": {
        "transactionId": "UTR2025030112345",
        "invoiceNumber": "INV-2025-0042",
        "amount": "125000.00",
        "status": "success",
        "paidAt": "2025-03-01T10:30:00+05:30",
    },
}
