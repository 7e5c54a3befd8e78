"""`ape run deploy --network ethereum:local:foundry`: deploy the full system from ape.

Uses the same deployer as `hundi deploy` (hundi.chain.deploy) on the provider ape connected to.
"""

from __future__ import annotations

import click
from ape import chain
from ape.cli import ConnectedProviderCommand

from hundi.chain.deploy import DeployConfig, deploy_system
from hundi.chain.deployment import deployment_path
from hundi.chain.devkeys import dev_account, is_local_chain


@click.command(cls=ConnectedProviderCommand)
@click.option("--name", default="local", show_default=True, help="Writes deployments/<name>.json.")
def cli(name: str) -> None:
    """Deploy Hundi with the local-chain defaults (dev account 0 holds the roles; dev accounts 7-9 sign, 2 of 3)."""
    w3 = chain.provider.web3
    if not is_local_chain(w3.eth.chain_id):
        raise click.ClickException("use `hundi deploy --keystore ...` for non-local networks")
    out = deployment_path(name)
    deployment = deploy_system(
        w3, dev_account(0), DeployConfig.local_defaults(), name=name, out=out, progress=click.echo
    )
    for contract, entry in deployment.contracts.items():
        click.echo(f"{contract:22} {entry.address}")
