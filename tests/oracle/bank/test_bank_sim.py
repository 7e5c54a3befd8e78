"""``hundi bank-sim pay``: its webhooks verify against the real router served by uvicorn, and every failure exits
non-zero with the next step. The oracle's ``GET /oracle/v1/invoices/{id}`` is served from the test directory."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from hundi.cli import main
from tests.oracle.bank.conftest import (
    SECRET,
    Databases,
    Harness,
    Server,
    add_invoice_route,
    count_rows,
    report_rows,
)


@pytest.fixture
def oracle(engine: Engine) -> Iterator[tuple[Harness, Server]]:
    """The intake (on the real clock, as bank-sim signs with it) behind uvicorn, with invoice 7 Funded."""
    harness = Harness(engine, clock=time.time)
    harness.directory.add(7, "INV-2025-0042")
    add_invoice_route(harness.app, harness.directory)
    with Server(harness.app) as server:
        yield harness, server
    harness.client.close()


def sim(server: Server, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["bank-sim", "pay", "--oracle", server.url, *args], env=env, catch_exceptions=False)


def test_pay_looks_up_the_invoice_number_signs_and_is_reported(oracle: tuple[Harness, Server]) -> None:
    harness, server = oracle

    result = sim(server, "--invoice", "7", "--amount", "125000.50", "--secret", SECRET.decode())

    assert result.exit_code == 0, result.output
    assert "reported" in result.output
    assert "invoice 7" in result.output
    (call,) = harness.sink.calls
    assert call["invoice_id"] == 7
    assert call["amount"] == 125_000_500_000
    assert call["transaction_id"].startswith("SIM-")
    assert report_rows(harness.engine)[0]["transaction_id"] == call["transaction_id"]


def test_pay_reads_the_first_secret_of_the_environment(oracle: tuple[Harness, Server]) -> None:
    harness, server = oracle

    result = sim(
        server,
        "--invoice",
        "7",
        "--amount",
        "10",
        env={"HUNDI_BANK_WEBHOOK_SECRET": f"{SECRET.decode()},some-older-secret"},
    )

    assert result.exit_code == 0, result.output
    assert len(harness.sink.calls) == 1


def test_pay_again_with_the_same_transaction_id_is_a_redelivery(oracle: tuple[Harness, Server]) -> None:
    harness, server = oracle
    # A redelivery repeats the whole notice, paid-at included.
    args = ["--invoice", "7", "--amount", "10", "--secret", SECRET.decode(), "--transaction-id", "UTR-SIM-1"]
    args += ["--paid-at", "2025-06-15T10:00:00+05:30"]

    first, again = sim(server, *args), sim(server, *args)

    assert first.exit_code == again.exit_code == 0, again.output
    assert "redelivery" in again.output
    assert len(harness.sink.calls) == 1


def test_pay_reusing_a_transaction_id_for_another_amount_fails_with_a_next_step(
    oracle: tuple[Harness, Server],
) -> None:
    harness, server = oracle
    args = ("--invoice", "7", "--secret", SECRET.decode(), "--transaction-id", "UTR-SIM-2", "--paid-at", "1749996000")

    first = sim(server, *args, "--amount", "10")
    other = sim(server, *args, "--amount", "11")

    assert first.exit_code == 0
    assert other.exit_code == 1
    assert "payment_conflict" in other.output
    assert "omit --transaction-id" in other.output
    assert len(harness.sink.calls) == 1


def test_pay_with_the_wrong_secret_fails_and_says_which_setting_to_fix(oracle: tuple[Harness, Server]) -> None:
    harness, server = oracle

    result = sim(server, "--invoice", "7", "--amount", "10", "--secret", "not-the-secret")

    assert result.exit_code == 1
    assert "signature_invalid" in result.output
    assert "HUNDI_BANK_WEBHOOK_SECRET" in result.output
    assert count_rows(harness.engine) == (0, 0)


def test_pay_for_an_invoice_the_oracle_does_not_know_fails_with_a_next_step(oracle: tuple[Harness, Server]) -> None:
    harness, server = oracle

    result = sim(server, "--invoice", "99", "--amount", "10", "--secret", SECRET.decode())

    assert result.exit_code == 1
    assert "invoice 99 is unknown" in result.output
    assert "--invoice-number" in result.output
    assert count_rows(harness.engine) == (0, 0)


def test_pay_with_an_unknown_invoice_number_is_held(oracle: tuple[Harness, Server]) -> None:
    harness, server = oracle

    result = sim(server, "--invoice-number", "INV-NOPE", "--amount", "10", "--secret", SECRET.decode())

    assert result.exit_code == 0, result.output
    assert "held for review (unknown_invoice)" in result.output
    assert harness.sink.calls == []


def test_pay_with_a_failed_status_is_recorded(oracle: tuple[Harness, Server]) -> None:
    harness, server = oracle

    result = sim(server, "--invoice", "7", "--amount", "10", "--status", "failed", "--secret", SECRET.decode())

    assert result.exit_code == 0, result.output
    assert "recorded" in result.output
    assert harness.sink.calls == []


def test_pay_refuses_a_bad_amount_before_sending_anything(oracle: tuple[Harness, Server]) -> None:
    harness, server = oracle

    result = sim(server, "--invoice", "7", "--amount", "10.001", "--secret", SECRET.decode())

    assert result.exit_code == 2
    assert "--amount" in result.output
    assert "decimal places" in result.output
    assert harness.directory.calls == []
    assert count_rows(harness.engine) == (0, 0)


def test_pay_without_an_invoice_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["bank-sim", "pay", "--amount", "10"])

    assert result.exit_code == 2
    assert "--invoice" in result.output


def test_pay_to_an_oracle_that_is_not_running_says_how_to_start_it() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    result = CliRunner().invoke(
        main, ["bank-sim", "pay", "--oracle", f"http://127.0.0.1:{port}", "--invoice", "7", "--amount", "10"]
    )

    assert result.exit_code == 1
    assert "unreachable" in result.output
    assert "hundi oracle run" in result.output
    assert "make dev" in result.output


def test_bank_sim_has_help() -> None:
    group = CliRunner().invoke(main, ["bank-sim", "--help"])
    pay = CliRunner().invoke(main, ["bank-sim", "pay", "--help"])

    assert group.exit_code == pay.exit_code == 0
    assert "pay" in group.output
    for option in ("--invoice", "--amount", "--oracle", "--secret", "--status", "--transaction-id", "--invoice-number"):
        assert option in pay.output


def test_installed_hundi_command_pays_through_a_real_process(tmp_path: Path) -> None:
    hundi = shutil.which("hundi")
    if hundi is None:
        pytest.skip("the hundi command is not installed in this environment (pip install -e .)")
    databases = Databases("sqlite", tmp_path)
    harness = Harness(databases.new(), clock=time.time)
    harness.directory.add(7, "INV-2025-0042")
    add_invoice_route(harness.app, harness.directory)
    try:
        with Server(harness.app) as server:
            done = subprocess.run(
                [hundi, "bank-sim", "pay", "--oracle", server.url, "--invoice", "7", "--amount", "99.99"],
                env={**os.environ, "HUNDI_BANK_WEBHOOK_SECRET": SECRET.decode()},
                capture_output=True,
                text=True,
                timeout=120,
            )
    finally:
        harness.client.close()
        databases.close()

    assert done.returncode == 0, done.stderr
    assert "reported: invoice 7" in done.stdout
    assert [call["amount"] for call in harness.sink.calls] == [99_990_000]


def test_pay_to_several_oracles_delivers_one_identical_payment_to_each(databases: Databases) -> None:
    """A bank notifies every operator: each node must see the same payment (same id, amount and time) to co-sign."""
    harnesses = [Harness(databases.new(), clock=time.time) for _ in range(2)]
    for harness in harnesses:
        harness.directory.add(7, "INV-2025-0042")
        add_invoice_route(harness.app, harness.directory)
    with Server(harnesses[0].app) as first, Server(harnesses[1].app) as second:
        result = CliRunner().invoke(
            main,
            ["bank-sim", "pay", "--oracle", first.url, "--oracle", second.url, "--invoice", "7", "--amount", "10"],
            env={"HUNDI_BANK_WEBHOOK_SECRET": SECRET.decode()},
            catch_exceptions=False,
        )
    for harness in harnesses:
        harness.client.close()

    assert result.exit_code == 0, result.output
    assert result.output.count("reported") == 2
    (one,), (other,) = (harness.sink.calls for harness in harnesses)
    assert one == other
    assert one["invoice_id"] == 7 and one["amount"] == 10_000_000
