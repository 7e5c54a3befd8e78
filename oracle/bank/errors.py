"""The bank intake's exceptions: each rejected webhook maps to one HTTP status and one machine-readable code.

The bank reads the status to decide whether to retry (4xx: never, the request itself is wrong; 5xx: later), and an
operator reads the code and message in the response body and the logs.
"""

from __future__ import annotations

from typing import Any

from oracle.errors import OracleError


class BankError(OracleError):
    """Base class of every bank intake error."""


class BankRequestError(BankError):
    """A webhook request refused as it stands. Carries the HTTP status, a stable code and optional detail.

    Nothing is written when one of these is raised: no payment row, no report.
    """

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def as_json(self) -> dict[str, Any]:
        """The project's one error shape: ``{"error": {"code", "message", "detail"}}``."""
        return {"error": {"code": self.code, "message": self.message, "detail": self.detail}}


class SignatureMissing(BankRequestError):
    """No ``X-Bank-Signature`` header: the request is unauthenticated."""

    status = 401
    code = "signature_missing"


class SignatureMalformed(BankRequestError):
    """The header is not exactly ``t=<unix seconds>,v1=<64 hex digits>``."""

    status = 400
    code = "signature_malformed"


class SignatureExpired(BankRequestError):
    """The signed timestamp is outside the tolerance window (a replay, or a clock far off)."""

    status = 401
    code = "signature_expired"


class SignatureInvalid(BankRequestError):
    """No configured secret produces the given HMAC over these exact bytes."""

    status = 401
    code = "signature_invalid"


class BodyTooLarge(BankRequestError):
    """The body exceeds the intake's size cap (a payment notice is a few hundred bytes)."""

    status = 413
    code = "body_too_large"


class UnsupportedMediaType(BankRequestError):
    """The request is not ``application/json`` (UTF-8)."""

    status = 415
    code = "unsupported_media_type"


class MalformedBody(BankRequestError):
    """The body is not one well-formed UTF-8 JSON object without duplicate keys."""

    status = 400
    code = "malformed_json"


class InvalidPayment(BankRequestError):
    """The JSON object is not a valid payment notice; ``detail`` lists ``{field, message}`` per problem."""

    status = 422
    code = "invalid_payment"


class PaymentConflict(BankRequestError):
    """The transactionId was already received with other content; the first delivery stands."""

    status = 409
    code = "payment_conflict"


class PaymentNotFound(BankRequestError):
    """No payment with that transactionId was received."""

    status = 404
    code = "payment_not_found"


class ReleaseRefused(BankRequestError):
    """A held payment cannot be released to that invoice as things stand (not held, unknown or unpayable invoice)."""

    status = 409
    code = "release_refused"


class IntakeUnavailable(BankRequestError):
    """The database could not be reached; nothing was recorded and the bank should retry later."""

    status = 503
    code = "intake_unavailable"
