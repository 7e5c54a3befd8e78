"""``hundi gstin``: validate GSTINs and, optionally, look up their registration."""

from __future__ import annotations

import json
from typing import Any

import click

from hundi.gst.gstin import GstinCheck, validate_gstin
from hundi.gst.registry import SandboxGstRegistry, Taxpayer


@click.group(name="gstin", context_settings={"help_option_names": ["-h", "--help"]})
def gstin() -> None:
    """Validate GSTINs (format, state code, PAN, Luhn mod 36 check character)."""


def _registry_text(taxpayer: Taxpayer | None) -> str:
    if taxpayer is None:
        return "not registered"
    text = f"{taxpayer.status} since {taxpayer.registration_date.isoformat()}: {taxpayer.legal_name}"
    if taxpayer.cancellation_date:
        text += f" (cancelled {taxpayer.cancellation_date.isoformat()})"
    return text


def _as_dict(result: GstinCheck, taxpayer: Taxpayer | None, looked_up: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "input": result.input,
        "gstin": result.gstin,
        "valid": result.valid,
        "reasons": list(result.reasons),
        "notes": list(result.notes),
        "stateCode": result.state_code,
        "stateName": result.state_name,
        "pan": result.pan,
    }
    if looked_up:
        out["registration"] = (
            None
            if taxpayer is None
            else {
                "legalName": taxpayer.legal_name,
                "tradeName": taxpayer.trade_name,
                "status": taxpayer.status,
                "registrationDate": taxpayer.registration_date.isoformat(),
                "cancellationDate": taxpayer.cancellation_date.isoformat() if taxpayer.cancellation_date else None,
            }
        )
    return out


@gstin.command("check")
@click.argument("values", nargs=-1, required=True, metavar="GSTIN...")
@click.option(
    "--registry",
    type=click.Choice(["none", "sandbox"]),
    default="none",
    show_default=True,
    help="Also show the registration status from this registry (sandbox: the shipped test taxpayers).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per GSTIN instead of text.")
def check(values: tuple[str, ...], registry: str, as_json: bool) -> None:
    """Say whether each GSTIN is valid and why not. Exits with status 1 if any is invalid."""
    sandbox = SandboxGstRegistry() if registry == "sandbox" else None
    any_invalid = False
    for value in values:
        result = validate_gstin(value)
        any_invalid |= not result.valid
        taxpayer = sandbox.lookup(result.gstin) if sandbox is not None and result.valid else None
        if as_json:
            click.echo(json.dumps(_as_dict(result, taxpayer, sandbox is not None)))
            continue
        if result.valid:
            click.echo(f"{result.gstin}: valid ({result.state_name}; PAN {result.pan}, {result.holder_type})")
        else:
            click.echo(f"{result.gstin if result.gstin else repr(value)}: invalid")
            for reason in result.reasons:
                click.echo(f"  - {reason}")
        for note in result.notes:
            click.echo(f"  note: {note}")
        if sandbox is not None and result.valid:
            click.echo(f"  registry ({registry}): {_registry_text(taxpayer)}")
    if any_invalid:
        raise SystemExit(1)
