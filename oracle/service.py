"""Wires one oracle node together and runs it: the chain loop in a thread (watcher -> verification pipeline ->
outbox -> transaction managers -> keepers, repeated; it sleeps only when a round made no progress) and the HTTP app
under uvicorn in the main thread."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from sqlmodel import Session, func, select

from hundi.chain.deployment import Deployment
from hundi.documents import DocumentVault, IpfsStore, LocalStore
from hundi.documents.settings import DocumentSettings
from hundi.gst.registry import GstRegistry, HttpGstRegistry, SandboxGstRegistry
from oracle.bank.intake import BankIntake
from oracle.chain import Chain
from oracle.crash import CrashPlan
from oracle.db.models import OracleTx, OutboxReport
from oracle.db.session import make_engine, migrate
from oracle.directory import Directory
from oracle.keepers import Keepers
from oracle.metrics import OracleMetrics
from oracle.outbox import Outbox
from oracle.peers import PeerClient
from oracle.pipeline import VerificationPipeline
from oracle.settings import OracleSettings
from oracle.txmanager import TxManager
from oracle.watcher import Event, Watcher

log = logging.getLogger("hundi.oracle")


@dataclass
class Accounts:
    """The node's keys: the signer (reports, verification and keeper transactions) and the optional collector
    (settles bank repayments: holds COLLECTOR_ROLE and the stablecoin)."""

    signer: LocalAccount
    collector: LocalAccount | None


def document_vault(docs: DocumentSettings, store: str) -> DocumentVault:
    """The encrypted document store the pipeline reads (local folder by default, IPFS with store='ipfs')."""
    backend = IpfsStore(docs.ipfs_api) if store == "ipfs" else LocalStore(docs.local_docs_dir())
    return DocumentVault(backend, docs.operator_key())


def gst_registry(settings: OracleSettings) -> GstRegistry:
    if settings.oracle_gst_registry_url:
        key = settings.oracle_gst_registry_key.get_secret_value() if settings.oracle_gst_registry_key else ""
        return HttpGstRegistry(settings.oracle_gst_registry_url, key)
    return SandboxGstRegistry()


class OracleService:
    """One operator node."""

    def __init__(
        self,
        settings: OracleSettings,
        deployment: Deployment,
        accounts: Accounts,
        *,
        chain: Chain | None = None,
        vault: DocumentVault | None = None,
        registry: GstRegistry | None = None,
        document_store: str = "local",
    ) -> None:
        self.settings = settings
        self.deployment = deployment
        self.accounts = accounts
        self.chain = chain or Chain(settings.rpc_url, deployment)
        settings.check_for_chain(self.chain.chain_id)
        if self.chain.chain_id != deployment.chainId:
            raise RuntimeError(
                f"the node at {settings.rpc_url} is chain {self.chain.chain_id}, the deployment is for chain "
                f"{deployment.chainId}: point --rpc-url at the deployment's chain"
            )
        self.crash = CrashPlan(settings.oracle_crash_at)
        self.metrics = OracleMetrics()
        self.wake = threading.Event()
        self.stop_event = threading.Event()
        self.last_tick = time.monotonic()

        migrate(settings.database_url)
        self.engine = make_engine(settings.database_url)

        self.signer_tx = TxManager(self.chain, self.engine, accounts.signer, settings, crash=self.crash)
        self.collector_tx = (
            TxManager(self.chain, self.engine, accounts.collector, settings, crash=self.crash)
            if accounts.collector is not None
            else None
        )
        self.peers = PeerClient(settings.peers)
        self.outbox = Outbox(
            self.chain,
            self.engine,
            accounts.signer,
            settings,
            signer_tx=self.signer_tx,
            collector_tx=self.collector_tx,
            peers=self.peers,
            crash=self.crash,
            wake=self.wake,
        )
        decimals = int(self.chain.c.stablecoin.functions.decimals().call())
        self.pipeline = VerificationPipeline(
            self.engine,
            self.outbox,
            vault or document_vault(DocumentSettings(chain_id=self.chain.chain_id), document_store),
            registry or gst_registry(settings),
            decimals=decimals,
            retry_interval=settings.oracle_retry_interval,
            crash=self.crash,
            on_verified=lambda _id, seconds: self.metrics.verify_seconds.observe(seconds),
        )
        self.watcher = Watcher(
            self.chain,
            self.engine,
            confirmations=settings.confirmations_for(self.chain.chain_id),
            max_range=settings.oracle_max_range,
            crash=self.crash,
            on_event=self._count_event,
            wake=self.wake,
        )
        self.keepers = (
            Keepers(
                self.chain,
                self.engine,
                self.signer_tx,
                batch=settings.oracle_claim_batch,
                retry_interval=settings.oracle_retry_interval,
            )
            if settings.oracle_keepers
            else None
        )
        self.directory = Directory()
        secrets = settings.bank_secrets()
        self.intake = (
            BankIntake(self.engine, self.directory, self.outbox, secrets, decimals=decimals) if secrets else None
        )
        self._thread: threading.Thread | None = None
        self._steps: list[tuple[str, Callable[[], bool]]] = [
            ("watcher", self.watcher.tick),
            ("pipeline", self.pipeline.tick),
            ("outbox", self.outbox.tick),
            ("signer-tx", self.signer_tx.tick),
        ]
        if self.collector_tx is not None:
            self._steps.append(("collector-tx", self.collector_tx.tick))
        if self.keepers is not None:
            self._steps.append(("keepers", self.keepers.tick))

    def _count_event(self, event: Event) -> None:
        self.metrics.events.labels(event.name).inc()

    # ------------------------------------------------------------------ the chain loop

    def tick(self) -> bool:
        """One round of every step; returns whether any made progress. Errors are logged and counted, never fatal:
        the next round retries from the database."""
        progressed = False
        for name, step in self._steps:
            try:
                progressed |= step()
            except Exception:
                self.metrics.loop_errors.labels(name).inc()
                log.exception("chain loop step failed; retrying next round", extra={"step": name})
                time.sleep(min(1.0, self.settings.oracle_poll_interval * 4))
        self.last_tick = time.monotonic()
        return progressed

    def run_loop(self) -> None:
        """Tick until stopped; sleep (woken early by new work) when a round changed nothing."""
        log.info(
            "oracle loop started",
            extra={
                "signer": self.accounts.signer.address,
                "collector": self.accounts.collector.address if self.accounts.collector else None,
                "chain": self.chain.chain_id,
                "peers": self.settings.peers,
            },
        )
        while not self.stop_event.is_set():
            if not self.tick():
                self.wake.wait(self.settings.oracle_poll_interval)
                self.wake.clear()

    def start(self) -> None:
        """Run the chain loop in a background thread."""
        self._thread = threading.Thread(target=self.run_loop, name="oracle-loop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.peers.close()
        self.engine.dispose()

    def serve(self, host: str, port: int) -> None:
        """Start the loop and serve HTTP until interrupted (Ctrl-C or SIGTERM stop both cleanly)."""
        from oracle.app import create_app

        self.start()
        config = uvicorn.Config(create_app(self), host=host, port=port, log_config=None, access_log=False)
        server = uvicorn.Server(config)
        try:
            server.run()
        finally:
            self.stop()

    # ------------------------------------------------------------------ status

    def chain_status(self) -> dict[str, Any]:
        """What the status endpoint reports about the chain side."""
        signer = to_checksum_address(self.accounts.signer.address)
        body: dict[str, Any] = {
            "chainId": self.chain.chain_id,
            "lastBlock": self.watcher.last_block,
            "head": self.watcher.head,
            "signer": signer,
            "signerBalance": str(self.chain.balance(signer)),
            "collector": self.accounts.collector.address if self.accounts.collector else None,
            "peers": self.settings.peers,
        }
        signers = self.chain.signer_set()
        body["signerSet"] = {"signers": list(signers.signers), "threshold": signers.threshold}
        body["isSigner"] = signer in signers.signers
        return body

    def refresh_gauges(self) -> None:
        with Session(self.engine) as session:
            for status, count in session.exec(select(OutboxReport.status, func.count()).group_by(OutboxReport.status)):
                self.metrics.reports.labels(status).set(count)
            for status, count in session.exec(select(OracleTx.status, func.count()).group_by(OracleTx.status)):
                self.metrics.transactions.labels(status).set(count)
        self.metrics.last_block.set(self.watcher.last_block)
        self.metrics.head.set(self.watcher.head)
        try:
            self.metrics.signer_balance.set(self.chain.balance(self.accounts.signer.address))
        except Exception:
            log.debug("signer balance unavailable")
