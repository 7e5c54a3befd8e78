"""Fixtures of the oracle tests: private anvil chains with the real deployment, fresh oracle databases on SQLite and
Postgres, encrypted document stores in temporary folders, and in-process oracle nodes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hundi.chain.deployment import Deployment
from hundi.chain.devkeys import dev_account
from hundi.documents import DocumentVault
from oracle.db.session import migrate
from oracle.service import Accounts, OracleService
from tests.backend.localchain import Anvil, Driver
from tests.databases import EmptyDatabases, skip_unless_available
from tests.oracle.support import COLLECTOR, deploy_oracle_system, onboard, oracle_settings, start_anvil, vault_at


@pytest.fixture(params=["sqlite", "postgres"])
def oracle_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated oracle database URL on each backend in turn."""
    backend: str = request.param
    skip_unless_available(backend)
    dbs = EmptyDatabases(backend, tmp_path, prefix="hundi_oracle")
    try:
        url = dbs.new_url()
        migrate(url)
        yield url
    finally:
        dbs.drop_all()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'oracle.db'}"
    migrate(url)
    return url


@pytest.fixture
def node() -> Iterator[Anvil]:
    with start_anvil() as chain:
        yield chain


@pytest.fixture
def deployment_path(tmp_path: Path) -> Path:
    return tmp_path / "deployment.json"


@pytest.fixture
def deployment(node: Anvil, deployment_path: Path) -> Deployment:
    """One signer (dev 7), threshold 1; dev 10 is the collector."""
    return deploy_oracle_system(node, deployment_path)


@pytest.fixture
def driver(node: Anvil, deployment: Deployment) -> Driver:
    d = Driver(node, deployment)
    onboard(d)
    return d


@pytest.fixture
def vault(tmp_path: Path) -> DocumentVault:
    return vault_at(tmp_path / "docs")


NodeFactory = Callable[..., OracleService]


@pytest.fixture
def make_oracle(node: Anvil, deployment_path: Path, vault: DocumentVault) -> Iterator[NodeFactory]:
    """Builds in-process oracle nodes (loop thread started) and stops them at teardown."""
    made: list[OracleService] = []

    def make(
        database_url: str,
        deployment: Deployment,
        *,
        signer: int = 7,
        collector: int | None = COLLECTOR,
        start: bool = True,
        **settings: Any,
    ) -> OracleService:
        config = oracle_settings(database_url, node, deployment_path, **settings)
        accounts = Accounts(dev_account(signer), dev_account(collector) if collector is not None else None)
        service = OracleService(config, deployment, accounts, vault=vault)
        made.append(service)
        if start:
            service.start()
        return service

    try:
        yield make
    finally:
        for service in made:
            service.stop()
