"""Sync details beyond correctness of the mirror: confirmation depth, settings from the environment, the
`hundi indexer` commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from backend.settings import DEFAULT_REMOTE_CONFIRMATIONS, IndexerSettings
from hundi.chain.deployment import Deployment
from hundi.cli import main
from tests.backend.conftest import Databases, Indexers
from tests.backend.localchain import Anvil


def test_the_indexer_stays_the_confirmation_depth_behind_the_head(
    lifecycle: tuple[Anvil, Deployment, dict[str, int]], databases: Databases, indexers: Indexers
) -> None:
    node, deployment, _ = lifecycle
    indexer = indexers.make(deployment, databases.new(), node, indexer_confirmations=3)
    indexer.run(once=True)
    assert indexer.cursor().block == node.head - 3


def test_confirmations_default_to_0_on_local_chains_and_12_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUNDI_INDEXER_CONFIRMATIONS", raising=False)
    settings = IndexerSettings()
    assert (settings.confirmations_for(31337), settings.confirmations_for(1337)) == (0, 0)
    assert settings.confirmations_for(8453) == DEFAULT_REMOTE_CONFIRMATIONS == 12
    monkeypatch.setenv("HUNDI_INDEXER_CONFIRMATIONS", "5")
    assert IndexerSettings().confirmations_for(31337) == 5


@pytest.mark.parametrize("variable", ["DATABASE_URL", "HUNDI_DATABASE_URL"])
def test_the_database_url_comes_from_the_environment_with_the_psycopg_driver(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("HUNDI_DATABASE_URL", raising=False)
    assert IndexerSettings().database_url.startswith("sqlite:///")
    assert IndexerSettings().database_url.endswith("/var/hundi.db")
    monkeypatch.setenv(variable, "postgres://postgres@db:5432/hundi")
    assert IndexerSettings().database_url == "postgresql+psycopg://postgres@db:5432/hundi"


def test_indexer_run_once_and_status_through_the_hundi_cli(
    lifecycle: tuple[Anvil, Deployment, dict[str, int]], databases: Databases, tmp_path: Path
) -> None:
    node, deployment, _ = lifecycle
    url = databases.new(migrated=False)  # `run` migrates
    path = tmp_path / "deployment.json"
    deployment.save(path)
    runner = CliRunner()
    ran = runner.invoke(
        main, ["indexer", "run", "--deployment", str(path), "--database-url", url, "--rpc-url", node.url, "--once"]
    )
    assert ran.exit_code == 0, ran.output
    status = runner.invoke(main, ["indexer", "status", "--database-url", url])
    assert status.exit_code == 0, status.output
    assert "test" in status.output and f"block {node.head:>10,}" in status.output


def test_indexer_run_explains_a_missing_deployment(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    ran = CliRunner().invoke(main, ["indexer", "run", "--deployment", str(missing), "--database-url", "sqlite://"])
    assert ran.exit_code != 0
    assert "no deployment file" in ran.output
