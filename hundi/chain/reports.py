"""EIP-712 oracle reports: the types OracleHub verifies, and the signing helpers the oracle and tests share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

DOMAIN_NAME = "Hundi OracleHub"
DOMAIN_VERSION = "1"

# Field order and types must match the Solidity typehashes in OracleHub.sol exactly.
VERIFICATION_TYPE = [
    {"name": "invoiceId", "type": "uint256"},
    {"name": "docDigest", "type": "bytes32"},
    {"name": "approved", "type": "bool"},
    {"name": "riskScore", "type": "uint8"},
    {"name": "checks", "type": "uint16"},
    {"name": "deadline", "type": "uint64"},
    {"name": "nonce", "type": "uint256"},
]
REPAYMENT_TYPE = [
    {"name": "invoiceId", "type": "uint256"},
    {"name": "amount", "type": "uint128"},
    {"name": "bankRef", "type": "bytes32"},
    {"name": "paidAt", "type": "uint64"},
    {"name": "deadline", "type": "uint64"},
    {"name": "nonce", "type": "uint256"},
]


@dataclass(frozen=True)
class Verification:
    """An oracle verdict on a minted invoice. `checks` uses the bits of CONTRACTS.md."""

    invoiceId: int
    docDigest: bytes
    approved: bool
    riskScore: int
    checks: int
    deadline: int
    nonce: int

    def as_tuple(self) -> tuple[Any, ...]:
        """The ABI tuple for `submitVerification`."""
        return tuple(asdict(self).values())


@dataclass(frozen=True)
class Repayment:
    """A bank repayment observed by the oracle. `bankRef` identifies the bank transaction."""

    invoiceId: int
    amount: int
    bankRef: bytes
    paidAt: int
    deadline: int
    nonce: int

    def as_tuple(self) -> tuple[Any, ...]:
        """The ABI tuple for `settleRepayment`."""
        return tuple(asdict(self).values())


def report_domain(chain_id: int, hub_address: str) -> dict[str, Any]:
    """The EIP-712 domain of an OracleHub deployment."""
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": hub_address,
    }


def _typed(report: Verification | Repayment, domain: dict[str, Any]) -> dict[str, Any]:
    if isinstance(report, Verification):
        primary, fields = "Verification", VERIFICATION_TYPE
    else:
        primary, fields = "Repayment", REPAYMENT_TYPE
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            primary: fields,
        },
        "primaryType": primary,
        "domain": domain,
        "message": asdict(report),
    }


def typed_data(report: Verification | Repayment, domain: dict[str, Any]) -> dict[str, Any]:
    """The full EIP-712 typed-data document of a report (what a wallet or `eth_signTypedData_v4` signs)."""
    return _typed(report, domain)


def report_digest(report: Verification | Repayment, domain: dict[str, Any]) -> bytes:
    """The EIP-712 digest of a report: its on-chain reportId."""
    signable = encode_typed_data(full_message=_typed(report, domain))
    # EIP-191 version 0x01: keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message))
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def verification_digest(report: Verification, domain: dict[str, Any]) -> bytes:
    """reportId of a Verification."""
    return report_digest(report, domain)


def repayment_digest(report: Repayment, domain: dict[str, Any]) -> bytes:
    """reportId of a Repayment."""
    return report_digest(report, domain)


def sign_report(report: Verification | Repayment, domain: dict[str, Any], private_key: bytes | str) -> bytes:
    """One operator's 65-byte signature (r ‖ s ‖ v) over a report."""
    signed = Account.sign_typed_data(private_key, full_message=_typed(report, domain))
    return bytes(signed.signature)


def recover_signer(report: Verification | Repayment, domain: dict[str, Any], signature: bytes) -> str:
    """The address that made `signature` over `report`."""
    signable = encode_typed_data(full_message=_typed(report, domain))
    return str(Account.recover_message(signable, signature=signature))


def sorted_signatures(
    report: Verification | Repayment, domain: dict[str, Any], signatures: Iterable[bytes]
) -> list[bytes]:
    """Signatures ordered by signer address, ascending, as OracleHub requires."""
    sigs = list(signatures)
    return sorted(sigs, key=lambda s: int(recover_signer(report, domain, s), 16))


def sign_all(
    report: Verification | Repayment, domain: dict[str, Any], private_keys: Sequence[bytes | str]
) -> list[bytes]:
    """Sign with every key and return the signatures in the order OracleHub requires."""
    return sorted_signatures(report, domain, (sign_report(report, domain, k) for k in private_keys))
