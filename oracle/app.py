"""The oracle's HTTP face (FastAPI): health, Prometheus metrics, the operator status, the peers' signature exchange,
invoice lookups for the bank simulator, on-demand auto-payouts, and the bank webhook (oracle/bank's router).

Authentication: operator endpoints take `Authorization: Bearer <HUNDI_ORACLE_ADMIN_TOKEN>` (compared in constant
time; without a configured token they refuse everyone). Peer signatures authenticate themselves: they must recover
to a current OracleHub signer over a report this node computed. Every error uses one JSON shape,
`{"error": {"code", "message", "detail"}}`.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, func, select
from starlette.exceptions import HTTPException as StarletteHTTPException

from oracle.bank.errors import BankRequestError
from oracle.bank.intake import held_payments, payment_counts
from oracle.bank.router import bank_router
from oracle.db.models import OracleInvoice, OracleTx, OutboxReport
from oracle.directory import invoice_public
from oracle.errors import PeerRefused

if TYPE_CHECKING:
    from oracle.service import OracleService


class ApiError(Exception):
    """An error answered with the one JSON error shape."""

    def __init__(self, status: int, code: str, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.detail = status, code, message, detail


def _error(
    status: int, code: str, message: str, detail: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "detail": detail}}, status_code=status, headers=headers
    )


class SignatureIn(BaseModel):
    """A peer's signature of a report."""

    model_config = ConfigDict(extra="forbid")

    reportId: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="the report's EIP-712 digest")
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="65-byte r||s||v signature")
    invoiceId: int | None = Field(default=None, ge=0, lt=2**256)


class ReleaseBody(BaseModel):
    """The invoice a held payment belongs to, as the reviewing operator decided."""

    model_config = ConfigDict(extra="forbid")

    invoiceId: int = Field(ge=1, lt=2**63)
    note: str = Field(default="", max_length=200, description="why (kept in the payment's detail)")


def _report_json(row: OutboxReport) -> dict[str, Any]:
    return {
        "reportId": row.report_id,
        "kind": row.kind,
        "invoiceId": row.invoice_id,
        "status": row.status,
        "source": row.source,
        "detail": row.detail,
        "attempts": row.attempts,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }


def operator(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """Operator authentication: the bearer token, compared in constant time."""
    expected = request.app.state.service.settings.admin_token()
    if authorization is None or not authorization.startswith("Bearer "):
        raise ApiError(401, "unauthenticated", "send Authorization: Bearer <HUNDI_ORACLE_ADMIN_TOKEN>")
    if expected is None:
        raise ApiError(403, "forbidden", "operator endpoints are disabled: set HUNDI_ORACLE_ADMIN_TOKEN (16+ chars)")
    if not hmac.compare_digest(authorization.removeprefix("Bearer ").encode(), expected.encode()):
        raise ApiError(403, "forbidden", "the bearer token is not this node's operator token")


Operator = Annotated[None, Depends(operator)]


def create_app(service: OracleService) -> FastAPI:
    """The FastAPI app of one oracle node."""
    app = FastAPI(
        title="Hundi oracle",
        version="1",
        description="An oracle operator node: verification and bank repayment reports, k-of-n signature exchange.",
    )
    app.state.service = service
    # The dApp's operator page reads /healthz and the status from the browser, at the API's origin, and releases
    # held payments (a JSON POST with the operator token). Only the configured origins get CORS headers.
    origins = [o.strip().rstrip("/") for o in service.settings.oracle_cors_origins.split(",") if o.strip()]
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return _error(exc.status, exc.code, exc.message, exc.detail, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return _error(422, "invalid_request", "the request does not match the schema; see detail", detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, "http_error", str(exc.detail))

    def run_db(fn: Callable[[Session], Any]) -> Any:
        with Session(service.engine) as session:
            return fn(session)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> JSONResponse:
        """200 while the chain loop is alive (ticked within the last 30 s), 503 otherwise."""
        age = time.monotonic() - service.last_tick
        body = {"status": "ok" if age < 30 else "stalled", "lastTickAgeSeconds": round(age, 3)}
        return JSONResponse(body, status_code=200 if age < 30 else 503)

    @app.get("/metrics", tags=["ops"])
    def metrics() -> Response:
        service.refresh_gauges()
        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/oracle/v1/status", tags=["ops"])
    def status(_auth: Operator) -> dict[str, Any]:
        """Pending, held and failed reports, held bank payments, the last processed block and the signer balance."""

        def read(session: Session) -> dict[str, Any]:
            def reports(*statuses: str) -> list[dict[str, Any]]:
                rows = session.exec(
                    select(OutboxReport)
                    .where(col(OutboxReport.status).in_(statuses))
                    .order_by(col(OutboxReport.created_at))
                    .limit(200)
                ).all()
                return [_report_json(r) for r in rows]

            held_invoices = session.exec(
                select(OracleInvoice).where(OracleInvoice.verification == "held").limit(200)
            ).all()
            counts = dict(session.exec(select(OutboxReport.status, func.count()).group_by(OutboxReport.status)).all())
            txs = dict(session.exec(select(OracleTx.status, func.count()).group_by(OracleTx.status)).all())
            return {
                "pending": reports("created", "signed", "submitted"),
                "failed": reports("failed"),
                "held": {
                    "verifications": [
                        {"invoiceId": r.invoice_id, "reason": r.detail, "attempts": r.verify_attempts}
                        for r in held_invoices
                    ],
                    "payments": [p.model_dump(mode="json") for p in held_payments(session)],
                },
                "counts": {"reports": counts, "transactions": txs, "payments": payment_counts(session)},
            }

        body: dict[str, Any] = run_db(read)
        body.update(service.chain_status())
        return body

    @app.post("/oracle/v1/signatures", tags=["peers"])
    async def signatures(body: SignatureIn) -> JSONResponse:
        """A peer's signature: stored only if it recovers to a current on-chain signer over a report this node
        computed itself."""
        try:
            result = await run_in_threadpool(
                service.outbox.accept_peer_signature, body.reportId.lower(), body.signature, body.invoiceId
            )
        except PeerRefused as exc:
            return _error(exc.status, exc.code, exc.message)
        return JSONResponse(result)

    @app.get("/oracle/v1/invoices/{invoice_id}", tags=["invoices"])
    def invoice(invoice_id: int) -> dict[str, Any]:
        """What this node knows of an invoice (the bank simulator reads the invoice number here)."""
        if not 0 <= invoice_id < 2**63:
            raise ApiError(422, "invalid_request", "invoiceId out of range")
        row = run_db(lambda s: s.get(OracleInvoice, invoice_id))
        if row is None:
            raise ApiError(404, "unknown_invoice", f"invoice {invoice_id} is not known to this oracle (yet)")
        return invoice_public(row)

    @app.post("/api/v1/payouts/distribute/{invoice_id}", tags=["keepers"], status_code=202)
    def distribute(invoice_id: int, _auth: Operator) -> dict[str, Any]:
        """Queue claimFor batches now for the opted-in holders of `invoice_id` with something to claim."""
        if not 0 <= invoice_id < 2**63:
            raise ApiError(422, "invalid_request", "invoiceId out of range")
        if service.keepers is None:
            raise ApiError(409, "keepers_disabled", "this node runs without keepers (HUNDI_ORACLE_KEEPERS=false)")
        keepers = service.keepers

        def queue(session: Session) -> Any:
            if session.get(OracleInvoice, invoice_id) is None:
                raise ApiError(404, "unknown_invoice", f"invoice {invoice_id} is not known to this oracle (yet)")
            payout = keepers.distribute(session, invoice_id)
            session.commit()
            return payout

        payout = run_db(queue)
        service.wake.set()
        return {"invoiceId": invoice_id, "investors": payout.investors, "transactions": payout.transactions}

    # `:path`: a bank's transaction id may contain "/" (servers decode %2F before routing).
    @app.post("/oracle/v1/payments/{transaction_id:path}/release", tags=["bank"])
    def release_payment(transaction_id: str, body: ReleaseBody, _auth: Operator) -> dict[str, Any]:
        """An operator's review of a held bank payment: report it as a repayment of `invoiceId`.

        Every node that should co-sign the repayment must be told the same decision."""
        if service.intake is None:
            raise ApiError(409, "intake_disabled", "this node does not take bank payments")
        if not 0 < len(transaction_id) <= 128:
            raise ApiError(422, "invalid_request", "transactionId must be 1-128 characters")
        try:
            result = service.intake.release(transaction_id, body.invoiceId, reviewer_note=body.note)
        except BankRequestError as exc:
            raise ApiError(exc.status, exc.code, exc.message, exc.detail) from exc
        service.wake.set()
        return result.as_json()

    if service.intake is not None:
        app.include_router(bank_router(service.intake))
    return app
