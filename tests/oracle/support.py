"""Helpers of the oracle tests: a private anvil whose clock starts before the fixture invoices' dates, the real
deployment with a chosen signer set and a collector, encrypted fixture documents, minting them as the seller, and
running oracle nodes in-process or as real `hundi oracle run` subprocesses."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, select

from hundi.chain.deploy import DeployConfig, deploy_system
from hundi.chain.deployment import Deployment
from hundi.chain.devkeys import dev_account
from hundi.documents import DocumentVault, LocalStore
from hundi.gst.irn import buyer_id, financial_year_of, invoice_key
from hundi.gst.registry import SandboxGstRegistry
from hundi.paths import project_root
from hundi.verification import IST
from oracle.db.models import OutboxReport
from oracle.settings import OracleSettings
from tests.backend.localchain import (
    ADMIN,
    BUYER,
    DAY,
    FAR,
    INVESTOR,
    INVESTORS,
    SELLER,
    SME,
    UNIT,
    Anvil,
    Driver,
    free_port,
)
from tests.fixtures.invoices import InvoiceSpec, make_invoice, render_pdf

#: Chain genesis: 2023-03-01 IST, before every fixture invoice's issue date (they start 2023-04-01).
T0 = int(datetime(2023, 3, 1, 10, 0, tzinfo=IST).timestamp())
GRACE = 30 * DAY
COLLECTOR = 10  # a dev account the tests' deployment gives COLLECTOR_ROLE (apart from the driver's account 0)
DOCUMENT_KEY = bytes(range(1, 33))
ADMIN_TOKEN = "operator-token-0123456789abcdef"
REGISTRY = SandboxGstRegistry()
SELLER_GSTIN = REGISTRY.active("seller")[0].gstin
BUYER_GSTIN = REGISTRY.active("buyer")[0].gstin
STATUS = {"Minted": 1, "Verified": 2, "Rejected": 3, "Listed": 4, "Funded": 5, "Repaid": 6, "Defaulted": 7}


def start_anvil(*extra: str) -> Anvil:
    """A private anvil whose clock starts at T0."""
    return Anvil("--timestamp", str(T0), *extra)


def deploy_oracle_system(
    node: Anvil, out: Path, *, signers: Sequence[int] = (7,), threshold: int = 1, name: str = "oracle-test"
) -> Deployment:
    """The real deployment with `signers` (dev account indexes) at `threshold`, and dev account COLLECTOR holding
    COLLECTOR_ROLE with ETH and stablecoin (not yet approved: the oracle approves the distributor itself)."""
    a0 = dev_account(0).address
    config = DeployConfig(
        admin=a0,
        kyc_officer=a0,
        pauser=a0,
        collector=dev_account(COLLECTOR).address,
        treasury=a0,
        signers=[dev_account(i).address for i in signers],
        threshold=threshold,
        grace_period=GRACE,
    )
    deployment = deploy_system(node.w3, dev_account(0), config, name=name, out=out, progress=lambda _m: None)
    node.rpc("anvil_setBalance", [dev_account(COLLECTOR).address, hex(10**22)])
    return deployment


def onboard(driver: Driver) -> None:
    """KYC the seller and investors, fund investors and the collector with stablecoin (investors approve escrow)."""
    c = driver.c
    driver.send(ADMIN, c.kyc.functions.setKyc(driver.address(SELLER), SME, FAR))
    for i in INVESTORS:
        driver.send(ADMIN, c.kyc.functions.setKyc(driver.address(i), INVESTOR, FAR))
        driver.send(ADMIN, c.stablecoin.functions.mint(driver.address(i), 10_000_000 * UNIT))
        driver.send(i, c.stablecoin.functions.approve(c.escrow.address, 2**256 - 1))
    driver.send(ADMIN, c.stablecoin.functions.mint(dev_account(COLLECTOR).address, 10_000_000 * UNIT))
    driver.send(ADMIN, c.stablecoin.functions.mint(driver.address(BUYER), 10_000_000 * UNIT))
    driver.send(BUYER, c.stablecoin.functions.approve(c.distributor.address, 2**256 - 1))


def vault_at(folder: Path) -> DocumentVault:
    return DocumentVault(LocalStore(folder), DOCUMENT_KEY)


def unix_ist(day: date, hour: int = 11) -> int:
    return int(datetime.combine(day, dtime(hour), IST).timestamp())


@dataclass(frozen=True)
class Minted:
    """A fixture invoice minted on chain."""

    invoice_id: int
    spec: InvoiceSpec
    face_value: int
    cid: str
    digest: bytes


def fixture_invoice(seed: int) -> InvoiceSpec:
    """A text-layer fixture invoice between the sandbox registry's active seller and buyer."""
    return make_invoice(seed, layout="letterhead", seller_gstin=SELLER_GSTIN, buyer_gstin=BUYER_GSTIN)


def mint_fixture(driver: Driver, vault: DocumentVault, seed: int, *, face_value: int | None = None) -> Minted:
    """Store the invoice's PDF encrypted and mint it as the seller; `face_value` overrides the honest total."""
    spec = fixture_invoice(seed)
    truth = spec.truth
    pdf = render_pdf(spec)
    stored = vault.store(pdf)
    face = face_value if face_value is not None else int(truth.total * 10**6)
    request = (
        invoice_key(truth.seller_gstin, financial_year_of(truth.issue_date), "INV", truth.invoice_number),
        buyer_id(truth.buyer_gstin),
        face,
        unix_ist(truth.issue_date),
        unix_ist(truth.due_date),
        stored.doc_digest,
        stored.cid,
    )
    invoice_id = int(driver.c.token.functions.nextInvoiceId().call())
    driver.send(SELLER, driver.c.token.functions.mint(request))
    assert hashlib.sha256(pdf).digest() == stored.doc_digest
    return Minted(invoice_id, spec, face, stored.cid, stored.doc_digest)


def wait_for(predicate: Any, *, timeout: float = 60.0, interval: float = 0.1, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def status_of(driver: Driver, invoice_id: int) -> int:
    return int(driver.c.token.functions.statusOf(invoice_id).call())


def events(driver: Driver, contract: Any, name: str, **filters: Any) -> list[Any]:
    """Every `name` event of `contract` since the deployment (optionally filtered on indexed args)."""
    event = getattr(contract.events, name)()
    logs = event.get_logs(from_block=driver.deployment.deployedAt, argument_filters=filters or None)
    return list(logs)


def oracle_settings(database_url: str, node: Anvil, deployment_path: Path, **extra: Any) -> OracleSettings:
    """Settings of an in-process node on `node` (fast polling, the tests' admin token)."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "rpc_url": node.url,
        "deployment": str(deployment_path),
        "oracle_poll_interval": 0.05,
        "oracle_admin_token": ADMIN_TOKEN,
        "oracle_retry_interval": 0.5,
        **extra,
    }
    return OracleSettings(**values)


def reports(engine: Any) -> list[OutboxReport]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxReport)).all())


# ---------------------------------------------------------------------- real `hundi oracle run` processes


class OracleProcess:
    """`hundi oracle run` as a subprocess with its own database, port and signer."""

    def __init__(
        self,
        node: Anvil,
        deployment_path: Path,
        database_url: str,
        docs_dir: Path,
        *,
        signer: int,
        collector: int | None = None,
        peers: Sequence[str] = (),
        port: int | None = None,
        env: dict[str, str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [
            str(Path(sys.executable).parent / "hundi"),
            "oracle",
            "run",
            "--deployment",
            str(deployment_path),
            "--dev-account",
            str(signer),
            "--rpc-url",
            node.url,
            "--port",
            str(self.port),
            "--database-url",
            database_url,
        ]
        if collector is None:
            self.args += ["--collector", "none"]
        else:
            self.args += ["--collector-dev-account", str(collector)]
        if peers:
            self.args += ["--peers", ",".join(peers)]
        self.env = {
            **os.environ,
            "HUNDI_ROOT": str(project_root()),
            "HUNDI_DOCS_DIR": str(docs_dir),
            "HUNDI_DOCUMENT_KEY": DOCUMENT_KEY.hex(),
            "HUNDI_ORACLE_ADMIN_TOKEN": ADMIN_TOKEN,
            "HUNDI_ORACLE_POLL_INTERVAL": "0.05",
            "HUNDI_ORACLE_SUBMIT_STAGGER": "1.0",
            "HUNDI_ORACLE_RETRY_INTERVAL": "0.5",
            "OMP_THREAD_LIMIT": "1",
            **(env or {}),
        }
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> OracleProcess:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.args, env=self.env, stdout=subprocess.DEVNULL, stderr=log, cwd=project_root(), start_new_session=True
        )
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        def up() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(
                    f"oracle exited with {self.process.returncode} before serving; see {self.log_path}"
                )
            try:
                return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, timeout=timeout, what=f"oracle on port {self.port}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()


class Zygote:
    """Client of tests/oracle/zygote.py: forks `hundi oracle run` processes from a pre-imported parent."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.oracle.zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=project_root(),
            text=True,
            env={**os.environ, "HUNDI_ROOT": str(project_root())},
        )

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer

    def run(self, oracle: OracleProcess) -> ForkedOracle:
        env = {k: v for k, v in oracle.env.items() if k.startswith(("HUNDI_", "OMP_"))}
        log = str(oracle.log_path or os.devnull)
        pid = int(self._ask({"op": "run", "args": oracle.args[3:], "env": env, "log": log})["pid"])
        return ForkedOracle(self, pid)

    def poll(self, pid: int) -> int | None:
        code = self._ask({"op": "poll", "pid": pid})["exit"]
        return None if code is None else int(code)

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait(timeout=10)


@dataclass
class ForkedOracle:
    """One forked oracle process."""

    zygote: Zygote
    pid: int

    def exited(self) -> int | None:
        return self.zygote.poll(self.pid)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        wait_for(lambda: self.exited() is not None, timeout=10, interval=0.02, what=f"pid {self.pid} to die")


@contextlib.contextmanager
def running(*processes: OracleProcess, ready: bool = True) -> Iterator[None]:
    try:
        for p in processes:
            p.start()
        if ready:
            for p in processes:
                p.wait_ready()
        yield
    finally:
        for p in processes:
            p.kill()
