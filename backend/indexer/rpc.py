"""A small JSON-RPC client for what the indexer reads: the head, block headers (batched) and logs.

Results stay raw (hex strings, plain dicts): the indexer decodes what it stores itself, and skipping web3's result
formatters is a large part of backfill speed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from backend.errors import RangeTooLarge, RpcError, RpcUnavailable

#: How providers say an eth_getLogs range holds too much: Infura "query returned more than 10000 results",
#: Alchemy "Log response size exceeded ... this block range should work: [0x.., 0x..]", QuickNode and others
#: "eth_getLogs is limited to a 10,000 range" / "block range too large", geth "query timeout exceeded",
#: Erigon and reth "too many logs".
_TOO_MUCH = re.compile(
    r"more than \d+ results|too many|limit exceeded|limited to|response size|size exceeded|too (large|wide|big)"
    r"|exceeds? (the )?(max|limit)|maximum block range|timeout|timed out",
    re.IGNORECASE,
)
_SUGGESTED = re.compile(r"\[\s*(0x[0-9a-fA-F]+)\s*,\s*(0x[0-9a-fA-F]+)\s*\]")


class RpcTimeout(RpcUnavailable):
    """The node did not answer within the timeout."""


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """What the indexer needs of a block: its identity, its parent and its time."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int


class JsonRpc:
    """JSON-RPC 2.0 over HTTP, with batches."""

    def __init__(self, url: str, *, timeout: float = 30.0, max_batch: int = 100) -> None:
        self.url = url
        self.max_batch = max_batch
        self._client = httpx.Client(timeout=timeout, headers={"Content-Type": "application/json"})
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> JsonRpc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, method: str, body: Any) -> Any:
        try:
            response = self._client.post(self.url, json=body)
        except httpx.TimeoutException as exc:
            raise RpcTimeout(method, f"no answer from {self.url} within the timeout") from exc
        except httpx.HTTPError as exc:
            raise RpcUnavailable(method, f"cannot reach {self.url}: {exc}") from exc
        try:
            return response.json()
        except ValueError:
            if response.status_code >= 500 or response.status_code == 429:
                raise RpcUnavailable(method, f"HTTP {response.status_code} from {self.url}") from None
            raise RpcError(method, f"HTTP {response.status_code}: {response.text[:200]}") from None

    @staticmethod
    def _result(method: str, reply: Any) -> Any:
        if not isinstance(reply, dict):
            raise RpcError(method, f"malformed reply: {str(reply)[:200]}")
        error = reply.get("error")
        if error is not None:
            if isinstance(error, dict):
                raise RpcError(method, str(error.get("message", error)), error.get("code"))
            raise RpcError(method, str(error))
        return reply.get("result")

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One call; raises RpcError with the node's message and code."""
        reply = self._post(method, {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)})
        return self._result(method, reply)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Several calls in as few HTTP requests as the batch limit allows; results in call order."""
        results: list[Any] = []
        for start in range(0, len(calls), self.max_batch):
            chunk = calls[start : start + self.max_batch]
            ids = [next(self._ids) for _ in chunk]
            body = [
                {"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
                for i, (m, p) in zip(ids, chunk, strict=True)
            ]
            replies = self._post(chunk[0][0], body)
            if not isinstance(replies, list):  # a node refusing the whole batch answers with one error object
                self._result(chunk[0][0], replies)
                raise RpcError(chunk[0][0], f"malformed batch reply: {str(replies)[:200]}")
            by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
            for i, (method, _) in zip(ids, chunk, strict=True):
                if i not in by_id:
                    raise RpcError(method, "the batch reply lacks an answer")
                results.append(self._result(method, by_id[i]))
        return results


class ChainReader:
    """The chain as the indexer sees it: head, headers and the logs of a set of addresses."""

    def __init__(self, rpc: JsonRpc) -> None:
        self.rpc = rpc

    def chain_id(self) -> int:
        return int(self.rpc.call("eth_chainId"), 16)

    def head(self) -> int:
        return int(self.rpc.call("eth_blockNumber"), 16)

    def headers(self, numbers: Iterable[int]) -> dict[int, BlockHeader]:
        """Headers of `numbers`; blocks past the head are missing from the result."""
        wanted = sorted(set(numbers))
        replies = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in wanted])
        headers: dict[int, BlockHeader] = {}
        for number, block in zip(wanted, replies, strict=True):
            if block is None:
                continue
            headers[number] = BlockHeader(
                number=number,
                hash=str(block["hash"]).lower(),
                parent_hash=str(block["parentHash"]).lower(),
                timestamp=int(block["timestamp"], 16),
            )
        return headers

    def logs(self, start: int, end: int, addresses: Sequence[str]) -> list[dict[str, Any]]:
        """eth_getLogs over [start, end] for `addresses`.

        Raises:
            RangeTooLarge: the node refused the range as too big or timed out on it.
        """
        params = [{"fromBlock": hex(start), "toBlock": hex(end), "address": list(addresses)}]
        try:
            result = self.rpc.call("eth_getLogs", params)
        except RpcTimeout as exc:
            raise RangeTooLarge("eth_getLogs", exc.message) from exc
        except RpcUnavailable:
            raise
        except RpcError as exc:
            if _TOO_MUCH.search(exc.message):
                suggested = _SUGGESTED.search(exc.message)
                raise RangeTooLarge(
                    "eth_getLogs",
                    exc.message,
                    exc.code,
                    (int(suggested.group(1), 16), int(suggested.group(2), 16)) if suggested else None,
                ) from exc
            raise
        if not isinstance(result, list):
            raise RpcError("eth_getLogs", f"expected a list of logs, got {str(result)[:200]}")
        return result
