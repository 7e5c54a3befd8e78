"""Deploy the whole Hundi system, wire its roles, and write `deployments/<name>.json`.

One implementation serves `hundi deploy`, `ape run deploy` and the test suites, so what the tests exercise is what
operators run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from hundi.chain.artifacts import Artifact, load_artifacts
from hundi.chain.deployment import ContractEntry, Deployment
from hundi.chain.devkeys import dev_account, is_local_chain
from hundi.chain.errors import DeploymentError

log = logging.getLogger(__name__)

ROLE_NAMES = ("DEFAULT_ADMIN_ROLE", "KYC_OFFICER_ROLE", "PAUSER_ROLE", "COLLECTOR_ROLE", "MODULE_ROLE")
ZERO_ROLE = b"\x00" * 32


@dataclass
class DeployConfig:
    """Who holds what, and the economic parameters. `local_defaults` fills in the dev-chain defaults."""

    admin: str
    kyc_officer: str
    pauser: str
    collector: str
    treasury: str
    signers: Sequence[str]
    threshold: int
    fee_bps: int = 100
    yield_fee_bps: int = 1000
    grace_period: int = 30 * 86400
    asset: str | None = None  # None: deploy MockStablecoin (local chains only)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def local_defaults(cls) -> DeployConfig:
        """Dev account 0 holds every role and the treasury; dev accounts 7, 8, 9 sign with threshold 2."""
        a0 = dev_account(0).address
        return cls(
            admin=a0,
            kyc_officer=a0,
            pauser=a0,
            collector=a0,
            treasury=a0,
            signers=[dev_account(i).address for i in (7, 8, 9)],
            threshold=2,
        )


def create_address(sender: str, nonce: int) -> str:
    """The address of the contract `sender` creates with `nonce`: keccak256(rlp([sender, nonce]))[12:]."""

    def rlp_int(n: int) -> bytes:
        if n == 0:
            return b"\x80"
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return raw if len(raw) == 1 and raw[0] < 0x80 else bytes([0x80 + len(raw)]) + raw

    payload = b"\x94" + bytes.fromhex(sender[2:]) + rlp_int(nonce)
    return to_checksum_address(keccak(bytes([0xC0 + len(payload)]) + payload)[12:])


class _Sender:
    """Signs and sends the deployer's transactions with explicit nonces; waits for each receipt."""

    def __init__(self, w3: Web3, account: LocalAccount, progress: Callable[[str], None]) -> None:
        self.w3 = w3
        self.account = account
        self.nonce: int = int(w3.eth.get_transaction_count(account.address, "pending"))
        self.chain_id = w3.eth.chain_id
        self.progress = progress
        self.first_block: int | None = None

    def _send(self, tx: dict[str, Any], what: str) -> TxReceipt:
        base_fee = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        tip = 10**9
        tx.pop("gasPrice", None)  # some providers pre-fill a legacy price; this sends EIP-1559 transactions
        tx.update(
            {
                "from": self.account.address,
                "nonce": self.nonce,
                "chainId": self.chain_id,
                "maxPriorityFeePerGas": tip,
                "maxFeePerGas": 2 * base_fee + tip,
            }
        )
        if "gas" not in tx:
            tx["gas"] = int(self.w3.eth.estimate_gas(tx) * 1.2) + 10_000  # type: ignore[arg-type]
        signed = self.account.sign_transaction(tx)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
        if receipt["status"] != 1:
            raise DeploymentError(f"{what} reverted in transaction {tx_hash.hex()}")
        self.nonce += 1
        if self.first_block is None:
            self.first_block = int(receipt["blockNumber"])
        self.progress(f"  {what} (gas {receipt['gasUsed']:,})")
        return receipt

    def deploy(self, art: Artifact, *args: Any) -> str:
        expected = create_address(self.account.address, self.nonce)
        ctor = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor(*args)
        receipt = self._send(dict(ctor.build_transaction({"from": self.account.address})), f"deployed {art.name}")
        created = receipt["contractAddress"]
        if created is None:
            raise DeploymentError(f"deploying {art.name} created no contract")
        address = to_checksum_address(created)
        if address != expected:  # the wiring below relies on predicted addresses
            raise DeploymentError(f"{art.name} landed at {address}, expected {expected}: was the nonce reused?")
        return address

    def call(self, fn: ContractFunction, what: str) -> TxReceipt:
        return self._send(dict(fn.build_transaction({"from": self.account.address})), what)


def deploy_system(
    w3: Web3,
    deployer: LocalAccount,
    config: DeployConfig,
    *,
    name: str,
    out: Path | None = None,
    progress: Callable[[str], None] = log.info,
) -> Deployment:
    """Deploy and wire the system; write the deployment file to `out` when given.

    Raises:
        DeploymentError: a transaction reverted, the config is unusable, or a MockStablecoin was asked for on a
            chain that is not local.
    """
    chain_id = w3.eth.chain_id
    if config.asset is None and not is_local_chain(chain_id):
        raise DeploymentError("a MockStablecoin is for local chains only; pass the settlement asset with --asset")
    if not 1 <= config.threshold <= len(config.signers):
        raise DeploymentError(f"threshold {config.threshold} must be between 1 and {len(config.signers)} signers")
    arts = load_artifacts()
    for needed in (
        "KycRegistry",
        "InvoiceToken",
        "OracleHub",
        "InvoiceShares",
        "RepaymentDistributor",
        "FundingEscrow",
        "MockStablecoin",
    ):
        if needed not in arts:
            raise DeploymentError(f"{needed} is missing from the compile output; run `ape compile --force`")

    tx = _Sender(w3, deployer, progress)
    me = deployer.address
    progress(f"deploying Hundi to chain {chain_id} from {me}")
    asset = config.asset or tx.deploy(arts["MockStablecoin"])
    n = tx.nonce
    predicted = {
        c: create_address(me, n + i)
        for i, c in enumerate(
            ("KycRegistry", "InvoiceToken", "OracleHub", "InvoiceShares", "RepaymentDistributor", "FundingEscrow")
        )
    }
    p = predicted
    tx.deploy(arts["KycRegistry"], me)
    tx.deploy(arts["InvoiceToken"], me, p["KycRegistry"], p["FundingEscrow"])
    tx.deploy(arts["OracleHub"], me, p["InvoiceToken"], p["RepaymentDistributor"])
    tx.deploy(arts["InvoiceShares"], me, p["KycRegistry"], p["FundingEscrow"], p["RepaymentDistributor"])
    tx.deploy(
        arts["RepaymentDistributor"],
        me,
        asset,
        p["InvoiceToken"],
        p["InvoiceShares"],
        p["OracleHub"],
        p["FundingEscrow"],
        config.treasury,
        config.yield_fee_bps,
        config.grace_period,
    )
    tx.deploy(
        arts["FundingEscrow"],
        me,
        asset,
        p["InvoiceToken"],
        p["InvoiceShares"],
        p["RepaymentDistributor"],
        p["KycRegistry"],
        config.treasury,
        config.fee_bps,
    )

    c = {k: w3.eth.contract(address=to_checksum_address(v), abi=arts[k].abi) for k, v in p.items()}
    role = {r: keccak(text=r) for r in ROLE_NAMES if r != "DEFAULT_ADMIN_ROLE"}
    role["DEFAULT_ADMIN_ROLE"] = ZERO_ROLE
    grants: list[tuple[str, str, str]] = [
        ("KycRegistry", "KYC_OFFICER_ROLE", config.kyc_officer),
        ("InvoiceToken", "MODULE_ROLE", p["OracleHub"]),
        ("InvoiceToken", "MODULE_ROLE", p["FundingEscrow"]),
        ("InvoiceToken", "MODULE_ROLE", p["RepaymentDistributor"]),
        ("RepaymentDistributor", "COLLECTOR_ROLE", config.collector),
    ]
    grants += [(k, "PAUSER_ROLE", config.pauser) for k in p]
    for contract, role_name, holder in grants:
        tx.call(c[contract].functions.grantRole(role[role_name], holder), f"{contract}: {role_name} -> {holder}")
    tx.call(
        c["OracleHub"].functions.setSigners(list(config.signers), config.threshold),
        f"OracleHub: {config.threshold}-of-{len(config.signers)} signers",
    )
    if to_checksum_address(config.admin) != me:
        for k in p:
            tx.call(c[k].functions.grantRole(ZERO_ROLE, config.admin), f"{k}: admin -> {config.admin}")
            tx.call(c[k].functions.renounceRole(ZERO_ROLE, me), f"{k}: deployer renounces admin")

    roles: dict[str, dict[str, list[str]]] = {k: {} for k in p}
    for contract, role_name, holder in [*grants, *((k, "DEFAULT_ADMIN_ROLE", config.admin) for k in p)]:
        roles[contract].setdefault(role_name, []).append(to_checksum_address(holder))
    for k in p:
        roles[k]["TREASURY"] = (
            [to_checksum_address(config.treasury)] if k in ("FundingEscrow", "RepaymentDistributor") else []
        )
    roles["OracleHub"]["SIGNERS"] = [to_checksum_address(s) for s in config.signers]
    roles = {k: {r: h for r, h in v.items() if h} for k, v in roles.items()}

    entries = {k: ContractEntry(address=v, abi=arts[k].abi) for k, v in p.items()}
    entries["Stablecoin"] = ContractEntry(address=to_checksum_address(asset), abi=arts["MockStablecoin"].abi)
    deployment = Deployment(
        name=name,
        chainId=chain_id,
        deployedAt=tx.first_block or w3.eth.block_number,
        deployer=me,
        contracts=entries,
        roles=roles,
        config={
            "feeBps": config.fee_bps,
            "yieldFeeBps": config.yield_fee_bps,
            "gracePeriod": config.grace_period,
            "threshold": config.threshold,
            "mockStablecoin": config.asset is None,
        },
    )
    if out is not None:
        deployment.save(out)
        progress(f"wrote {out}")
    return deployment
