"""Contract ABIs and bytecode, read from ape's compile output (never copied by hand)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hundi.chain.errors import ArtifactsMissing
from hundi.paths import project_root

#: The system's contracts, in deployment order.
SYSTEM_CONTRACTS = (
    "KycRegistry",
    "InvoiceToken",
    "OracleHub",
    "InvoiceShares",
    "RepaymentDistributor",
    "FundingEscrow",
)


@dataclass(frozen=True)
class Artifact:
    """One compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str


def build_manifest_path(root: Path | None = None) -> Path:
    """Where ape writes the compile output of the local project."""
    return (root or project_root()) / ".build" / "__local__.json"


def load_artifacts(root: Path | None = None) -> dict[str, Artifact]:
    """Load every compiled contract type.

    Raises:
        ArtifactsMissing: nothing was compiled yet.
    """
    path = build_manifest_path(root)
    if not path.is_file():
        raise ArtifactsMissing(f"no compile output at {path}; run `ape compile` (or `make build`) first")
    manifest = json.loads(path.read_text())
    out: dict[str, Artifact] = {}
    for name, ct in manifest.get("contractTypes", {}).items():
        bytecode = (ct.get("deploymentBytecode") or {}).get("bytecode") or "0x"
        out[name] = Artifact(name=name, abi=ct["abi"], bytecode=bytecode)
    return out


def artifact(name: str, root: Path | None = None) -> Artifact:
    """One compiled contract by name."""
    artifacts = load_artifacts(root)
    if name not in artifacts:
        raise ArtifactsMissing(f"{name} is not in the compile output; run `ape compile --force`")
    return artifacts[name]
