"""The FastAPI application factory: `create_app(settings)` wires the context, the routers, the error shape,
metrics and (when built) the dApp's static files."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy import Engine
from web3 import Web3

from backend.api.deps import ApiContext
from backend.api.errors import install_error_handlers
from backend.api.settings import ApiSettings
from backend.db.session import make_engine
from hundi.chain.deployment import Deployment, load_deployment

log = logging.getLogger(__name__)

#: Router modules, each exposing `router`. Imported by name so a missing optional module fails loudly at start.
ROUTERS = (
    "backend.api.routes.health",
    "backend.api.routes.invoices",
    "backend.api.routes.portfolio",
    "backend.api.routes.stats",
    "backend.api.routes.events",
    "backend.api.routes.auth",
    "backend.api.routes.upload",
    "backend.api.routes.fund",
)

API_DESCRIPTION = """
Hundi's marketplace API: open listings, invoice timelines, portfolios and live updates, read from the indexer's
mirror of the chain; SIWE sign-in; invoice upload with OCR prefill; and unsigned transactions for the investor's
wallet. It never holds keys or funds. Every error has the body `{"error": {"code", "message", "detail"}}`.
"""


class Metrics:
    """Per-app Prometheus collectors (a registry of its own, so several apps can live in one test process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "hundi_api_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "hundi_api_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )


def include_routers(app: FastAPI) -> None:
    """Include every router module of ROUTERS that exists (the API grows one module at a time)."""
    for name in ROUTERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            log.warning("router %s is not built yet; skipped", name)
            continue
        app.include_router(module.router)


def create_app(
    settings: ApiSettings | None = None,
    *,
    engine: Engine | None = None,
    deployment: Deployment | None = None,
    w3: Web3 | None = None,
) -> FastAPI:
    """The API app. Everything not passed in is built from `settings` (the environment by default)."""
    settings = settings or ApiSettings()
    deployment = deployment or load_deployment(settings.deployment)
    settings.require_safe_for(deployment.chainId)
    w3 = w3 or Web3(Web3.HTTPProvider(settings.rpc_url, request_kwargs={"timeout": settings.indexer_rpc_timeout}))
    engine = engine or make_engine(settings.database_url)

    app = FastAPI(
        title="Hundi API",
        version="1",
        description=API_DESCRIPTION,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.context = ApiContext(settings=settings, engine=engine, deployment=deployment, w3=w3)
    app.state.metrics = Metrics()
    install_error_handlers(app)

    origins = sorted({settings.api_public_url.rstrip("/"), *settings.api_cors_origins})
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
    )

    @app.middleware("http")
    async def _measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        route: Any = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics: Metrics = request.app.state.metrics
        metrics.requests.labels(request.method, path, str(response.status_code)).inc()
        metrics.latency.labels(request.method, path).observe(time.perf_counter() - start)
        return response

    include_routers(app)

    from backend.api.frontend import mount_frontend

    mount_frontend(app, settings.frontend_dist)
    return app
