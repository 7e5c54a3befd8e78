"""`hundi indexer`: mirror a deployment's events into the database and follow the chain."""

from __future__ import annotations

import json
import logging
import signal
import sys
from types import FrameType
from typing import Any

import click
from sqlalchemy import func, select

from backend.db.models import ChainDeployment, ChainEvent, IndexerCursor
from backend.db.session import make_engine, migrate
from backend.errors import BackendError
from backend.indexer.rpc import ChainReader, JsonRpc
from backend.indexer.store import table_of
from backend.indexer.sync import Indexer
from backend.settings import IndexerSettings
from hundi.chain.deployment import load_deployment
from hundi.chain.errors import ChainError


class _JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def _configure_logging(json_logs: bool, verbose: bool) -> None:
    """Log to stderr, unless the process already configured logging (an embedding application, a test run)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _JsonFormatter() if json_logs else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    for noisy in ("httpx", "httpcore", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _settings(**overrides: Any) -> IndexerSettings:
    settings = IndexerSettings()
    values = {k: v for k, v in overrides.items() if v is not None}
    return IndexerSettings.model_validate({**settings.model_dump(), **values}) if values else settings


@click.group("indexer")
def indexer() -> None:
    """Mirror the chain into the database (SQLite at var/hundi.db, or Postgres through DATABASE_URL)."""


_deployment_option = click.option(
    "--deployment",
    help="deployments/<name>.json by name or path (default: HUNDI_DEPLOYMENT, else 'local').",
)
_database_option = click.option(
    "--database-url", help="SQLAlchemy URL (default: HUNDI_DATABASE_URL or DATABASE_URL, else var/hundi.db)."
)


@indexer.command("run")
@_deployment_option
@_database_option
@click.option("--rpc-url", help="JSON-RPC endpoint (default: HUNDI_RPC_URL, else http://127.0.0.1:8545).")
@click.option("--once", is_flag=True, help="Index up to the current head and exit instead of following it.")
@click.option("--confirmations", type=click.IntRange(min=0), help="Stay this many blocks behind the head.")
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds between full passes when caught up (default 1). The head is also read every 0.05 s on local "
    "chains, so a new block is indexed at once.",
)
@click.option("--json-logs", is_flag=True, help="Log one JSON object per line.")
@click.option("-v", "--verbose", is_flag=True, help="Log every batch.")
def run(
    deployment: str | None,
    database_url: str | None,
    rpc_url: str | None,
    once: bool,
    confirmations: int | None,
    poll_interval: float | None,
    json_logs: bool,
    verbose: bool,
) -> None:
    """Index a deployment from its deployment block, then follow the head (Ctrl-C stops after the current
    batch). The schema is migrated first. Safe to kill at any point: each batch commits with its cursor."""
    _configure_logging(json_logs, verbose)
    settings = _settings(
        database_url=database_url,
        rpc_url=rpc_url,
        deployment=deployment,
        indexer_confirmations=confirmations,
        indexer_poll_interval=poll_interval,
    )
    try:
        target = load_deployment(settings.deployment)
    except ChainError as exc:
        raise click.ClickException(str(exc)) from exc
    log = logging.getLogger("hundi.indexer")
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    with JsonRpc(settings.rpc_url, timeout=settings.indexer_rpc_timeout) as rpc:
        worker = Indexer(target, engine, ChainReader(rpc), settings)

        def stop(signum: int, _frame: FrameType | None) -> None:
            log.info("%s: stopping after the current batch", signal.Signals(signum).name)
            worker.stop()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        log.info(
            "indexing %s (chain %d, from block %d) into %s; %d confirmations",
            target.name,
            target.chainId,
            target.deployedAt,
            engine.url.render_as_string(hide_password=True),
            worker.confirmations,
        )
        try:
            stats = worker.run(once=once)
        except BackendError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            engine.dispose()
    log.info("stopped: %d events in %d batches, %d reorgs", stats.events, stats.batches, stats.reorgs)


@indexer.command("status")
@_database_option
def status(database_url: str | None) -> None:
    """Print each indexed deployment with its cursor and event count."""
    settings = _settings(database_url=database_url)
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    deployments, cursors, events = table_of(ChainDeployment), table_of(IndexerCursor), table_of(ChainEvent)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(
                    deployments.c.name,
                    deployments.c.chain_id,
                    deployments.c.invoice_token,
                    cursors.c.last_block,
                    cursors.c.updated_at,
                    select(func.count())
                    .select_from(events)
                    .where(events.c.deployment_id == deployments.c.id)
                    .scalar_subquery()
                    .label("events"),
                ).join(cursors, cursors.c.deployment_id == deployments.c.id)
            ).all()
    finally:
        engine.dispose()
    if not rows:
        click.echo("nothing indexed yet")
    for row in rows:
        click.echo(
            f"{row.name:12} chain {row.chain_id:<8} token {row.invoice_token}  block {row.last_block:>10,}  "
            f"{row.events:>10,} events  (updated {row.updated_at})"
        )
