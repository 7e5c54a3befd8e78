"""Prometheus metrics of one oracle node (a registry of its own, so several nodes can live in one test process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class OracleMetrics:
    """The node's counters, gauges and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.reports = Gauge("hundi_oracle_reports", "Reports in the outbox by status", ["status"], registry=r)
        self.transactions = Gauge("hundi_oracle_transactions", "Transactions by status", ["status"], registry=r)
        self.last_block = Gauge("hundi_oracle_last_block", "Last block the watcher fully processed", registry=r)
        self.head = Gauge("hundi_oracle_chain_head", "Chain head at the last poll", registry=r)
        self.signer_balance = Gauge("hundi_oracle_signer_balance_wei", "Signer account balance", registry=r)
        self.loop_errors = Counter(
            "hundi_oracle_loop_errors", "Exceptions caught by the chain loop", ["step"], registry=r
        )
        self.events = Counter("hundi_oracle_events", "Chain events applied", ["event"], registry=r)
        self.verify_seconds = Histogram(
            "hundi_oracle_verification_seconds",
            "Time to verify one invoice (fetch, decrypt, OCR, checks, risk)",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
            registry=r,
        )
