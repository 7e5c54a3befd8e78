"""``POST /api/v1/webhooks/payment``: the HTTP face of `BankIntake`.

The route reads the raw body itself (the HMAC covers the exact bytes, so FastAPI must not parse and re-serialise it),
enforces the content type and the size cap while streaming (an oversized body is refused before it is buffered), and
runs the intake, which blocks on the database, in the thread pool. Every refusal uses the one error shape
``{"error": {"code", "message", "detail"}}``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from oracle.bank.errors import BankRequestError, BodyTooLarge, MalformedBody, UnsupportedMediaType
from oracle.bank.intake import BankIntake
from oracle.bank.schema import OPENAPI_BODY
from oracle.bank.signature import HEADER

log = logging.getLogger("hundi.oracle.bank")

PATH = "/api/v1/webhooks/payment"
INTERNAL_ERROR: dict[str, Any] = {
    "error": {
        "code": "internal_error",
        "message": "the payment could not be processed; nothing was recorded: retry later (the oracle's log has the "
        "cause)",
        "detail": None,
    }
}


def _error_schema(example_code: str) -> dict[str, Any]:
    return {
        "content": {
            "application/json": {
                "example": {"error": {"code": example_code, "message": "...", "detail": None}},
            }
        }
    }


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Reported, recorded (non-success status), or a redelivery of an earlier payment"},
    202: {"description": "Held for review: no single repayable invoice has this number"},
    400: {"description": "Malformed JSON or signature header", **_error_schema("malformed_json")},
    401: {"description": "Missing, invalid or expired signature", **_error_schema("signature_invalid")},
    409: {"description": "transactionId already received with other content", **_error_schema("payment_conflict")},
    413: {"description": "Body over the size cap", **_error_schema("body_too_large")},
    415: {"description": "Not application/json", **_error_schema("unsupported_media_type")},
    422: {"description": "Not a valid payment notice", **_error_schema("invalid_payment")},
    500: {"description": "Unexpected failure; nothing recorded, retry", **_error_schema("internal_error")},
    503: {"description": "Database unavailable; retry", **_error_schema("intake_unavailable")},
}


def _check_content_type(request: Request) -> None:
    value = request.headers.get("content-type")
    if value is None:
        raise UnsupportedMediaType("send the body as Content-Type: application/json")
    media_type, *params = (part.strip() for part in value.split(";"))
    if media_type.lower() != "application/json":
        raise UnsupportedMediaType(f"Content-Type {media_type[:80]!r} is not supported; send application/json")
    for param in params:
        name, _, charset = param.partition("=")
        if name.strip().lower() == "charset" and charset.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"charset {charset[:40]!r} is not supported; send UTF-8")


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise MalformedBody("Content-Length is not a number")
        if int(declared) > limit:
            raise BodyTooLarge(f"the body is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _signature_header(request: Request) -> str | None:
    values = request.headers.getlist(HEADER)
    if len(values) > 1:
        # Two headers could carry two different claims; take neither.
        return ",".join(values)  # parse_header refuses the repeated parts
    return values[0] if values else None


def bank_router(intake: BankIntake) -> APIRouter:
    """The router serving the bank payment webhook through `intake`; the oracle app mounts it."""
    router = APIRouter(tags=["bank"])

    @router.post(
        PATH,
        summary="Receive a signed bank payment notification",
        responses=_RESPONSES,
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": OPENAPI_BODY}}},
            "parameters": [
                {
                    "name": HEADER,
                    "in": "header",
                    "required": True,
                    "description": 't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>',
                    "schema": {"type": "string"},
                }
            ],
        },
    )
    async def payment_webhook(request: Request) -> JSONResponse:
        """Verify the signature over the raw body, deduplicate on transactionId, and report, hold or record it."""
        try:
            _check_content_type(request)
            raw = await _read_capped(request, intake.max_body)
            result = await run_in_threadpool(intake.receive, raw, _signature_header(request))
        except BankRequestError as exc:
            log.info("bank webhook refused: %s %s: %s", exc.status, exc.code, exc.message)
            return JSONResponse(exc.as_json(), status_code=exc.status)
        except Exception:
            # The payment's transaction rolled back whole (directory, sink or database failure): say so in the
            # usual shape, with a 5xx so that the bank retries the delivery later.
            log.exception("bank webhook failed; nothing was recorded")
            return JSONResponse(INTERNAL_ERROR, status_code=500)
        return JSONResponse(result.as_json(), status_code=result.http_status)

    return router
