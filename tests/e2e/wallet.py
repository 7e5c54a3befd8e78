"""The Python half of the end-to-end tests' wallet: an EIP-1193 provider (wallet.js) injected into the page, whose
requests land here through a Playwright binding.

Why not anvil's unlocked accounts: the wallet signs everything itself (personal_sign, eth_signTypedData_v4,
eth_sendTransaction) with the dev account's key through eth-account and sends raw transactions, so the same
provider would work against any node, and the app is exercised exactly as with an extension wallet. Reads go to the
node's JSON-RPC unchanged, errors included (a revert reaches the app with its revert data, as from MetaMask).

One `Wallet` per browser context (per person): it holds that person's account, whether the site is connected,
and the chain the wallet is on, which can be made wrong on purpose to test the app's network check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import is_hex, to_checksum_address
from playwright.sync_api import BrowserContext

from hundi.chain.devkeys import dev_account

BINDING = "__hundiWalletRequest"
SCRIPT = Path(__file__).with_name("wallet.js")

#: EIP-1193 / EIP-1474 error codes the wallet answers with.
USER_REJECTED = 4001
UNAUTHORIZED = 4100
UNSUPPORTED_METHOD = 4200
CHAIN_DISCONNECTED = 4901
UNRECOGNIZED_CHAIN = 4902
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

#: A chain the wallet can be on that is not the stack's (Ethereum mainnet: what a real wallet usually shows).
WRONG_CHAIN_ID = 1

#: Methods only a wallet answers; everything else is forwarded to the node.
_WALLET_ONLY = frozenset(
    {
        "eth_accounts",
        "eth_requestAccounts",
        "eth_chainId",
        "net_version",
        "eth_coinbase",
        "personal_sign",
        "eth_sign",
        "eth_signTypedData",
        "eth_signTypedData_v3",
        "eth_signTypedData_v4",
        "eth_sendTransaction",
        "eth_signTransaction",
        "wallet_switchEthereumChain",
        "wallet_addEthereumChain",
        "wallet_requestPermissions",
        "wallet_getPermissions",
        "wallet_revokePermissions",
        "wallet_watchAsset",
    }
)


class WalletError(Exception):
    """A request the wallet refuses; becomes a ProviderRpcError with this code in the page."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def as_reply(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return {"error": error}


@dataclass
class Request:
    """One request the page made, for assertions (`wallet.requests`)."""

    method: str
    params: Any
    error: int | None = None


@dataclass
class Wallet:
    """A dev-account wallet for one browser context.

    Attributes:
        rpc_url: the node every read and raw transaction goes to.
        node_chain_id: the node's chain id (the right network).
        account_index: which dev account is selected (`switch_account` changes it and tells the page).
        chain_id: the chain the wallet says it is on; WRONG_CHAIN_ID to test the app's network check.
        connected: whether the site has been granted the accounts (eth_requestAccounts grants it, as a user would).
        reject: methods the user "rejects" (answered with 4001), e.g. {"eth_sendTransaction"}.
    """

    rpc_url: str
    node_chain_id: int
    account_index: int
    chain_id: int = 0
    connected: bool = False
    reject: set[str] = field(default_factory=set)
    requests: list[Request] = field(default_factory=list)
    known_chains: set[int] = field(default_factory=set)
    context: BrowserContext | None = None
    #: One-shot actions run just before the wallet handles the next request of a method (e.g. another person's
    #: transaction landing while this one is being confirmed in the wallet). They must not call Playwright.
    before: dict[str, list[Callable[[], None]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.chain_id:
            self.chain_id = self.node_chain_id
        self.known_chains |= {self.node_chain_id, WRONG_CHAIN_ID, self.chain_id}
        self._http = httpx.Client(timeout=60)

    # ---------------------------------------------------------------- installing and driving it

    def install(self, context: BrowserContext) -> Wallet:
        """Inject the provider into every page of `context` (before any of the page's scripts run)."""
        self.context = context
        context.expose_binding(BINDING, self._binding)
        context.add_init_script(path=str(SCRIPT))
        return self

    @property
    def account(self) -> LocalAccount:
        return dev_account(self.account_index)

    @property
    def address(self) -> str:
        return str(self.account.address)

    def switch_account(self, index: int) -> None:
        """Select another dev account, as a user does in the wallet's menu; the pages get accountsChanged."""
        self.account_index = index
        if self.connected:
            self._emit("accountsChanged", [self.address.lower()])

    def switch_chain(self, chain_id: int) -> None:
        """Move the wallet to another network from the wallet's side; the pages get chainChanged."""
        self.known_chains.add(chain_id)
        self.chain_id = chain_id
        self._emit("chainChanged", hex(chain_id))

    def on_next(self, method: str, action: Callable[[], None]) -> None:
        """Run `action` once, right before the wallet handles the next `method` request."""
        self.before.setdefault(method, []).append(action)

    def methods(self) -> list[str]:
        """The methods the page called, in order."""
        return [r.method for r in self.requests]

    def close(self) -> None:
        self._http.close()

    def _emit(self, event: str, payload: Any) -> None:
        if self.context is None:
            return
        for page in self.context.pages:
            if not page.is_closed():
                page.evaluate(
                    "([e, p]) => window.__hundiWalletEmit && window.__hundiWalletEmit(e, p)", [event, payload]
                )

    # ---------------------------------------------------------------- requests from the page

    def _binding(self, _source: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
        method = str(request.get("method", ""))
        params = request.get("params") or []
        record = Request(method, params)
        self.requests.append(record)
        try:
            pending = self.before.get(method)
            if pending:
                pending.pop(0)()
            if method in self.reject:
                raise WalletError(USER_REJECTED, "User rejected the request.")
            return self.handle(method, params)
        except WalletError as exc:
            record.error = exc.code
            return exc.as_reply()
        except Exception as exc:  # an unexpected wallet failure must reach the page as an RPC error, not hang
            record.error = INTERNAL_ERROR
            return WalletError(INTERNAL_ERROR, f"test wallet: {type(exc).__name__}: {exc}").as_reply()

    def handle(self, method: str, params: Any) -> dict[str, Any]:
        """Answer one EIP-1193 request: `{"result": ...}` plus events to emit, or raise WalletError."""
        if method not in _WALLET_ONLY:
            return {"result": self.rpc(method, params)}
        if method == "eth_requestAccounts":
            newly = not self.connected
            self.connected = True
            accounts = [self.address.lower()]
            return {"result": accounts, "emit": [["accountsChanged", accounts]] if newly else []}
        if method in ("eth_accounts", "eth_coinbase"):
            accounts = [self.address.lower()] if self.connected else []
            return {"result": accounts if method == "eth_accounts" else (accounts[0] if accounts else None)}
        if method == "eth_chainId":
            return {"result": hex(self.chain_id)}
        if method == "net_version":
            return {"result": str(self.chain_id)}
        if method == "wallet_switchEthereumChain":
            return self._switch(_chain_param(params))
        if method == "wallet_addEthereumChain":
            chain_id = _chain_param(params)
            self.known_chains.add(chain_id)
            return self._switch(chain_id)
        if method in ("wallet_requestPermissions", "wallet_getPermissions"):
            if method == "wallet_requestPermissions":
                self.connected = True
            granted = [{"parentCapability": "eth_accounts", "caveats": []}] if self.connected else []
            return {"result": granted}
        if method == "wallet_revokePermissions":
            self.connected = False
            return {"result": None, "emit": [["accountsChanged", []]]}
        if method == "wallet_watchAsset":
            return {"result": True}
        self._require_connected()
        if method == "personal_sign":
            return {"result": self._personal_sign(params)}
        if method == "eth_signTypedData_v4":
            return {"result": self._sign_typed_data(params)}
        if method == "eth_sendTransaction":
            return {"result": self._send_transaction(params)}
        raise WalletError(UNSUPPORTED_METHOD, f"The test wallet does not support {method}.")

    def _switch(self, chain_id: int) -> dict[str, Any]:
        if chain_id not in self.known_chains:
            raise WalletError(UNRECOGNIZED_CHAIN, f"Unrecognized chain ID {hex(chain_id)}. Try adding the chain first.")
        changed = chain_id != self.chain_id
        self.chain_id = chain_id
        return {"result": None, "emit": [["chainChanged", hex(chain_id)]] if changed else []}

    def _require_connected(self) -> None:
        if not self.connected:
            raise WalletError(UNAUTHORIZED, "The site is not connected: call eth_requestAccounts first.")

    def _require_self(self, address: Any) -> None:
        if not isinstance(address, str) or address.lower() != self.address.lower():
            raise WalletError(UNAUTHORIZED, f"The test wallet holds {self.address}, not {address}.")

    def _personal_sign(self, params: Sequence[Any]) -> str:
        if len(params) < 2:
            raise WalletError(INVALID_PARAMS, "personal_sign expects [message, address]")
        message, address = params[0], params[1]
        self._require_self(address)
        if not isinstance(message, str):
            raise WalletError(INVALID_PARAMS, "personal_sign: the message must be a string")
        signable = encode_defunct(hexstr=message) if is_hex(message) and message.startswith("0x") else None
        signable = signable or encode_defunct(text=message)
        return "0x" + bytes(self.account.sign_message(signable).signature).hex()

    def _sign_typed_data(self, params: Sequence[Any]) -> str:
        if len(params) < 2:
            raise WalletError(INVALID_PARAMS, "eth_signTypedData_v4 expects [address, typedData]")
        self._require_self(params[0])
        data = json.loads(params[1]) if isinstance(params[1], str) else params[1]
        domain_chain = data.get("domain", {}).get("chainId")
        if domain_chain is not None and int(str(domain_chain), 0) != self.chain_id:
            raise WalletError(
                INVALID_PARAMS, f"typed data is for chain {domain_chain}; the wallet is on {self.chain_id}"
            )
        return "0x" + bytes(self.account.sign_typed_data(full_message=data).signature).hex()

    def _send_transaction(self, params: Sequence[Any]) -> str:
        if not params or not isinstance(params[0], Mapping):
            raise WalletError(INVALID_PARAMS, "eth_sendTransaction expects [transaction]")
        tx = dict(params[0])
        self._require_self(tx.get("from"))
        if self.chain_id != self.node_chain_id:
            raise WalletError(
                CHAIN_DISCONNECTED, f"The test wallet is on chain {self.chain_id}, which it cannot reach: switch first."
            )
        call: dict[str, Any] = {"from": self.address}
        for key in ("to", "value", "data"):
            if tx.get(key) is not None:
                call[key] = tx[key]
        if tx.get("input") is not None and "data" not in call:
            call["data"] = tx["input"]
        gas = _int(tx.get("gas")) or _int(self.rpc("eth_estimateGas", [call])) * 12 // 10
        nonce = (
            _int(tx.get("nonce"))
            if tx.get("nonce") is not None
            else _int(self.rpc("eth_getTransactionCount", [self.address, "pending"]))
        )
        base_fee = _int(self.rpc("eth_getBlockByNumber", ["latest", False]).get("baseFeePerGas"))
        tip = _int(tx.get("maxPriorityFeePerGas")) or 10**9
        max_fee = _int(tx.get("maxFeePerGas")) or 2 * base_fee + tip
        unsigned: dict[str, Any] = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": nonce,
            "value": _int(call.get("value")),
            "data": call.get("data", "0x"),
            "gas": gas,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": min(tip, max_fee),
        }
        if call.get("to"):
            unsigned["to"] = to_checksum_address(call["to"])
        signed = self.account.sign_transaction(unsigned)
        return str(self.rpc("eth_sendRawTransaction", ["0x" + bytes(signed.raw_transaction).hex()]))

    # ---------------------------------------------------------------- the node

    def rpc(self, method: str, params: Any) -> Any:
        """Forward one call to the node; a node error becomes a WalletError with the node's code, message and data
        (so a revert's data reaches the app)."""
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        try:
            reply = self._http.post(self.rpc_url, json=body).json()
        except httpx.HTTPError as exc:
            raise WalletError(CHAIN_DISCONNECTED, f"the node at {self.rpc_url} is unreachable: {exc}") from exc
        if "error" in reply:
            error = reply["error"]
            raise WalletError(int(error.get("code", INTERNAL_ERROR)), str(error.get("message", "")), error.get("data"))
        return reply.get("result")


def _chain_param(params: Any) -> int:
    try:
        return int(str(params[0]["chainId"]), 16)
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        raise WalletError(INVALID_PARAMS, "expected [{chainId: '0x...'}]") from exc


def _int(value: Any) -> int:
    """A JSON-RPC quantity (hex string or number) as int; 0 for None."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return int(str(value), 0)
