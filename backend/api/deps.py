"""Shared state of the API process and the FastAPI dependencies that hand it to routes.

`ApiContext` is created once per app: the settings, the database engine, the deployment file, a web3 client for
the reads that must come from the chain (KYC roles, readiness, allowances) and the deployment's row id in the
indexer database, found lazily because the indexer may create that row after the API starts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel import Session, select
from web3 import Web3

from backend.api.errors import ApiError
from backend.api.settings import ApiSettings
from backend.db.models import ChainDeployment
from hundi.chain.deployment import Deployment


@dataclass
class ApiContext:
    settings: ApiSettings
    engine: object  # sqlalchemy Engine (kept loose so tests can pass any engine)
    deployment: Deployment
    w3: Web3
    #: Per-app memo of values that never change for a given key (block timestamps, token metadata).
    cache: dict[str, Any] = field(default_factory=dict, repr=False)
    _deployment_id: int | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def chain_id(self) -> int:
        return self.deployment.chainId

    def deployment_id(self, session: Session) -> int:
        """The indexer's row id for this deployment; 503 until the indexer has registered it."""
        if self._deployment_id is not None:
            return self._deployment_id
        token = self.deployment.address("InvoiceToken").lower()
        row = session.exec(
            select(ChainDeployment).where(
                ChainDeployment.chain_id == self.deployment.chainId, ChainDeployment.invoice_token == token
            )
        ).first()
        if row is None or row.id is None:
            raise ApiError(
                503,
                "not_indexed",
                "the indexer has not registered this deployment yet: start it with `hundi indexer run`",
            )
        with self._lock:
            self._deployment_id = row.id
        return row.id


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


def get_session(context: Annotated[ApiContext, Depends(get_context)]) -> Iterator[Session]:
    with Session(context.engine) as session:  # type: ignore[arg-type]
        yield session


def get_deployment_id(
    context: Annotated[ApiContext, Depends(get_context)], session: Annotated[Session, Depends(get_session)]
) -> int:
    return context.deployment_id(session)


Context = Annotated[ApiContext, Depends(get_context)]
DbSession = Annotated[Session, Depends(get_session)]
DeploymentId = Annotated[int, Depends(get_deployment_id)]
