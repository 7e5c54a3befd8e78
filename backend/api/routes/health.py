"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel import Session, select

from backend.api.deps import Context
from backend.api.errors import error_response
from backend.db.models import IndexerCursor

router = APIRouter(tags=["ops"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    chainId: int
    database: bool
    chain: bool
    head: int | None
    indexedBlock: int | None
    lag: int | None


@router.get("/healthz", response_model=Health, summary="Liveness: the process answers")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness: the database answers and the node serves the deployment's chain",
    responses={503: {"description": "a dependency is down; the body says which"}},
)
def readyz(context: Context) -> Any:
    database = chain = False
    head: int | None = None
    indexed: int | None = None
    problems: list[str] = []
    try:
        with Session(context.engine) as session:  # type: ignore[arg-type]
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            database = True
            try:
                deployment_id = context.deployment_id(session)
                cursor = session.exec(select(IndexerCursor).where(IndexerCursor.deployment_id == deployment_id)).first()
                indexed = cursor.last_block if cursor else None
            except Exception:  # noqa: S110 (not indexed yet: readiness reports lag as unknown)
                pass
    except Exception as exc:
        problems.append(f"database: {type(exc).__name__}: {exc}")
    try:
        if context.w3.eth.chain_id != context.chain_id:
            problems.append(f"chain: the node serves chain {context.w3.eth.chain_id}, not {context.chain_id}")
        else:
            head = context.w3.eth.block_number
            chain = True
    except Exception as exc:
        problems.append(f"chain: {type(exc).__name__}: {exc}")
    body = Readiness(
        status="ready" if database and chain else "unavailable",
        chainId=context.chain_id,
        database=database,
        chain=chain,
        head=head,
        indexedBlock=indexed,
        lag=(head - indexed) if head is not None and indexed is not None else None,
    )
    if problems:
        return error_response(503, "not_ready", "; ".join(problems), body.model_dump())
    return body


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
