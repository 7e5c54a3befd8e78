"""Fixtures of the bank intake tests: fresh oracle databases on SQLite and Postgres (migrated with the real Alembic
history, one Postgres schema per test, dropped afterwards), a small real InvoiceDirectory and RepaymentSink that record
their calls, the intake behind the real FastAPI router, and a uvicorn server on a free port.

The directory and sink are our own interfaces (the runtime's implementations live elsewhere in oracle/); here they
are a dict of invoices and a table of reports written in the intake's own transaction, so "one report" is counted
in the database, not only in memory.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from eth_utils import keccak
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, func, insert, select
from sqlmodel import Session

from oracle.bank.intake import BankIntake, KnownInvoice
from oracle.bank.models import BankPayment
from oracle.bank.router import PATH, bank_router
from oracle.bank.schema import notice_body
from oracle.bank.signature import HEADER, sign_header
from oracle.db.session import make_engine, migrate
from tests.databases import EmptyDatabases, skip_unless_available

SECRET = b"bank-test-secret-0123456789"
OLD_SECRET = b"bank-test-secret-rotated-out"
#: The intake's clock in tests that fix it: 2025-06-15T15:06:40Z.
NOW = 1_750_000_000
FUNDED, REPAID, DEFAULTED, LISTED = 5, 6, 7, 4

# A private metadata: the test sink's table must not join SQLModel.metadata (and so the oracle's migrations).
_TEST_METADATA = MetaData()
REPORTS = Table(
    "test_bank_report",
    _TEST_METADATA,
    Column("report_id", String(66), primary_key=True),
    Column("invoice_id", BigInteger, nullable=False),
    Column("amount", String(40), nullable=False),
    Column("bank_ref", String(66), nullable=False, unique=True),
    Column("paid_at", BigInteger, nullable=False),
    Column("transaction_id", String(128), nullable=False),
)


class Databases(EmptyDatabases):
    """Fresh oracle databases on one backend (a SQLite file, or a Postgres schema); all dropped at teardown."""

    def __init__(self, backend: str, folder: Path) -> None:
        super().__init__(backend, folder, prefix="hundi_bank")
        self._engines: list[Engine] = []

    def new(self) -> Engine:
        """An engine on a new database at the oracle's latest schema, with the test report table."""
        url = self.new_url()
        migrate(url)
        engine = make_engine(url)
        _TEST_METADATA.create_all(engine)
        self._engines.append(engine)
        return engine

    def close(self) -> None:
        for engine in self._engines:
            engine.dispose()
        self.drop_all()


@pytest.fixture(params=["sqlite", "postgres"])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    """Fresh databases on each backend in turn (Postgres is skipped, with the reason, when it does not answer)."""
    backend: str = request.param
    skip_unless_available(backend)
    dbs = Databases(backend, tmp_path)
    try:
        yield dbs
    finally:
        dbs.close()


@pytest.fixture
def engine(databases: Databases) -> Engine:
    return databases.new()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One fresh database per backend for a whole module, for tests that must leave it empty: the many refusal
    cases. `empty_harness` wipes it after every test, so each still starts from an empty database."""
    backend: str = request.param
    skip_unless_available(backend)
    dbs = Databases(backend, tmp_path_factory.mktemp("bank"))
    try:
        yield dbs.new()
    finally:
        dbs.close()


def wipe(engine: Engine) -> None:
    """Delete every payment and report row."""
    with engine.begin() as connection:
        connection.execute(REPORTS.delete())
        connection.execute(BankPayment.__table__.delete())  # type: ignore[attr-defined]


class Directory:
    """InvoiceDirectory over a dict of invoice number -> invoices; records every lookup."""

    def __init__(self) -> None:
        self.invoices: dict[str, list[KnownInvoice]] = {}
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def add(self, invoice_id: int, number: str, *, status: int = FUNDED, outstanding: int = 10**12) -> KnownInvoice:
        invoice = KnownInvoice(
            invoice_id=invoice_id,
            invoice_number=number,
            seller_gstin="27AAPFU0939F1ZV",
            status=status,
            outstanding=outstanding,
        )
        self.invoices.setdefault(number, []).append(invoice)
        return invoice

    def by_id(self, invoice_id: int) -> KnownInvoice | None:
        return next((i for group in self.invoices.values() for i in group if i.invoice_id == invoice_id), None)

    def find_by_number(self, session: Session, invoice_number: str) -> Sequence[KnownInvoice]:
        with self._lock:
            self.calls.append(invoice_number)
        return list(self.invoices.get(invoice_number, []))

    def find_by_id(self, session: Session, invoice_id: int) -> KnownInvoice | None:
        return self.by_id(invoice_id)


class Sink:
    """RepaymentSink writing one row per report into test_bank_report in the caller's session; records calls.

    `fail_with` makes the next calls raise after writing, to show that the intake's transaction rolls back whole.
    """

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail_with: Exception | None = None
        self._lock = threading.Lock()

    def enqueue_repayment(
        self, session: Session, *, invoice_id: int, amount: int, bank_ref: bytes, paid_at: int, transaction_id: str
    ) -> str:
        report_id = "0x" + keccak(b"repayment" + invoice_id.to_bytes(32, "big") + bank_ref).hex()
        session.execute(
            insert(REPORTS).values(
                report_id=report_id,
                invoice_id=invoice_id,
                amount=str(amount),
                bank_ref="0x" + bank_ref.hex(),
                paid_at=paid_at,
                transaction_id=transaction_id,
            )
        )
        call = {
            "invoice_id": invoice_id,
            "amount": amount,
            "bank_ref": bank_ref,
            "paid_at": paid_at,
            "transaction_id": transaction_id,
        }
        with self._lock:
            self.calls.append(call)
        if self.fail_with is not None:
            raise self.fail_with
        return report_id


def count_rows(engine: Engine) -> tuple[int, int]:
    """(payment rows, report rows)."""
    with engine.connect() as connection:
        payments = connection.execute(select(func.count()).select_from(BankPayment.__table__)).scalar_one()  # type: ignore[attr-defined]
        reports = connection.execute(select(func.count()).select_from(REPORTS)).scalar_one()
    return int(payments), int(reports)


def report_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(REPORTS)).mappings()]


class Bank:
    """Builds signed webhook requests the way a bank does."""

    def __init__(self, secret: bytes = SECRET, clock: Callable[[], float] = lambda: NOW) -> None:
        self.secret = secret
        self.clock = clock

    def body(self, **overrides: Any) -> bytes:
        fields: dict[str, Any] = {
            "transaction_id": "UTR0000000001",
            "invoice_number": "INV-2025-0042",
            "amount": "1250.50",
            "status": "success",
            "paid_at": NOW - 3600,
        }
        fields.update(overrides)
        return notice_body(**fields)

    def headers(self, body: bytes, *, timestamp: int | None = None, secret: bytes | None = None) -> dict[str, str]:
        stamp = int(self.clock()) if timestamp is None else timestamp
        return {
            "Content-Type": "application/json",
            HEADER: sign_header(self.secret if secret is None else secret, body, stamp),
        }


class Harness:
    """An intake on a fresh database behind the real router, with its directory, sink and a TestClient."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = lambda: NOW) -> None:
        self.engine = engine
        self.directory = Directory()
        self.sink = Sink()
        self.intake = BankIntake(engine, self.directory, self.sink, [SECRET, OLD_SECRET], clock=clock)
        self.app = FastAPI()
        self.app.include_router(bank_router(self.intake))
        self.bank = Bank(clock=clock)
        self.client = TestClient(self.app, raise_server_exceptions=False)

    def post(self, body: bytes, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(PATH, content=body, headers=self.bank.headers(body) if headers is None else headers)

    def pay(self, **overrides: Any) -> Any:
        return self.post(self.bank.body(**overrides))

    def counts(self) -> tuple[int, int]:
        return count_rows(self.engine)


@pytest.fixture
def harness(engine: Engine) -> Iterator[Harness]:
    """A harness on a database of its own."""
    made = Harness(engine)
    try:
        yield made
    finally:
        made.client.close()


@pytest.fixture
def empty_harness(module_engine: Engine) -> Iterator[Harness]:
    """A harness on the module's database, checked empty before the test and wiped after it."""
    made = Harness(module_engine)
    assert made.counts() == (0, 0)
    try:
        yield made
    finally:
        made.client.close()
        wipe(module_engine)


def add_invoice_route(app: FastAPI, directory: Directory) -> None:
    """The runtime's ``GET /oracle/v1/invoices/{id}`` contract, served from the test directory (for bank-sim)."""

    @app.get("/oracle/v1/invoices/{invoice_id}")
    def invoice(invoice_id: int) -> dict[str, Any]:
        known = directory.by_id(invoice_id)
        if known is None:
            raise HTTPException(404, "unknown invoice")
        return {
            "invoiceId": known.invoice_id,
            "invoiceNumber": known.invoice_number,
            "sellerGstin": known.seller_gstin,
            "status": known.status,
            "outstanding": str(known.outstanding),
        }


class Server:
    """uvicorn serving an app on a free 127.0.0.1 port, in a thread (the socket is bound before the thread starts)."""

    def __init__(self, app: FastAPI) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    def __enter__(self) -> Server:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
