"""Strict assertions on custom-error reverts and emitted events, for every contract suite.

Why not `ape.reverts(contract.SomeError)`: ape lets a revert it could not decode satisfy any expected custom
error, silently skips expected argument names the error does not have, and often leaves undecoded the reverts of
views and pure functions, of constructors, and the errors that bubble up from a called contract. Here a revert
must decode to exactly the expected error, from ape's own decoding or from the raw revert data matched against
the ABIs of the error's contract and of any contract passed in `also`; and the expected arguments, when given,
must be all of the error's arguments, each holding the expected value (`ANY` for one not checked).

Values compare with `==`, except that accounts and contracts stand for their address and two addresses compare
case-insensitively.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import ape
from ape.exceptions import ContractLogicError, CustomError
from eth_abi import decode as abi_decode
from eth_utils import is_address, keccak, to_checksum_address
from ethpm_types.abi import ErrorABI
from web3.exceptions import ContractLogicError as Web3ContractLogicError

# ------------------------------------------------------------------------------------------------ values


class _AnyValue:
    def __repr__(self) -> str:
        return "ANY"


#: An expected error argument that is not checked (it must still exist).
ANY: Any = _AnyValue()


def plain(value: Any) -> Any:
    """Accounts and contracts stand for their address; anything else for itself."""
    return value.address if hasattr(value, "address") else value


def same(actual: Any, expected: Any) -> bool:
    """`actual == expected`, with accounts and contracts as their address and addresses case-insensitive."""
    expected = plain(expected)
    if isinstance(actual, str) and isinstance(expected, str) and is_address(actual) and is_address(expected):
        return actual.lower() == expected.lower()
    return bool(actual == expected)


# ------------------------------------------------------------------------------------------------ errors


def error_abi(container: Any, name: str) -> ErrorABI:
    """The ErrorABI `name` of a contract type, for reverts before an instance exists (a constructor's)."""
    found: list[ErrorABI] = [e for e in container.contract_type.errors if e.name == name]
    assert found, f"{container.contract_type.name} has no error {name} (is .build/ stale? ape compile --force)"
    return found[0]


def _abi_of(error: Any) -> ErrorABI:
    """The ABI of a contract's error class (`hub.UnknownSigner`) or of an ErrorABI itself."""
    if isinstance(error, ErrorABI):
        return error
    abi = getattr(error, "abi", None)
    if not isinstance(abi, ErrorABI):
        raise AssertionError(f"not a custom error: {error!r}")
    return abi


def _error_abis(sources: Iterable[Any]) -> Iterator[ErrorABI]:
    """Every ErrorABI of `sources`: contracts (instances or containers), error classes and ErrorABIs."""
    for source in sources:
        if isinstance(source, ErrorABI) or isinstance(getattr(source, "abi", None), ErrorABI):
            yield _abi_of(source)
        else:
            yield from source.contract_type.errors


def _decode_data(data: bytes, sources: Iterable[Any]) -> tuple[ErrorABI, dict[str, Any]] | None:
    """Raw revert data (selector and ABI-encoded arguments) decoded against the errors of `sources`."""
    for abi in _error_abis(sources):
        if len(data) >= 4 and keccak(text=abi.selector)[:4] == data[:4]:
            values = abi_decode([i.canonical_type for i in abi.inputs], data[4:])
            return abi, {
                i.name or "": to_checksum_address(v) if i.canonical_type == "address" else v
                for i, v in zip(abi.inputs, values, strict=True)
            }
    return None


def _revert_data(exc: ContractLogicError) -> bytes:
    """The raw revert data of a revert ape did not decode, or b"" when it carries none."""
    raw = str(exc.revert_message or "")
    if raw.startswith("custom error 0x"):
        # A view or pure function on anvil: "custom error 0x<selector>: <argument bytes as text>".
        selector, _, arguments = raw[len("custom error ") :].partition(": ")
        return bytes.fromhex(selector[2:]) + arguments.encode("latin-1")
    if raw.startswith("0x"):
        # A deployment, or an error bubbling up from a called contract: "0x<selector><arguments>".
        return bytes.fromhex(raw[2:])
    data = getattr(exc.base_err, "data", None)
    return bytes.fromhex(data[2:]) if isinstance(data, str) and data.startswith("0x") else b""


def _decode_exc(exc: BaseException, sources: Sequence[Any]) -> tuple[ErrorABI, dict[str, Any]]:
    if isinstance(exc, CustomError):
        return exc.abi, dict(exc.inputs)
    assert isinstance(exc, ContractLogicError), f"not a revert: {exc!r}"
    decoded = _decode_data(_revert_data(exc), sources)
    if decoded is None:
        known = sorted({abi.name for abi in _error_abis(sources)})
        raise AssertionError(f"the revert is none of the custom errors {known}: {exc!r}")
    return decoded


def decode_error(exc: BaseException, *contracts: Any) -> tuple[str, dict[str, Any]]:
    """The custom error name and arguments of a revert.

    ape decodes most custom errors itself; the others (a view's, a constructor's, one raised further down the
    call) arrive as raw revert data, decoded here against the errors of `contracts` (contract instances or
    containers, error classes or ErrorABIs). Fails when the revert is no custom error of them.
    """
    abi, inputs = _decode_exc(exc, contracts)
    return abi.name, inputs


def assert_error(exc: BaseException, expected: Any, contracts: Sequence[Any] = (), **inputs: Any) -> dict[str, Any]:
    """Assert `exc` is the custom error `expected` with these argument values; return all its arguments.

    `expected` is an error (`hub.UnknownSigner`, or an ErrorABI from `error_abi`), an error name, or a tuple of
    those when any one of them will do. An error given as an error, not a name, must also match in signature,
    and its own contract's ABI decodes raw revert data besides those of `contracts`.

    `inputs` names either none of the error's arguments (only the error is checked) or every one of them, each
    with its value, or `ANY` for one a test cannot know (a signer recovered from a forged signature). A name the
    error does not have fails, as does an argument the error gained that a test does not name yet.
    """
    options = expected if isinstance(expected, tuple) else (expected,)
    sources = [*contracts, *(option for option in options if not isinstance(option, str))]
    sources += [option.contract for option in options if hasattr(option, "contract")]
    abi, actual = _decode_exc(exc, sources)
    wanted = " or ".join(option if isinstance(option, str) else _abi_of(option).selector for option in options)
    assert any(
        abi.name == option if isinstance(option, str) else abi.selector == _abi_of(option).selector
        for option in options
    ), f"expected {wanted}, got {abi.selector} {actual}: {exc!r}"
    for arg, value in inputs.items():
        assert arg in actual, f"{abi.name} has no argument {arg!r} (it has {sorted(actual)})"
        assert value is ANY or same(actual[arg], value), (
            f"{abi.name}.{arg}: expected {plain(value)!r}, got {actual[arg]!r}"
        )
    if inputs:
        missing = sorted(set(actual) - set(inputs))
        assert not missing, f"{abi.name}{actual}: also name {missing} (ANY for one not checked), or no argument"
    return actual


@contextmanager
def reverts_with(error: Any, *, also: Sequence[Any] = (), **inputs: Any) -> Iterator[Any]:
    """Expect the block to revert with exactly the custom error `error` and these argument values.

    `error` is a contract's error class (`hub.UnknownSigner`) or, for a constructor, `error_abi(container,
    name)`. Raw revert data is decoded against the error's own contract and the contracts in `also` (those a
    bubbling error may come from). Yields ape's `RevertInfo`; see `assert_error` for the rules.
    """
    with ape.reverts() as info:
        yield info
    assert_error(info.value, error, also, **inputs)


def call_error(
    handler: Any, *args: Any, sender: Any = None, also: Sequence[Any] = ()
) -> tuple[str, dict[str, Any]] | None:
    """eth_call `handler(*args)` (from `sender`) on the current state: the custom error it reverts with, decoded
    as (name, arguments) against the ABIs of its contract and of `also`, or None when the call succeeds.

    For views and pure functions (`ownerOf`, `approve` on a soulbound token), whose custom errors ape does not
    decode; and for reverts that bubble up from a called contract, which ape decodes only by materialising the
    whole call trace, seconds per test. The eth_call runs the same code on the same state. Fails when the call
    reverts with anything but a custom error of those contracts.
    """
    contract = handler.contract
    tx: dict[str, Any] = {"to": contract.address, "data": handler.encode_input(*args)}
    if sender is not None:
        tx["from"] = plain(sender)
    try:
        ape.chain.provider.web3.eth.call(tx)
    except Web3ContractLogicError as err:
        data = bytes.fromhex(str(err.data or "0x")[2:])
        decoded = _decode_data(data, (contract, *also))
        if decoded is None:
            names = [c.contract_type.name for c in (contract, *also)]
            raise AssertionError(f"revert data {err.data!r} matches no error of {names}") from err
        return decoded[0].name, decoded[1]
    return None


# ------------------------------------------------------------------------------------------------ events


class EventArgs(dict[str, Any]):
    """An event's arguments: a dict (`==` a dict, `args["from"]`) whose keys also read as attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def events(receipt: Any, event: Any) -> list[EventArgs]:
    """The arguments of every `event` (`hub.ReportAccepted`) in `receipt` that the event's own contract emitted,
    in log order."""
    address = event.contract.address
    return [EventArgs(log.event_arguments) for log in receipt.events.filter(event) if log.contract_address == address]


def only_event(receipt: Any, event: Any) -> EventArgs:
    """The arguments of the single `event` in `receipt` (fails unless there is exactly one)."""
    found = events(receipt, event)
    assert len(found) == 1, f"expected one {event.name}, got {found}"
    return found[0]


def assert_event(receipt: Any, event: Any, **expected: Any) -> None:
    """Assert `receipt` holds exactly one `event`, with exactly these arguments (every one of them given)."""
    args = only_event(receipt, event)
    assert sorted(args) == sorted(expected), f"{event.name} has arguments {sorted(args)}, expected {sorted(expected)}"
    for name, value in expected.items():
        assert same(args[name], value), f"{event.name}.{name}: expected {plain(value)!r}, got {args[name]!r}"


def assert_no_event(receipt: Any, event: Any) -> None:
    found = events(receipt, event)
    assert found == [], f"expected no {event.name}, got {found}"


def transfers(receipt: Any, token: Any) -> list[tuple[str, str, int]]:
    """Every ERC-20 Transfer of `token` in `receipt`, as (from, to, value)."""
    return [(log["from"], log["to"], log["value"]) for log in events(receipt, token.Transfer)]
