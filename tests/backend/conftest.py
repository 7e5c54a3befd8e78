"""Fixtures of the indexer tests: private anvil chains with the real deployment, fresh databases on SQLite and
Postgres (a schema of its own per database, dropped afterwards), indexers on them, and table dumps to compare.

Postgres is the one at HUNDI_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); its tests
are skipped, with the reason, when nothing answers there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from backend.db.models import TABLES, ChainDeployment
from backend.db.session import make_engine, migrate
from backend.indexer.rpc import ChainReader, JsonRpc
from backend.indexer.store import table_of
from backend.indexer.sync import Indexer
from backend.settings import IndexerSettings
from hundi.chain.deployment import Deployment
from tests.backend.localchain import Anvil, Driver, deploy, run_lifecycle
from tests.databases import EmptyDatabases, skip_unless_available

#: Columns that record when something was written, not what: left out of dumps.
VOLATILE = {"updated_at"}


class Databases(EmptyDatabases):
    """Fresh databases on one backend, at the backend schema unless asked for an empty one; all dropped at
    teardown."""

    def new(self, *, migrated: bool = True) -> str:
        """The URL of a new database (a new SQLite file, or a new Postgres schema)."""
        url = self.new_url()
        if migrated:
            migrate(url)
        return url


@pytest.fixture(params=["sqlite", "postgres"])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    """Fresh databases on each backend in turn."""
    backend: str = request.param
    skip_unless_available(backend)
    dbs = Databases(backend, tmp_path)
    try:
        yield dbs
    finally:
        dbs.drop_all()


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every indexer table's rows in primary-key order: equal dumps, equal state.

    Write timestamps are left out, and the deployment's surrogate id is replaced by what identifies it (chain id,
    InvoiceToken address): Postgres never reuses a serial id, so a re-created deployment gets a new one.
    """
    deployments = table_of(ChainDeployment)
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        identity = {
            row.id: (row.chain_id, row.invoice_token)
            for row in connection.execute(select(deployments.c.id, deployments.c.chain_id, deployments.c.invoice_token))
        }
        for model in TABLES:
            table = table_of(model)
            skip = VOLATILE | ({"id"} if table is deployments else set())
            columns = [c for c in table.columns if c.name not in skip]
            rows = connection.execute(select(*columns).order_by(*table.primary_key.columns)).mappings().all()
            tables[table.name] = [
                tuple(identity[v] if k == "deployment_id" else v for k, v in row.items()) for row in rows
            ]
    return tables


def assert_same_state(actual: dict[str, list[tuple[Any, ...]]], expected: dict[str, list[tuple[Any, ...]]]) -> None:
    """Table by table, so a failure names the table and the first differing row."""
    assert actual.keys() == expected.keys()
    for name in expected:
        got, want = actual[name], expected[name]
        if got != want:
            missing = [r for r in want if r not in got][:3]
            extra = [r for r in got if r not in want][:3]
            pytest.fail(f"table {name}: {len(got)} rows, expected {len(want)}; missing {missing}; unexpected {extra}")


class Indexers:
    """Builds indexers (with their engines and RPC clients) and closes them at teardown."""

    def __init__(self) -> None:
        self._open: list[tuple[Engine, JsonRpc]] = []

    def make(self, deployment: Deployment, database_url: str, node: Anvil, **settings: Any) -> Indexer:
        options: dict[str, Any] = {
            "database_url": database_url,
            "rpc_url": node.url,
            "indexer_poll_interval": 0.05,
            "indexer_progress_interval": 60.0,
            **settings,
        }
        config = IndexerSettings(**options)
        engine = make_engine(config.database_url)
        rpc = JsonRpc(node.url, timeout=30)
        self._open.append((engine, rpc))
        indexer = Indexer(deployment, engine, ChainReader(rpc), config)
        indexer.prepare()
        return indexer

    def close(self) -> None:
        for engine, rpc in self._open:
            rpc.close()
            engine.dispose()


@pytest.fixture
def indexers() -> Iterator[Indexers]:
    made = Indexers()
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def fresh_index(indexers: Indexers, databases: Databases) -> Callable[[Deployment, Anvil], Engine]:
    """Index a deployment from scratch, in one pass, into a new database; returns its engine."""

    def index(deployment: Deployment, node: Anvil) -> Engine:
        indexer = indexers.make(deployment, databases.new(), node)
        indexer.run(once=True)
        return indexer.engine

    return index


@pytest.fixture(scope="session")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Anvil, Deployment, dict[str, int]]]:
    """One chain on which five invoices went through every path of the status machine (run_lifecycle).
    Shared by the tests that only read the chain; returns the node, the deployment and the invoice ids."""
    with Anvil() as chain:
        deployment = deploy(chain, tmp_path_factory.mktemp("lifecycle") / "deployment.json")
        driver = Driver(chain, deployment)
        driver.onboard()
        ids = run_lifecycle(driver, chain)
        yield chain, deployment, ids


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Anvil]:
    """A private anvil for one test."""
    with Anvil() as chain:
        yield chain


@pytest.fixture
def deployment(node: Anvil, tmp_path: Path) -> Deployment:
    return deploy(node, tmp_path / "deployment.json")


@pytest.fixture
def driver(node: Anvil, deployment: Deployment) -> Driver:
    return Driver(node, deployment)
