"""Decode raw ``eth_getLogs`` entries with the deployment's ABIs.

Events are looked up by (address, topic0), so two contracts may share an event signature (ERC-721 and ERC-20
``Transfer``) without confusion. Values come out JSON-ready: ints stay ints, addresses, hashes and byte strings
become lowercase 0x-hex, arrays become lists.

Elementary arguments and strings (every event of the six contracts but ``SignerSetUpdated``, whose signer list is
an array) are read straight from the 32-byte words of the hex payload: several times faster than eth_abi, which
decodes the rest. A log that does not decode is kept as an ``Unknown`` event with its raw topics and data, and a
warning: one malformed log must not stop the indexer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import collapse_if_tuple, event_abi_to_log_topic

from hundi.chain.deployment import Deployment

#: The contracts the indexer follows: the six of the system (the stablecoin's transfers are not Hundi events).
INDEXED_CONTRACTS: tuple[str, ...] = (
    "KycRegistry",
    "InvoiceToken",
    "OracleHub",
    "InvoiceShares",
    "RepaymentDistributor",
    "FundingEscrow",
)
UNKNOWN_EVENT = "Unknown"
logger = logging.getLogger(__name__)

# The argument that names the invoice an event is about, by preference: Hundi events say invoiceId, ERC-721 says
# tokenId and ERC-1155 (InvoiceShares: share id = invoice id) says id.
_INVOICE_ARGS = ("invoiceId", "tokenId", "id")
# The argument that names the account an event is about (the investor of an Invested, the seller of a listing...).
_ACCOUNT_ARGS = ("account", "investor", "seller", "payer", "holder", "submitter")
_INT64_MAX = 2**63 - 1

Word = Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class DecodedEvent:
    """One log, decoded: where it is on the chain, which contract and event emitted it, and its arguments."""

    block_number: int
    block_hash: str
    block_timestamp: int
    tx_hash: str
    tx_index: int
    log_index: int
    address: str
    contract: str
    event: str
    args: dict[str, Any]
    invoice_id: int | None
    account: str | None

    @property
    def position(self) -> tuple[int, int]:
        """(block, log index): the order of events on the chain."""
        return self.block_number, self.log_index


def _uint(word: str) -> int:
    return int(word, 16)


def _int(word: str) -> int:
    # Signed ABI integers of every width are sign-extended to the full word.
    value = int(word, 16)
    return value - (1 << 256) if value >= 1 << 255 else value


def _address(word: str) -> str:
    return "0x" + word[24:].lower()


def _bool(word: str) -> bool:
    return int(word, 16) != 0


def _fixed_bytes(size: int) -> Word:
    def convert(word: str) -> str:
        return "0x" + word[: 2 * size].lower()

    return convert


def _hash(word: str) -> str:
    """An indexed dynamic value: the topic holds only its keccak256."""
    return "0x" + word.lower()


def _word_decoder(abi_type: str) -> Word | None:
    """How to read one static elementary ABI type from its 32-byte word; None for dynamic or composite types."""
    if abi_type.startswith("uint"):
        return _uint
    if abi_type.startswith("int"):
        return _int
    if abi_type == "address":
        return _address
    if abi_type == "bool":
        return _bool
    if abi_type.startswith("bytes") and abi_type[5:].isdigit():
        return _fixed_bytes(int(abi_type[5:]))
    return None


Reader = Callable[[str, int], Any]  # (hex payload without 0x, argument position) -> value


def _static_reader(word: Word) -> Reader:
    def read(payload: str, position: int) -> Any:
        return word(payload[64 * position : 64 * position + 64])

    return read


def _dynamic_reader(kind: str) -> Reader:
    """string / bytes: the head word holds the byte offset of a (length, data) tail."""

    def read(payload: str, position: int) -> Any:
        start = 2 * int(payload[64 * position : 64 * position + 64], 16)
        length = int(payload[start : start + 64], 16)
        data = payload[start + 64 : start + 64 + 2 * length]
        if kind == "bytes":
            return "0x" + data.lower()
        # A malformed string must not stop the indexer; the raw bytes stay recoverable from the chain.
        return bytes.fromhex(data).decode("utf-8", errors="replace")

    return read


def _reader(abi_type: str) -> Reader | None:
    word = _word_decoder(abi_type)
    if word is not None:
        return _static_reader(word)
    if abi_type in ("string", "bytes"):
        return _dynamic_reader(abi_type)
    return None


def to_json(value: Any) -> Any:
    """An eth_abi value as JSON: bytes to 0x-hex, addresses lowercase, tuples to lists."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else value
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


@dataclass(frozen=True)
class EventSpec:
    """How to decode one event of one contract."""

    contract: str
    name: str
    topics: tuple[tuple[str, Word], ...]  # indexed arguments, in topic order
    data_names: tuple[str, ...]
    data_types: tuple[str, ...]
    data_readers: tuple[Reader, ...] | None  # set when every data argument is elementary (or string / bytes)
    order: tuple[str, ...]  # argument names in ABI order

    @classmethod
    def from_abi(cls, contract: str, item: Mapping[str, Any]) -> EventSpec:
        topics: list[tuple[str, Word]] = []
        names: list[str] = []
        types: list[str] = []
        for position, arg in enumerate(item["inputs"]):
            name = arg.get("name") or f"arg{position}"
            abi_type = collapse_if_tuple(dict(arg))
            if arg.get("indexed"):
                topics.append((name, _word_decoder(abi_type) or _hash))
            else:
                names.append(name)
                types.append(abi_type)
        readers = [_reader(t) for t in types]
        return cls(
            contract=contract,
            name=item["name"],
            topics=tuple(topics),
            data_names=tuple(names),
            data_types=tuple(types),
            data_readers=tuple(r for r in readers if r is not None) if None not in readers else None,
            order=tuple(arg.get("name") or f"arg{i}" for i, arg in enumerate(item["inputs"])),
        )

    def decode_args(self, topics: list[str], data: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for (name, word), topic in zip(self.topics, topics[1:], strict=True):
            values[name] = word(topic[2:])
        if self.data_readers is not None:
            payload = data[2:]
            for i, (name, read) in enumerate(zip(self.data_names, self.data_readers, strict=True)):
                values[name] = read(payload, i)
        elif self.data_names:
            decoded = abi_decode(list(self.data_types), bytes.fromhex(data[2:]))
            for name, value in zip(self.data_names, decoded, strict=True):
                values[name] = to_json(value)
        return {name: values[name] for name in self.order}


class EventDecoder:
    """Decodes the logs of a deployment's contracts by (address, topic0)."""

    def __init__(self, specs: Mapping[tuple[str, str], EventSpec], contracts: Mapping[str, str]) -> None:
        self._specs = dict(specs)
        self.contracts = dict(contracts)  # lowercase address -> contract name

    @classmethod
    def from_deployment(cls, deployment: Deployment, names: Iterable[str] = INDEXED_CONTRACTS) -> EventDecoder:
        specs: dict[tuple[str, str], EventSpec] = {}
        contracts: dict[str, str] = {}
        for name in names:
            address = deployment.address(name).lower()
            contracts[address] = name
            for item in deployment.contracts[name].abi:
                if item.get("type") != "event" or item.get("anonymous"):
                    continue
                topic0 = "0x" + event_abi_to_log_topic(item).hex()  # type: ignore[arg-type]
                specs[(address, topic0)] = EventSpec.from_abi(name, item)
        return cls(specs, contracts)

    @property
    def addresses(self) -> list[str]:
        """The addresses to ask eth_getLogs for."""
        return list(self.contracts)

    def decode(self, log: Mapping[str, Any], block_timestamp: int) -> DecodedEvent:
        """Decode one raw log (as the node returned it: hex quantities). A log the ABI does not describe is kept
        as an ``Unknown`` event with its raw topics and data, so nothing the contracts emitted is dropped."""
        address = str(log["address"]).lower()
        topics: list[str] = [t.lower() for t in log["topics"]]
        spec = self._specs.get((address, topics[0])) if topics else None
        event, args = UNKNOWN_EVENT, {"topics": topics, "data": str(log["data"]).lower()}
        if spec is not None:
            try:
                event, args = spec.name, spec.decode_args(topics, str(log["data"]))
            except (ValueError, IndexError, DecodingError) as exc:
                logger.warning(
                    "cannot decode %s.%s at %s: %s", spec.contract, spec.name, log.get("transactionHash"), exc
                )
                event, args = UNKNOWN_EVENT, {**args, "error": f"{spec.name}: {exc}"}
        return DecodedEvent(
            block_number=int(log["blockNumber"], 16),
            block_hash=str(log["blockHash"]).lower(),
            block_timestamp=block_timestamp,
            tx_hash=str(log["transactionHash"]).lower(),
            tx_index=int(log["transactionIndex"], 16),
            log_index=int(log["logIndex"], 16),
            address=address,
            contract=self.contracts.get(address, address),
            event=event,
            args=args,
            invoice_id=_invoice_of(args),
            account=_account_of(args),
        )


def _invoice_of(args: Mapping[str, Any]) -> int | None:
    for name in _INVOICE_ARGS:
        value = args.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            # Invoice ids are a uint64 counter; anything else is not an invoice of this system.
            return value if 0 <= value <= _INT64_MAX else None
    return None


def _account_of(args: Mapping[str, Any]) -> str | None:
    for name in _ACCOUNT_ARGS:
        value = args.get(name)
        if isinstance(value, str):
            return value
    return None
