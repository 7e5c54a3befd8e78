"""The oracle's view of the chain: one web3 connection, the deployment's contract handles, raw JSON-RPC (single and
batched, skipping web3's formatters where the oracle reads many values), cached reads, and revert decoding into the
contracts' custom error names."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address
from eth_utils.abi import collapse_if_tuple
from web3 import Web3
from web3.contract import Contract

from hundi.chain.deployment import Deployment, HundiContracts
from hundi.chain.reports import report_domain
from oracle.errors import Reverted, TransactionError

#: Solidity's built-in revert payloads: Error(string) and Panic(uint256).
_ERROR_STRING = bytes.fromhex("08c379a0")
_PANIC = bytes.fromhex("4e487b71")


class RpcFailure(TransactionError):
    """The node answered a JSON-RPC call with an error (other than a revert)."""

    def __init__(self, method: str, message: str, code: int | None = None, data: Any = None) -> None:
        super().__init__(f"{method}: {message}")
        self.method = method
        self.message = message
        self.code = code
        self.data = data


class ErrorDecoder:
    """Maps 4-byte selectors to the custom errors declared in the deployment's ABIs."""

    def __init__(self, deployment: Deployment) -> None:
        self._errors: dict[bytes, tuple[str, list[str]]] = {}
        for entry in deployment.contracts.values():
            for item in entry.abi:
                if item.get("type") != "error":
                    continue
                types = [collapse_if_tuple(i) for i in item.get("inputs", [])]
                selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
                self._errors[selector] = (str(item["name"]), types)

    def decode(self, data: bytes) -> Reverted:
        """The custom error (name and arguments) that `data` encodes; unknown selectors keep their raw hex."""
        raw = "0x" + data.hex()
        if len(data) < 4:
            return Reverted("Reverted" if not data else f"Unknown({raw})", raw=raw)
        selector, body = data[:4], data[4:]
        try:
            if selector == _ERROR_STRING:
                return Reverted(f"Error: {abi_decode(['string'], body)[0]}", raw=raw)
            if selector == _PANIC:
                return Reverted(f"Panic(0x{abi_decode(['uint256'], body)[0]:x})", raw=raw)
            if selector in self._errors:
                name, types = self._errors[selector]
                values = abi_decode(types, body)
                shown = tuple("0x" + v.hex() if isinstance(v, bytes) else v for v in values)
                return Reverted(name, shown, raw=raw)
        except Exception:
            return Reverted(f"Malformed({raw[:10]})", raw=raw)
        return Reverted(f"Unknown({raw[:10]})", raw=raw)


def revert_data(error: Any) -> bytes | None:
    """The revert payload in a JSON-RPC error object, when the node included one."""
    if not isinstance(error, dict):
        return None
    data = error.get("data")
    if isinstance(data, dict):  # some nodes nest it: {"data": {"data": "0x..."}} or {"data": {"result": ...}}
        data = data.get("data") or data.get("result")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None
    message = str(error.get("message", ""))
    return b"" if "revert" in message.lower() else None


@dataclass
class SignerSet:
    """OracleHub's current signers (checksummed) and threshold."""

    signers: tuple[str, ...]
    threshold: int
    version: int


class Chain:
    """Everything the oracle asks the node, over one HTTP connection pool."""

    def __init__(self, rpc_url: str, deployment: Deployment, *, timeout: float = 30.0) -> None:
        self.rpc_url = rpc_url
        self.w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
        self.deployment = deployment
        self.c: HundiContracts = deployment.handles(self.w3)
        self.errors = ErrorDecoder(deployment)
        self.chain_id = int(self.rpc("eth_chainId"), 16)
        self.domain = report_domain(self.chain_id, deployment.address("OracleHub"))
        self._signers: SignerSet | None = None
        self._signers_at = 0.0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ raw JSON-RPC

    def rpc(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One call, raw result.

        Raises:
            Reverted: the call reverted (eth_call, eth_estimateGas), decoded to the custom error.
            RpcFailure: any other error answer.
        """
        reply = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        return self._result(method, reply)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Several calls in one HTTP request; each result in call order (an error answer becomes the exception
        object in its slot, so one failure does not hide the others)."""
        if not calls:
            return []
        replies = self.w3.provider.make_batch_request([(m, list(p)) for m, p in calls])  # type: ignore[attr-defined]
        if not isinstance(replies, list):
            raise RpcFailure(calls[0][0], f"malformed batch reply: {str(replies)[:200]}")
        results: list[Any] = []
        for (method, _), reply in zip(calls, replies, strict=True):  # web3 sorts the replies by request id
            try:
                results.append(self._result(method, reply))
            except (Reverted, RpcFailure) as exc:
                results.append(exc)
        return results

    def _result(self, method: str, reply: Any) -> Any:
        error = reply.get("error") if isinstance(reply, dict) else None
        if error is not None:
            data = revert_data(error)
            if data is not None and method in ("eth_call", "eth_estimateGas"):
                raise self.errors.decode(data)
            if isinstance(error, dict):
                raise RpcFailure(method, str(error.get("message", error)), error.get("code"), error.get("data"))
            raise RpcFailure(method, str(error))
        return reply.get("result") if isinstance(reply, dict) else None

    # ------------------------------------------------------------------ reads

    def head(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)

    def block(self, number: int | str) -> dict[str, Any]:
        tag = hex(number) if isinstance(number, int) else number
        block = self.rpc("eth_getBlockByNumber", [tag, False])
        if block is None:
            raise RpcFailure("eth_getBlockByNumber", f"block {number} is not known yet")
        return dict(block)

    def call(self, to: str, data: str, *, sender: str | None = None, block: str = "latest") -> bytes:
        """eth_call; the raw return bytes (Reverted on a revert)."""
        tx: dict[str, Any] = {"to": to, "data": data}
        if sender:
            tx["from"] = sender
        return bytes.fromhex(str(self.rpc("eth_call", [tx, block]))[2:])

    def signer_set(self, *, max_age: float = 15.0) -> SignerSet:
        """OracleHub.signerSet(), cached for `max_age` seconds (the watcher invalidates it on SignerSetUpdated)."""
        with self._lock:
            if self._signers is None or time.monotonic() - self._signers_at > max_age:
                signers, threshold, version = self.c.hub.functions.signerSet().call()
                self._signers = SignerSet(tuple(to_checksum_address(s) for s in signers), int(threshold), int(version))
                self._signers_at = time.monotonic()
            return self._signers

    def invalidate_signers(self) -> None:
        with self._lock:
            self._signers = None

    def reports_used(self, report_ids: Sequence[str]) -> dict[str, bool]:
        """isReportUsed for several reports in one batch."""
        hub = self.c.hub
        calls = [
            (
                "eth_call",
                [{"to": hub.address, "data": hub.encode_abi("isReportUsed", [bytes.fromhex(r[2:])])}, "latest"],
            )
            for r in report_ids
        ]
        used: dict[str, bool] = {}
        for report_id, result in zip(report_ids, self.batch(calls), strict=True):
            if isinstance(result, Exception):
                raise result
            used[report_id] = int(result, 16) != 0
        return used

    def balance(self, address: str) -> int:
        return int(self.rpc("eth_getBalance", [address, "latest"]), 16)


def contract_call(contract: Contract, fn: str, *args: Any) -> str:
    """The 0x calldata of `contract.fn(*args)`."""
    return str(contract.encode_abi(fn, list(args)))
