"""`hundi oracle run`: run one oracle operator node."""

from __future__ import annotations

import logging

import click
from eth_account.signers.local import LocalAccount
from pydantic import ValidationError
from web3 import Web3

from hundi.chain.deployment import Deployment, load_deployment
from hundi.chain.devkeys import dev_account, is_local_chain
from hundi.errors import HundiError
from oracle.errors import ConfigError
from oracle.keys import dev_key_account, load_keystore, raw_key_account, read_passphrase
from oracle.settings import OracleSettings

log = logging.getLogger("hundi.oracle")


def _chain_id(rpc_url: str) -> int:
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10}))
    try:
        return int(w3.eth.chain_id)
    except Exception as exc:
        raise click.ClickException(
            f"no JSON-RPC node answers at {rpc_url} ({type(exc).__name__}); start one (`make dev`) or pass --rpc-url"
        ) from exc


def _signer(settings: OracleSettings, account: str | None, dev: int | None, chain_id: int) -> LocalAccount:
    if account is not None:
        password = settings.oracle_keystore_password.get_secret_value() if settings.oracle_keystore_password else None
        return load_keystore(account, read_passphrase(password, settings.oracle_keystore_password_file))
    if dev is not None:
        return dev_key_account(dev, chain_id)
    if settings.oracle_private_key is not None:
        return raw_key_account(
            settings.oracle_private_key.get_secret_value(), chain_id, what="HUNDI_ORACLE_PRIVATE_KEY"
        )
    raise ConfigError(
        "no signer key: pass --account <ape alias | keystore.json> (passphrase from HUNDI_ORACLE_KEYSTORE_PASSWORD_FILE"
        " or HUNDI_ORACLE_KEYSTORE_PASSWORD); on a local chain --dev-account N also works"
    )


def _collector(
    settings: OracleSettings, deployment: Deployment, collector: str | None, dev: int | None, chain_id: int
) -> LocalAccount | None:
    choice = collector if collector is not None else settings.oracle_collector
    if choice is not None and choice.lower() == "none":
        return None
    if choice is not None:
        password = settings.oracle_keystore_password.get_secret_value() if settings.oracle_keystore_password else None
        return load_keystore(choice, read_passphrase(password, settings.oracle_keystore_password_file))
    if dev is not None:
        return dev_key_account(dev, chain_id)
    if settings.oracle_collector_private_key is not None:
        key = settings.oracle_collector_private_key.get_secret_value()
        return raw_key_account(key, chain_id, what="HUNDI_ORACLE_COLLECTOR_PRIVATE_KEY")
    if is_local_chain(chain_id):  # the dev account the local deploy gave COLLECTOR_ROLE, if any
        holders = set(deployment.roles.get("RepaymentDistributor", {}).get("COLLECTOR_ROLE", []))
        for index in range(20):
            if dev_account(index).address in holders:
                return dev_account(index)
    log.warning("no collector account: this node signs bank repayments but cannot settle them (--collector)")
    return None


@click.group("oracle")
def oracle() -> None:
    """Run an oracle operator node (verification and bank repayment reports, k-of-n signatures, keepers)."""


@oracle.command("run")
@click.option(
    "--deployment",
    "deployment_name",
    default=None,
    help="deployments/<name>.json or its name. Default: $HUNDI_DEPLOYMENT, else 'local'.",
)
@click.option("--account", default=None, help="Signer key: an ape account alias or an eth-account keystore JSON path.")
@click.option("--dev-account", type=click.IntRange(0, 99), default=None, help="Signer = dev account N (local chains).")
@click.option(
    "--peers", default=None, help="Other operators' base URLs, comma-separated. Default: $HUNDI_ORACLE_PEERS."
)
@click.option("--rpc-url", default=None, help="JSON-RPC endpoint. Default: $HUNDI_RPC_URL, else 127.0.0.1:8545.")
@click.option("--host", default=None, help="Listen address. Default: $HUNDI_ORACLE_HOST, else 127.0.0.1.")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Listen port. Default 8100.")
@click.option(
    "--collector",
    default=None,
    help="Account settling bank repayments (alias or keystore; 'none' disables). Local default: the dev account "
    "holding COLLECTOR_ROLE.",
)
@click.option("--collector-dev-account", type=click.IntRange(0, 99), default=None, help="Collector = dev account N.")
@click.option(
    "--database-url",
    default=None,
    help="Oracle DB. Default: $HUNDI_ORACLE_DATABASE_URL, $DATABASE_URL, else SQLite var/oracle.db.",
)
@click.option(
    "--document-store",
    type=click.Choice(["local", "ipfs"]),
    default="local",
    show_default=True,
    help="Where documents are fetched: $HUNDI_DOCS_DIR (local) or $HUNDI_IPFS_API (ipfs).",
)
@click.option("--log-level", default="INFO", show_default=True, help="DEBUG, INFO, WARNING or ERROR.")
def run(
    deployment_name: str | None,
    account: str | None,
    dev_account: int | None,
    peers: str | None,
    rpc_url: str | None,
    host: str | None,
    port: int | None,
    collector: str | None,
    collector_dev_account: int | None,
    database_url: str | None,
    document_store: str,
    log_level: str,
) -> None:
    """Watch a deployment, verify minted invoices, relay bank repayments and run the keepers. Logs are JSON lines
    on stderr; HTTP on --host:--port serves /healthz, /metrics, /oracle/v1/status and the bank webhook.

    Keys come from an encrypted keystore (--account); raw keys (--dev-account, HUNDI_ORACLE_PRIVATE_KEY) only work
    on a local chain."""
    from oracle.logging import configure_logging

    configure_logging(log_level)
    overrides: dict[str, object] = {}
    for key, value in (
        ("deployment", deployment_name),
        ("oracle_peers", peers),
        ("rpc_url", rpc_url),
        ("oracle_host", host),
        ("oracle_port", port),
        ("database_url", database_url),
    ):
        if value is not None:
            overrides[key] = value
    try:
        settings = OracleSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        raise click.ClickException(f"invalid setting {first['loc']}: {first['msg']}") from exc
    try:
        deployment = load_deployment(settings.deployment)
        chain_id = _chain_id(settings.rpc_url)
        settings.check_for_chain(chain_id)
        signer = _signer(settings, account, dev_account, chain_id)
        collecting = _collector(settings, deployment, collector, collector_dev_account, chain_id)
        from oracle.service import Accounts, OracleService

        service = OracleService(settings, deployment, Accounts(signer, collecting), document_store=document_store)
    except HundiError as exc:
        raise click.ClickException(str(exc)) from exc
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"oracle {signer.address} on chain {chain_id}: http://{settings.oracle_host}:{settings.oracle_port} "
        f"(Ctrl-C stops)",
        err=True,
    )
    service.serve(settings.oracle_host, settings.oracle_port)
