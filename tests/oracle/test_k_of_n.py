"""k of n with real processes: three `hundi oracle run` operators (signers 7, 8, 9; threshold 2) exchange
signatures over HTTP. All up: the invoice is Verified with exactly one accepted report. One down: still Verified.
Two down: nothing is submitted."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hundi.chain.deployment import Deployment
from oracle.db.session import migrate
from tests.backend.localchain import Anvil, Driver, free_port
from tests.oracle.support import (
    STATUS,
    OracleProcess,
    deploy_oracle_system,
    events,
    mint_fixture,
    onboard,
    running,
    start_anvil,
    status_of,
    vault_at,
    wait_for,
)

SIGNERS = (7, 8, 9)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Anvil, Deployment, Path, Path]]:
    folder = tmp_path_factory.mktemp("k-of-n")
    with start_anvil() as node:
        deployment = deploy_oracle_system(node, folder / "deployment.json", signers=SIGNERS, threshold=2)
        onboard(Driver(node, deployment))
        yield node, deployment, folder / "deployment.json", folder / "docs"


def operators(chain: tuple[Anvil, Deployment, Path, Path], folder: Path, up: tuple[int, ...]) -> list[OracleProcess]:
    """One process per signer in `up`; each lists all three operators' URLs as peers (the others may be down)."""
    node, _deployment, path, docs = chain
    ports = {s: free_port() for s in SIGNERS}
    procs = []
    for signer in up:
        url = f"sqlite:///{folder / f'oracle-{signer}.db'}"
        migrate(url)
        peers = [f"http://127.0.0.1:{ports[p]}" for p in SIGNERS if p != signer]
        procs.append(
            OracleProcess(
                node, path, url, docs, signer=signer, peers=peers, port=ports[signer], log_path=folder / f"{signer}.log"
            )
        )
    return procs


def _accepted(driver: Driver, invoice_id: int) -> int:
    return len(events(driver, driver.c.hub, "ReportAccepted", invoiceId=invoice_id))


@pytest.mark.parametrize("up", [SIGNERS, (7, 9)], ids=["all-three-up", "one-down"])
def test_operators_reach_verified_with_exactly_one_accepted_report(
    chain: tuple[Anvil, Deployment, Path, Path], tmp_path: Path, up: tuple[int, ...]
) -> None:
    node, deployment, _path, docs = chain
    driver = Driver(node, deployment)
    minted = mint_fixture(driver, vault_at(docs), seed=40 + len(up))
    with running(*operators(chain, tmp_path, up)):
        wait_for(lambda: status_of(driver, minted.invoice_id) == STATUS["Verified"], timeout=90, what="Verified")
        time.sleep(2.5)  # past every operator's submission stagger: a second submission would show up now
        assert _accepted(driver, minted.invoice_id) == 1
        verified = events(driver, driver.c.token, "InvoiceVerified", invoiceId=minted.invoice_id)
        assert len(verified) == 1


def test_with_two_operators_down_nothing_is_submitted(
    chain: tuple[Anvil, Deployment, Path, Path], tmp_path: Path
) -> None:
    node, deployment, _path, docs = chain
    driver = Driver(node, deployment)
    minted = mint_fixture(driver, vault_at(docs), seed=49)
    (alone,) = operators(chain, tmp_path, (8,))
    with running(alone):
        # The lone operator computes and signs its report, then waits for a second signature that never comes.
        from sqlmodel import Session, select

        from oracle.db.models import OutboxReport
        from oracle.db.session import make_engine

        engine = make_engine(alone.args[alone.args.index("--database-url") + 1])
        try:

            def signed() -> bool:
                with Session(engine) as session:
                    row = session.exec(select(OutboxReport).where(OutboxReport.invoice_id == minted.invoice_id)).first()
                    return row is not None and row.status == "signed"

            wait_for(signed, timeout=60, what="the lone operator's signed report")
            time.sleep(3)
        finally:
            engine.dispose()
        assert status_of(driver, minted.invoice_id) == STATUS["Minted"]
        assert _accepted(driver, minted.invoice_id) == 0
