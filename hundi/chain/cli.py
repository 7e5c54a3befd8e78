"""`hundi deploy`: deploy the full system to any EVM JSON-RPC endpoint."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from pathlib import Path

import click
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from hundi.chain.artifacts import build_manifest_path
from hundi.chain.deploy import DeployConfig, deploy_system
from hundi.chain.deployment import deployment_path
from hundi.chain.devkeys import dev_account, is_local_chain
from hundi.chain.errors import ChainError
from hundi.paths import project_root


def _ensure_compiled() -> None:
    """Compile when there is no compile output or a contract source is newer than it."""
    manifest = build_manifest_path()
    root = project_root()
    sources = list((root / "contracts").rglob("*.sol"))
    if manifest.is_file() and all(s.stat().st_mtime <= manifest.stat().st_mtime for s in sources):
        return
    click.echo("compiling contracts (ape compile) ...", err=True)
    result = subprocess.run(["ape", "compile"], cwd=root, capture_output=True, text=True, check=False)  # noqa: S607
    if result.returncode != 0:
        raise click.ClickException(
            f"`ape compile` failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}\n"
            "Run `make bootstrap` if the toolchain is missing, or `hundi doctor` to see what is."
        )


def _load_keystore(path: Path) -> LocalAccount:
    password = os.environ.get("HUNDI_KEYSTORE_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise click.ClickException("set HUNDI_KEYSTORE_PASSWORD to unlock the keystore non-interactively")
        password = getpass.getpass(f"passphrase for {path}: ")
    try:
        key = Account.decrypt(json.loads(path.read_text()), password)
    except (ValueError, OSError) as exc:
        raise click.ClickException(f"cannot unlock keystore {path}: {exc}") from exc
    account: LocalAccount = Account.from_key(key)
    return account


@click.command("deploy")
@click.option("--rpc-url", required=True, help="JSON-RPC endpoint, e.g. http://127.0.0.1:8545.")
@click.option("--name", default="local", show_default=True, help="Deployment name: writes deployments/<name>.json.")
@click.option(
    "--keystore",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Deployer keystore JSON (passphrase from HUNDI_KEYSTORE_PASSWORD or a prompt). Local chains default to dev "
    "account 0.",
)
@click.option("--asset", help="Settlement ERC-20 address. Local chains default to a fresh MockStablecoin.")
@click.option("--admin", help="DEFAULT_ADMIN holder (a multisig or timelock in production).")
@click.option("--kyc-officer", help="KYC_OFFICER_ROLE holder.")
@click.option("--pauser", help="PAUSER_ROLE holder.")
@click.option("--collector", help="COLLECTOR_ROLE holder (submits bank repayments).")
@click.option("--treasury", help="Treasury address receiving fees.")
@click.option("--signer", "signers", multiple=True, help="Oracle signer address (repeat). Local: dev accounts 7, 8, 9.")
@click.option("--threshold", type=int, help="Signatures needed per report. Local default 2.")
@click.option("--fee-bps", type=click.IntRange(0, 500), default=100, show_default=True, help="Advance fee.")
@click.option("--yield-fee-bps", type=click.IntRange(0, 2000), default=1000, show_default=True, help="Yield fee.")
@click.option("--grace-days", type=click.IntRange(0, 365), default=30, show_default=True, help="Grace after due date.")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default deployments/<name>.json)."
)
def deploy(
    rpc_url: str,
    name: str,
    keystore: Path | None,
    asset: str | None,
    admin: str | None,
    kyc_officer: str | None,
    pauser: str | None,
    collector: str | None,
    treasury: str | None,
    signers: tuple[str, ...],
    threshold: int | None,
    fee_bps: int,
    yield_fee_bps: int,
    grace_days: int,
    out: Path | None,
) -> None:
    """Deploy KycRegistry, InvoiceToken, OracleHub, InvoiceShares, RepaymentDistributor and FundingEscrow, wire
    their roles, and write deployments/<name>.json with the chain id, deployment block, addresses, ABIs and role
    holders."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 60}))
    if not w3.is_connected():
        raise click.ClickException(f"no JSON-RPC node answers at {rpc_url}; start one (e.g. `make dev` or anvil)")
    chain_id = w3.eth.chain_id
    local = is_local_chain(chain_id)
    if keystore is not None:
        deployer = _load_keystore(keystore)
    elif local:
        deployer = dev_account(0)
    else:
        raise click.ClickException(f"chain {chain_id} is not a local chain: pass --keystore with the deployer key")

    if local:
        config = DeployConfig.local_defaults()
    else:
        missing = [o for o, v in (("--asset", asset), ("--treasury", treasury), ("--signer", signers)) if not v]
        if missing:
            raise click.ClickException(f"on a public chain these are required: {', '.join(missing)}")
        me = deployer.address
        config = DeployConfig(me, me, me, me, treasury or me, list(signers), threshold or len(signers))
    for attr, value in (
        ("admin", admin),
        ("kyc_officer", kyc_officer),
        ("pauser", pauser),
        ("collector", collector),
        ("treasury", treasury),
        ("asset", asset),
    ):
        if value:
            setattr(config, attr, Web3.to_checksum_address(value))
    if signers:
        config.signers = [Web3.to_checksum_address(s) for s in signers]
        config.threshold = threshold or len(signers)
    elif threshold:
        config.threshold = threshold
    config.fee_bps, config.yield_fee_bps, config.grace_period = fee_bps, yield_fee_bps, grace_days * 86400

    _ensure_compiled()
    target = out or deployment_path(name)
    try:
        deployment = deploy_system(
            w3, deployer, config, name=name, out=target, progress=lambda m: click.echo(m, err=True)
        )
    except ChainError as exc:
        raise click.ClickException(str(exc)) from exc
    for contract, entry in deployment.contracts.items():
        click.echo(f"{contract:22} {entry.address}")
    click.echo(f"chain {deployment.chainId}, block {deployment.deployedAt}: wrote {target}")
