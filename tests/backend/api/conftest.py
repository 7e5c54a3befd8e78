"""Fixtures of the API tests: one private anvil with the real deployment (shared by the session: tests create the
invoices they need and must not assume the chain is pristine), a fresh database per test on SQLite and on Postgres
(the ``databases`` fixture of tests/backend/conftest.py), an indexer run to the head, the app wired to all of them,
a TestClient, and ``login`` doing the real SIWE flow with a dev account signed by eth-account.

KYC of the session chain (tests/backend/localchain.py's ``Driver.onboard``): dev accounts 1 and 5 are SMEs,
2, 3 and 4 investors (with stablecoin, approved to the escrow and the distributor), 6 the buyer, 0 the admin.
Accounts 10 and up have no KYC at all: use them as strangers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from backend.api.app import create_app
from backend.api.auth import SIWE_STATEMENT, iso, now
from backend.api.deps import ApiContext
from backend.api.settings import ApiSettings
from backend.indexer.sync import Indexer
from hundi.chain.deployment import Deployment
from hundi.chain.devkeys import dev_account
from tests.backend.conftest import Databases, Indexers
from tests.backend.localchain import Anvil, Driver, deploy

#: The public URL the test apps run under (SIWE domain/uri come from it).
PUBLIC_URL = "http://testserver"
STRANGER = 12  # a dev account without any KYC


@dataclass
class ApiChain:
    """The session's chain: node, deployment and a driver with every dev account onboarded."""

    node: Anvil
    deployment: Deployment
    driver: Driver


@pytest.fixture(scope="session")
def api_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiChain]:
    with Anvil() as node:
        deployment = deploy(node, tmp_path_factory.mktemp("api-chain") / "deployment.json")
        driver = Driver(node, deployment)
        driver.onboard()
        yield ApiChain(node, deployment, driver)


@dataclass
class ApiEnv:
    """Everything one API test needs; `sync()` indexes what the chain did since."""

    chain: ApiChain
    indexer: Indexer
    settings: ApiSettings
    app: Any
    client: TestClient
    backend: str

    @property
    def node(self) -> Anvil:
        return self.chain.node

    @property
    def deployment(self) -> Deployment:
        return self.chain.deployment

    @property
    def driver(self) -> Driver:
        return self.chain.driver

    @property
    def engine(self) -> Engine:
        return self.indexer.engine

    @property
    def context(self) -> ApiContext:
        context: ApiContext = self.app.state.context
        return context

    def sync(self) -> None:
        """Index the chain up to its head."""
        self.indexer.run(once=True)

    def send(self, who: int | LocalAccount, tx: dict[str, Any]) -> Any:
        """`send_unsigned`, then make the driver re-read nonces (the account may be one it sends from)."""
        receipt = send_unsigned(self.node, who, tx)
        self.driver.resync()
        return receipt


def api_settings(database_url: str, node: Anvil, deployment_file: Path, **overrides: Any) -> ApiSettings:
    """Settings of a test app (explicit values, so the environment of the machine running the tests is ignored)."""
    options: dict[str, Any] = {
        "database_url": database_url,
        "rpc_url": node.url,
        "deployment": str(deployment_file),
        "api_public_url": PUBLIC_URL,
        "jwt_secret": "test-jwt-secret-0123456789abcdef0123456789abcdef",
        "frontend_dist": deployment_file.parent / "no-frontend",
        **overrides,
    }
    return ApiSettings(**options)


@pytest.fixture
def make_env(
    api_chain: ApiChain, databases: Databases, indexers: Indexers, tmp_path: Path
) -> Iterator[Callable[..., ApiEnv]]:
    """Build an ApiEnv on a new database of the current backend; keyword arguments override ApiSettings."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> ApiEnv:
        url = databases.new()
        indexer = indexers.make(api_chain.deployment, url, api_chain.node)
        indexer.run(once=True)
        deployment_file = tmp_path / "deployment.json"
        if not deployment_file.exists():
            api_chain.deployment.save(deployment_file)
        settings = api_settings(url, api_chain.node, deployment_file, **overrides)
        app = create_app(settings, engine=indexer.engine, deployment=api_chain.deployment, w3=api_chain.node.w3)
        client = TestClient(app, base_url=PUBLIC_URL, raise_server_exceptions=False)
        clients.append(client)
        return ApiEnv(api_chain, indexer, settings, app, client, databases.backend)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def env(make_env: Callable[..., ApiEnv]) -> ApiEnv:
    """The default ApiEnv (one per test and backend)."""
    return make_env()


@pytest.fixture
def client(env: ApiEnv) -> TestClient:
    return env.client


def siwe_message(
    fields: dict[str, Any],
    address: str,
    *,
    domain: str | None = None,
    uri: str | None = None,
    chain_id: int | None = None,
    nonce: str | None = None,
    statement: str | None = None,
    issued_at: int | None = None,
    expiration: int | None = None,
    not_before: int | None = None,
) -> str:
    """An EIP-4361 message from GET /api/v1/auth/nonce's `fields`, each part overridable (for negative tests)."""
    lines = [
        f"{domain or fields['domain']} wants you to sign in with your Ethereum account:",
        address,
        "",
        statement if statement is not None else fields.get("statement", SIWE_STATEMENT),
        "",
        f"URI: {uri or fields['uri']}",
        f"Version: {fields.get('version', '1')}",
        f"Chain ID: {chain_id if chain_id is not None else fields['chainId']}",
        f"Nonce: {nonce or fields['nonce']}",
        f"Issued At: {iso(issued_at) if issued_at is not None else fields['issuedAt']}",
    ]
    if expiration is not None:
        lines.append(f"Expiration Time: {iso(expiration)}")
    if not_before is not None:
        lines.append(f"Not Before: {iso(not_before)}")
    return "\n".join(lines)


def sign(account: LocalAccount, message: str) -> str:
    """personal_sign (EIP-191) of `message` by `account`, as a wallet returns it."""
    from eth_account.messages import encode_defunct

    return "0x" + bytes(account.sign_message(encode_defunct(text=message)).signature).hex()


def as_account(who: int | LocalAccount) -> LocalAccount:
    return dev_account(who) if isinstance(who, int) else who


@pytest.fixture
def login() -> Callable[..., dict[str, str]]:
    """`login(client, account) -> headers`: the real SIWE flow (nonce, sign with eth-account, verify); `account`
    is a dev account index or a LocalAccount."""

    def do(client: TestClient, account: int | LocalAccount) -> dict[str, str]:
        signer = as_account(account)
        fields = client.get("/api/v1/auth/nonce").json()
        message = siwe_message(fields, signer.address, expiration=now() + 600)
        reply = client.post("/api/v1/auth/verify", json={"message": message, "signature": sign(signer, message)})
        assert reply.status_code == 200, reply.text
        return {"Authorization": f"Bearer {reply.json()['token']}"}

    return do


# ------------------------------------------------------------------------------------------------ read side (R)
# Scenarios the read-side tests share. Built once per session on the shared chain, without time travel (other
# tests' listings must stay open); the expectations are always recomputed from the chain, so other tests' invoices
# on the same chain do not matter.


@dataclass(frozen=True)
class MarketScenario:
    """Ids of the marketplace scenario: `open` are fundable listings; the others must not be listed."""

    open: tuple[int, ...]
    funded: int
    cancelled: int
    unlisted: int


@pytest.fixture(scope="session")
def market(api_chain: ApiChain) -> MarketScenario:
    """Ten open listings with varied face values, prices, maturities, risk scores, checks and fills (two pairs
    share a sort key, to exercise tie-breaks), plus a funded, a cancelled and a verified-but-unlisted invoice."""
    from tests.backend.localchain import DAY, OTHER_SELLER, SELLER, UNIT

    d = api_chain.driver
    shapes = [
        # (seller, face, price %, due in days, risk, checks, deadline days, min ticket, funded by investor 2)
        (SELLER, 100_000, 95, 60, 72, 0b111111, 7, 1_000, 0),
        (SELLER, 250_000, 90, 120, 55, 0b111111, 10, 5_000, 20_000),
        (OTHER_SELLER, 40_000, 97, 30, 88, 0b011111, 7, 0, 0),
        (OTHER_SELLER, 500_000, 85, 150, 40, 0b111111, 14, 10_000, 100_000),
        (SELLER, 75_000, 93, 45, 72, 0b111111, 7, 500, 0),
        (SELLER, 100_000, 92, 90, 64, 0b101111, 9, 0, 5_000),
        (OTHER_SELLER, 12_345, 96, 21, 95, 0b111111, 7, 0, 0),
        (SELLER, 300_000, 88, 100, 30, 0b111111, 12, 2_000, 0),
        (OTHER_SELLER, 60_000, 94, 75, 81, 0b111111, 8, 0, 1_000),
        (SELLER, 150_000, 91, 110, 55, 0b111111, 11, 0, 0),
    ]
    opened = []
    for seller, face, pct, due, risk, checks, deadline, ticket, fill in shapes:
        invoice_id = d.mint(seller, face=face * UNIT, due_in=due * DAY, tag="market")
        d.verify(invoice_id, risk=risk, checks=checks)
        d.list(invoice_id, price=face * UNIT * pct // 100, deadline_in=deadline * DAY, min_ticket=ticket * UNIT)
        if fill:
            d.fund(invoice_id, 2, fill * UNIT)
        opened.append(invoice_id)
    funded = d.mint(face=20_000 * UNIT, tag="market-funded")
    d.verify(funded, risk=70)
    d.list(funded, price=19_000 * UNIT)
    d.fund(funded, 3, 19_000 * UNIT)
    cancelled = d.mint(face=30_000 * UNIT, tag="market-cancelled")
    d.verify(cancelled, risk=60)
    d.list(cancelled, price=28_000 * UNIT)
    d.cancel(cancelled, SELLER)  # the seller may cancel before any funding
    unlisted = d.mint(face=9_000 * UNIT, tag="market-unlisted")
    d.verify(unlisted, risk=50)
    return MarketScenario(tuple(opened), funded, cancelled, unlisted)


@dataclass(frozen=True)
class RepaidScenario:
    """One invoice funded by investors 2, 3 and 4, repaid past its face value in two payments with a claim and a
    share transfer between them; investor 4 opted in to auto-payout, investor 3 opted in and out."""

    invoice_id: int
    face: int
    price: int


@pytest.fixture(scope="session")
def repaid(api_chain: ApiChain) -> RepaidScenario:
    from tests.backend.localchain import UNIT

    d = api_chain.driver
    face, price = 100_000 * UNIT, 90_000 * UNIT
    invoice_id = d.mint(face=face, tag="repaid")
    d.verify(invoice_id, risk=77)
    d.list(invoice_id, price=price)
    for investor, ticket in ((2, 30_000), (3, 40_000), (4, 20_000)):
        d.fund(invoice_id, investor, ticket * UNIT)
    d.repay(invoice_id, 50_000 * UNIT + 7)  # odd amounts: the distributor's floor division matters
    d.claim(invoice_id, 2)
    d.transfer_shares(invoice_id, 3, 4, 15_000 * UNIT + 3)  # after a distribution: the correction matters
    d.repay(invoice_id, 60_000 * UNIT)  # past face value: a yield fee and a surplus to the seller
    distributor = d.c.distributor.functions
    d.send(4, distributor.setAutoPayout(True))
    d.send(3, distributor.setAutoPayout(True))
    d.send(3, distributor.setAutoPayout(False))
    return RepaidScenario(invoice_id, face, price)


@dataclass
class DocumentStore:
    """Where the test app's vault keeps encrypted documents (HUNDI_DOCS_DIR) and its key (HUNDI_DOCUMENT_KEY)."""

    folder: Path
    key: str

    def files(self) -> list[Path]:
        """Every stored document (temporary files included: a refused upload must leave nothing at all)."""
        return sorted(p for p in self.folder.rglob("*") if p.is_file())


@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DocumentStore:
    """A fresh document store and key for the app's vault, configured the way production is (environment)."""
    from hundi.documents.crypto import generate_key

    store = DocumentStore(tmp_path / "docs", generate_key())
    monkeypatch.setenv("HUNDI_DOCS_DIR", str(store.folder))
    monkeypatch.setenv("HUNDI_DOCUMENT_KEY", store.key)
    return store


def send_unsigned(node: Anvil, who: int | LocalAccount, tx: dict[str, Any]) -> Any:
    """Do what the user's wallet does with one of the API's unsigned transactions: add nonce, gas and fees, sign
    with the account's key, send, and wait; returns the receipt (status checked)."""
    account = as_account(who)
    w3 = node.w3
    assert tx["from"].lower() == account.address.lower(), "the API addressed the transaction to someone else"
    full: dict[str, Any] = {
        "to": w3.to_checksum_address(tx["to"]),
        "data": tx["data"],
        "value": int(tx.get("value", "0")),
        "chainId": int(tx["chainId"]),
        "from": account.address,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        "maxFeePerGas": 100 * 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    full["gas"] = w3.eth.estimate_gas(full)  # type: ignore[arg-type]
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(full).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    assert receipt["status"] == 1, f"transaction {tx_hash.hex()} reverted"
    return receipt
