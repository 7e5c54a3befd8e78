"""Deployment files (`deployments/<name>.json`) and typed contract handles on them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from web3 import Web3
from web3.contract import Contract

from hundi.chain.errors import DeploymentError
from hundi.paths import project_root


class ContractEntry(BaseModel):
    """Address and ABI of one deployed contract."""

    address: str
    abi: list[dict[str, Any]]


class Deployment(BaseModel):
    """What `hundi deploy` writes: enough for any web3 client to drive the system by the names in CONTRACTS.md."""

    name: str
    chainId: int
    deployedAt: int
    deployer: str
    contracts: dict[str, ContractEntry]
    roles: dict[str, dict[str, list[str]]] = Field(default_factory=dict, description="contract -> role name -> holders")
    config: dict[str, Any] = Field(default_factory=dict)

    def address(self, name: str) -> str:
        """Checksummed address of contract `name`."""
        return Web3.to_checksum_address(self._entry(name).address)

    def contract(self, w3: Web3, name: str) -> Contract:
        """A web3 contract handle on `name`."""
        entry = self._entry(name)
        return w3.eth.contract(address=Web3.to_checksum_address(entry.address), abi=entry.abi)

    def handles(self, w3: Web3) -> HundiContracts:
        """Typed handles on every contract of the system."""
        return HundiContracts(
            kyc=self.contract(w3, "KycRegistry"),
            token=self.contract(w3, "InvoiceToken"),
            hub=self.contract(w3, "OracleHub"),
            shares=self.contract(w3, "InvoiceShares"),
            distributor=self.contract(w3, "RepaymentDistributor"),
            escrow=self.contract(w3, "FundingEscrow"),
            stablecoin=self.contract(w3, "Stablecoin"),
        )

    def save(self, path: Path) -> None:
        """Write atomically, so a reader never sees half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.model_dump(), indent=2) + "\n")
        tmp.replace(path)

    def _entry(self, name: str) -> ContractEntry:
        try:
            return self.contracts[name]
        except KeyError:
            raise DeploymentError(
                f"deployment {self.name!r} has no contract {name!r} (it has: {', '.join(sorted(self.contracts))})"
            ) from None


@dataclass(frozen=True)
class HundiContracts:
    """web3 handles on a deployed Hundi system."""

    kyc: Contract
    token: Contract
    hub: Contract
    shares: Contract
    distributor: Contract
    escrow: Contract
    stablecoin: Contract


def deployment_path(name: str, root: Path | None = None) -> Path:
    """`deployments/<name>.json` under the project root."""
    return (root or project_root()) / "deployments" / f"{name}.json"


def load_deployment(name_or_path: str | Path) -> Deployment:
    """Load a deployment by name (`local`) or by path.

    Raises:
        DeploymentError: the file is missing or malformed.
    """
    path = Path(name_or_path)
    if path.suffix != ".json":
        path = deployment_path(str(name_or_path))
    if not path.is_file():
        raise DeploymentError(f"no deployment file at {path}; run `hundi deploy --rpc-url URL --name {path.stem}`")
    try:
        return Deployment.model_validate_json(path.read_text())
    except ValueError as exc:
        raise DeploymentError(f"{path} is not a valid deployment file: {exc}") from exc
