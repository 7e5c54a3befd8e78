"""`hundi dev`: the whole local stack in one command, and `hundi dev seed` for the demo data alone."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import click

from hundi.devstack.stack import SERVICES, Stack, StackConfig, wallet_lines
from hundi.errors import HundiError


def _banner(stack: Stack) -> None:
    """The URLs, the demo wallets and the seeded invoices, once everything is up."""
    from hundi.devstack.seed import SeedResult, summary_table
    from hundi.devstack.stack import _shown

    c = stack.config
    echo = click.echo
    echo("")
    echo(click.style("Hundi is running locally. Ctrl-C stops every process it started.", bold=True))
    echo("")
    rows: list[tuple[str, str]] = []
    if "api" in c.services:
        rows.append(("dApp + API", f"{c.api_url}   (API docs: {c.api_url}/docs)"))
    for i in range(stack.oracle_nodes):
        rows.append((f"oracle node {i + 1}", f"{c.oracle_url(i)}   (/healthz, /metrics, /oracle/v1/status)"))
    rows.append(("chain (anvil)", f"{c.rpc_url}   chain id 31337"))
    rows.append(("deployment", _shown(c.deployment_file)))
    rows.append(("logs", f"{_shown(c.log_dir)}/"))
    for label, value in rows:
        echo(f"  {label:<15} {value}")
    if stack.oracle_nodes:
        echo(f"  oracle operator token (this run only): {stack.admin_token}")
    echo("")
    echo(
        click.style("Demo wallets", bold=True)
        + ": anvil's PUBLIC TEST KEYS. Everyone knows them: import them into a wallet for this local chain only,"
    )
    echo("never use them or send anything of value to them on a real network.")
    for line in wallet_lines():
        echo(line)
    if isinstance(stack.seeded, SeedResult):
        echo("")
        echo(click.style("Seeded invoices", bold=True) + " (amounts in rupees):")
        for line in summary_table(stack.seeded):
            echo(f"  {line}")
        funded = stack.seeded.invoices.get("funded")
        if funded is not None and stack.oracle_nodes:
            echo("")
            echo("Try a bank repayment through the oracle (the buyer pays the platform's bank account):")
            amount = f"{Decimal(funded.face_value).scaleb(-6):.2f}"
            # A bank notifies every operator: each must see the payment itself before it co-signs the report.
            where = "".join(f" --oracle {c.oracle_url(i)}" for i in range(stack.oracle_nodes))
            echo(f"  hundi bank-sim pay --invoice {funded.invoice_id} --amount {amount}{where}")
    echo("")


@click.group("dev", invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface every service listens on.")
@click.option("--rpc-port", type=click.IntRange(1, 65535), default=8545, show_default=True, help="anvil's port.")
@click.option("--api-port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The API and dApp.")
@click.option(
    "--oracle-port",
    type=click.IntRange(1, 65535),
    default=8100,
    show_default=True,
    help="First oracle node; node n listens on this port + n - 1.",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where this run keeps its databases, documents and logs (default var/dev; emptied at start).",
)
@click.option(
    "--deployment-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The deployment file to write (default deployments/local.json).",
)
@click.option(
    "--without",
    type=click.Choice(SERVICES),
    multiple=True,
    help="Leave a service out (repeatable), e.g. --without oracle.",
)
@click.option("--no-seed", is_flag=True, help="Deploy only: no demo wallets funded, no invoices.")
@click.option(
    "--ready-timeout",
    type=click.FloatRange(min=1),
    default=90.0,
    show_default=True,
    help="Seconds each service may take to become ready.",
)
@click.pass_context
def dev(
    ctx: click.Context,
    host: str,
    rpc_port: int,
    api_port: int,
    oracle_port: int,
    state_dir: Path | None,
    deployment_file: Path | None,
    without: tuple[str, ...],
    no_seed: bool,
    ready_timeout: float,
) -> None:
    """Start the whole local stack: anvil, deployment, demo data, oracle nodes, indexer, and the API serving the
    dApp at http://127.0.0.1:8000. Prints the URLs and the demo wallets; Ctrl-C stops everything.

    Every run starts fresh: a new chain, a new deployments/local.json, and new databases, documents and logs in
    var/dev/ (logs in var/dev/logs/<service>.log).
    """
    if ctx.invoked_subcommand is not None:
        return
    config = StackConfig(
        host=host,
        rpc_port=rpc_port,
        api_port=api_port,
        oracle_port=oracle_port,
        services=tuple(s for s in SERVICES if s not in without),
        seed=not no_seed,
        ready_timeout=ready_timeout,
    )
    if state_dir is not None:
        config.state_dir = state_dir.resolve()
    if deployment_file is not None:
        config.deployment_file = deployment_file.resolve()
    stack = Stack(config, click.echo)
    try:
        stack.preflight()
    except HundiError as exc:
        click.echo(f"hundi dev: {exc}", err=True)
        sys.exit(1)
    try:
        code = stack.run(banner=_banner)
    except HundiError as exc:
        click.echo(f"\nhundi dev: {exc}", err=True)
        click.echo("hundi dev: stopped every service it had started.", err=True)
        sys.exit(1)
    click.echo("hundi dev: stopped.")
    sys.exit(code)


@dev.command("seed")
@click.option("--rpc-url", default="http://127.0.0.1:8545", show_default=True, help="The local chain's JSON-RPC URL.")
@click.option(
    "--deployment",
    default="local",
    show_default=True,
    help="deployments/<name>.json by name, or a path to a deployment file.",
)
@click.option(
    "--docs-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the encrypted invoice documents go (default HUNDI_DOCS_DIR, else var/docs).",
)
def seed_command(rpc_url: str, deployment: str, docs_dir: Path | None) -> None:
    """Seed the demo world into an existing local deployment: KYC'd SMEs and investors with stablecoin, and
    invoices in every status (the chain travels forward in time for the defaulted one).

    Documents are encrypted with HUNDI_DOCUMENT_KEY, else the public local development key. Use this on a fresh
    deployment; `hundi dev` runs it for you.
    """
    from web3 import Web3

    from hundi.chain.deployment import load_deployment
    from hundi.devstack.seed import seed, summary_table
    from hundi.devstack.stack import document_key
    from hundi.documents import DocumentVault, LocalStore
    from hundi.documents.crypto import decode_key
    from hundi.documents.settings import DocumentSettings

    try:
        target = load_deployment(deployment)
        w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 60}))
        if not w3.is_connected():
            raise click.ClickException(
                f"no node answers at {rpc_url}; start one (`hundi dev` or anvil) or fix --rpc-url"
            )
        if w3.eth.chain_id != target.chainId:
            raise click.ClickException(
                f"the node at {rpc_url} serves chain {w3.eth.chain_id} but {deployment} is for chain {target.chainId}"
            )
        folder = docs_dir or DocumentSettings().local_docs_dir()
        vault = DocumentVault(LocalStore(folder), decode_key(document_key()))
        result = seed(w3, target, vault, progress=lambda line: click.echo(f"seed: {line}"))
    except HundiError as exc:
        raise click.ClickException(
            f"{exc}\nnext: deploy afresh (`hundi deploy --rpc-url {rpc_url}`) and retry"
        ) from exc
    for line in summary_table(result):
        click.echo(line)
