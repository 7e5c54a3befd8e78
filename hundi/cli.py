"""The ``hundi`` command line: one click group; each subpackage contributes its own commands."""

from __future__ import annotations

import importlib

import click

# (module, attribute) of each subcommand. Imported lazily so that `hundi --help` stays fast and a
# command's heavy dependencies (ape, OpenCV, ...) load only when that command runs.
_COMMANDS: dict[str, tuple[str, str]] = {
    "deploy": ("hundi.chain.cli", "deploy"),
    "doctor": ("hundi.doctor", "doctor"),
    "doc": ("hundi.documents.cli", "doc"),
    "ocr": ("hundi.ocr.cli", "ocr"),
    "gstin": ("hundi.gst.cli", "gstin"),
    "indexer": ("backend.indexer.cli", "indexer"),
    "api": ("backend.api.cli", "api"),
    "oracle": ("oracle.cli", "oracle"),
    "bank-sim": ("oracle.bank.sim", "bank_sim"),
    "dev": ("hundi.devstack.cli", "dev"),
}

_HELP: dict[str, str] = {
    "deploy": "Deploy the full Hundi system and write deployments/<name>.json.",
    "doctor": "Check the toolchain and services; say what is missing and how to fix it.",
    "doc": "Store and fetch encrypted invoice documents by CID.",
    "ocr": "Extract invoice fields from a PDF or image as JSON.",
    "gstin": "Validate GSTINs.",
    "indexer": "Mirror a deployment's events into the database and follow the chain.",
    "api": "Serve the marketplace HTTP API (and the built dApp) with uvicorn.",
    "oracle": "Run an oracle node: verify invoices, relay bank repayments, keep defaults and payouts.",
    "bank-sim": "Send correctly signed bank webhooks to a local oracle (demos and tests).",
    "dev": "Start the whole local stack: anvil, deployment, demo data, oracle, indexer, API and dApp.",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module = importlib.import_module(target[0])
        command: click.Command = getattr(module, target[1])
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from the table above, so `hundi --help` imports no subcommand module.
        with formatter.section("Commands"):
            formatter.write_dl([(name, _HELP[name]) for name in self.list_commands(ctx)])


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hundi")
def main() -> None:
    """Hundi: invoice financing on-chain. Core tools for SMEs, investors, operators and developers."""
