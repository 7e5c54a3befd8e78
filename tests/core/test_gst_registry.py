"""The sandbox registry's shipped data, and HttpGstRegistry against a real local HTTP server."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hundi.gst.errors import GstError, InvalidGstin, RegistryError, RegistryUnavailable
from hundi.gst.gstin import validate_gstin
from hundi.gst.registry import CircuitBreaker, GstRegistry, HttpGstRegistry, SandboxGstRegistry

GSTIN = "27AAPFU0939F1ZV"
RECORD = {
    "gstin": GSTIN,
    "lgnm": "United Fabricators Private Limited",
    "tradeNam": "UniFab",
    "sts": "Active",
    "rgdt": "01/07/2017",
    "cxdt": "",
    "ctb": "Private Limited Company",
}

# --- sandbox -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox() -> SandboxGstRegistry:
    return SandboxGstRegistry()


def test_sandbox_ships_enough_valid_taxpayers_across_states(sandbox: SandboxGstRegistry) -> None:
    taxpayers = sandbox.taxpayers()
    assert len(taxpayers) >= 12
    assert all(validate_gstin(t.gstin).valid for t in taxpayers)
    assert len({t.state_code for t in taxpayers}) >= 10
    assert {t.status for t in taxpayers} == {"Active", "Cancelled", "Suspended"}


def test_sandbox_has_active_sellers_and_buyers_for_fixtures(sandbox: SandboxGstRegistry) -> None:
    sellers, buyers = sandbox.active("seller"), sandbox.active("buyer")
    assert len(sellers) >= 4 and len(buyers) >= 4
    assert all(t.is_active for t in sellers + buyers)
    assert all("seller" in sandbox.roles_of(t.gstin) for t in sellers)
    assert len(sandbox.sellers()) > len(sellers)  # some sellers are cancelled or suspended
    assert set(sandbox.active()) == {t for t in sandbox.taxpayers() if t.is_active}


def test_sandbox_lookup_returns_status_and_dates(sandbox: SandboxGstRegistry) -> None:
    cancelled = sandbox.lookup("36AAJCD6642R1ZW")
    assert cancelled is not None
    assert (cancelled.status, cancelled.cancellation_date) == ("Cancelled", date(2023, 9, 30))
    suspended = sandbox.lookup("21AAECK5503G1Z2")
    assert suspended is not None and suspended.status == "Suspended" and suspended.cancellation_date is None
    active = sandbox.lookup("27AAKCS4821M1ZW")
    assert active is not None and active.legal_name == "Shree Ganesh Textiles Private Limited"


def test_sandbox_lookup_normalises_and_misses(sandbox: SandboxGstRegistry) -> None:
    assert sandbox.lookup(" 27aakcs4821m1zw ") == sandbox.lookup("27AAKCS4821M1ZW")
    assert sandbox.lookup(GSTIN) is None


def test_sandbox_lookup_of_a_malformed_gstin_raises(sandbox: SandboxGstRegistry) -> None:
    with pytest.raises(InvalidGstin):
        sandbox.lookup("27AAKCS4821M1ZX")


GOOD_ENTRY = {
    "gstin": GSTIN,
    "legal_name": "X",
    "trade_name": "X",
    "state_code": "27",
    "status": "Active",
    "registration_date": "2017-07-01",
    "cancellation_date": None,
    "roles": ["seller"],
}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"gstin": "27AAPFU0939F1ZW"}, "not valid"),
        ({"gstin": "27aapfu0939f1zv"}, "normalised"),
        ({"state_code": "29"}, "state_code"),
        ({"status": "Inactive"}, "status"),
        ({"status": "Cancelled"}, "cancellation_date"),
        ({"cancellation_date": "2020-01-01"}, "cancellation_date"),
        ({"roles": ["lender"]}, "roles"),
    ],
)
def test_sandbox_file_with_a_bad_entry_is_refused(tmp_path: Path, change: dict[str, Any], reason: str) -> None:
    path = tmp_path / "taxpayers.json"
    path.write_text(json.dumps({"taxpayers": [GOOD_ENTRY | change]}))
    with pytest.raises(GstError, match=reason):
        SandboxGstRegistry.from_file(path)


def test_both_registries_satisfy_the_gst_registry_protocol(sandbox: SandboxGstRegistry) -> None:
    def status_of(registry: GstRegistry, gstin: str) -> str | None:
        taxpayer = registry.lookup(gstin)
        return taxpayer.status if taxpayer else None

    assert status_of(sandbox, "32AADCM7781N1ZZ") == "Cancelled"
    http: GstRegistry = HttpGstRegistry("http://127.0.0.1:9")  # type-checked against the protocol
    assert callable(http.lookup)


def test_sandbox_file_with_good_entries_loads(tmp_path: Path) -> None:
    path = tmp_path / "taxpayers.json"
    path.write_text(json.dumps({"taxpayers": [GOOD_ENTRY]}))
    assert [t.gstin for t in SandboxGstRegistry.from_file(path).active("seller")] == [GSTIN]


# --- a scripted registry server ------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: Any = None
    delay: float = 0.0


@dataclass
class ScriptedRegistry:
    """Answers GET /gst/v1/taxpayers/<gstin> from a script, then with ``default``; records requests."""

    script: list[Reply] = field(default_factory=list)
    default: Reply = field(default_factory=lambda: Reply(200, RECORD))
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    def reply(self) -> Reply:
        return self.script.pop(0) if self.script else self.default


class QuietServer(ThreadingHTTPServer):
    """Does not print a traceback when a client that timed out has already hung up (the point of the test)."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ScriptedRegistry]:
    registry = ScriptedRegistry()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            registry.requests.append((self.path, dict(self.headers)))
            reply = registry.reply()
            if reply.delay:
                time.sleep(reply.delay)
            body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = QuietServer(("127.0.0.1", 0), Handler)
    registry.url = f"http://127.0.0.1:{httpd.server_address[1]}/gst/v1"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield registry
    httpd.shutdown()
    httpd.server_close()


def state(breaker: CircuitBreaker) -> str:
    """The breaker's state, read fresh (a plain function, so type checkers do not narrow it between reads)."""
    return breaker.state


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def client(server: ScriptedRegistry, **kwargs: Any) -> tuple[HttpGstRegistry, list[float]]:
    sleeps: list[float] = []
    kwargs.setdefault("timeout", 2.0)
    registry = HttpGstRegistry(server.url, "test-key", sleep=sleeps.append, rng=random.Random(7), **kwargs)
    return registry, sleeps


def test_lookup_parses_a_gstn_record_and_sends_the_api_key(server: ScriptedRegistry) -> None:
    registry, _ = client(server)
    taxpayer = registry.lookup(GSTIN)
    assert taxpayer is not None
    assert (taxpayer.gstin, taxpayer.legal_name, taxpayer.trade_name) == (GSTIN, RECORD["lgnm"], "UniFab")
    assert (taxpayer.state_code, taxpayer.status, taxpayer.registration_date) == (
        "27",
        "Active",
        date(2017, 7, 1),
    )
    assert taxpayer.cancellation_date is None
    [(path, headers)] = server.requests
    assert path == f"/gst/v1/taxpayers/{GSTIN}"
    assert headers["Authorization"] == "Bearer test-key"
    assert headers["Accept"] == "application/json"


def test_lookup_reads_a_cancellation_date(server: ScriptedRegistry) -> None:
    server.default = Reply(200, RECORD | {"sts": "Cancelled", "cxdt": "31/03/2022"})
    taxpayer = client(server)[0].lookup(GSTIN)
    assert taxpayer is not None and not taxpayer.is_active
    assert taxpayer.cancellation_date == date(2022, 3, 31)


def test_unknown_gstin_404_is_none_without_retry(server: ScriptedRegistry) -> None:
    server.default = Reply(404, {"error": "not found"})
    registry, sleeps = client(server)
    assert registry.lookup(GSTIN) is None
    assert len(server.requests) == 1 and sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 429])
def test_client_errors_are_not_retried(server: ScriptedRegistry, status: int) -> None:
    server.default = Reply(status, {"error": "no"})
    registry, sleeps = client(server)
    with pytest.raises(RegistryError, match=f"HTTP {status}") as info:
        registry.lookup(GSTIN)
    assert not isinstance(info.value, RegistryUnavailable)
    assert len(server.requests) == 1 and sleeps == []
    assert state(registry.breaker) == "closed"


def test_server_errors_are_retried_with_jittered_backoff(server: ScriptedRegistry) -> None:
    server.script = [Reply(503), Reply(502)]
    registry, sleeps = client(server, max_attempts=3, backoff_base=0.5, backoff_max=4.0)
    assert registry.lookup(GSTIN) is not None
    assert len(server.requests) == 3
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0


def test_persistent_server_errors_give_registry_unavailable(server: ScriptedRegistry) -> None:
    server.default = Reply(500, {"error": "down"})
    registry, sleeps = client(server, max_attempts=3)
    with pytest.raises(RegistryUnavailable, match="failed 3 times"):
        registry.lookup(GSTIN)
    assert len(server.requests) == 3 and len(sleeps) == 2


def test_a_slow_answer_times_out_and_is_retried(server: ScriptedRegistry) -> None:
    server.script = [Reply(200, RECORD, delay=0.5)]
    registry, sleeps = client(server, timeout=0.1, max_attempts=2)
    started = time.monotonic()
    assert registry.lookup(GSTIN) is not None
    assert time.monotonic() - started < 0.45  # gave up on the first answer instead of waiting for it
    assert len(server.requests) == 2 and len(sleeps) == 1


def test_timeouts_on_every_attempt_give_registry_unavailable(server: ScriptedRegistry) -> None:
    server.default = Reply(200, RECORD, delay=0.3)
    registry, _ = client(server, timeout=0.05, max_attempts=2)
    with pytest.raises(RegistryUnavailable, match="timed out"):
        registry.lookup(GSTIN)


def test_unreachable_registry_gives_registry_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    registry = HttpGstRegistry(f"http://127.0.0.1:{port}", max_attempts=2, sleep=lambda _: None)
    with pytest.raises(RegistryUnavailable):
        registry.lookup(GSTIN)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>gateway</html>", "unusable"),
        ({"gstin": GSTIN, "sts": "Active", "rgdt": "01/07/2017"}, "unusable"),  # no legal name
        (RECORD | {"sts": "Inactive"}, "unusable"),
        (RECORD | {"rgdt": "2017-07-01"}, "dd/mm/yyyy"),
        (RECORD | {"rgdt": ""}, "no registration date"),
        (RECORD | {"gstin": "29AAFCC9980M1ZR"}, "when asked for"),
    ],
    ids=["not-json", "no-legal-name", "unknown-status", "iso-date", "no-date", "other-gstin"],
)
def test_malformed_record_is_a_registry_error(server: ScriptedRegistry, body: Any, reason: str) -> None:
    server.default = Reply(200, body)
    with pytest.raises(RegistryError, match=reason):
        client(server)[0].lookup(GSTIN)


def test_malformed_gstin_is_refused_without_a_request(server: ScriptedRegistry) -> None:
    with pytest.raises(InvalidGstin):
        client(server)[0].lookup("27AAPFU0939F1ZW")
    assert server.requests == []


# --- circuit breaker -----------------------------------------------------------------------------------


def test_breaker_opens_fails_fast_half_opens_and_closes(server: ScriptedRegistry) -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=30.0, clock=clock)
    registry, _ = client(server, max_attempts=1, breaker=breaker)
    server.default = Reply(500)
    for _ in range(3):
        with pytest.raises(RegistryUnavailable, match="failed 1 times"):
            registry.lookup(GSTIN)
    assert state(breaker) == "open" and len(server.requests) == 3

    with pytest.raises(RegistryUnavailable, match=r"circuit open, next try in 30\.0s"):
        registry.lookup(GSTIN)
    assert len(server.requests) == 3  # failed fast: no request

    clock.advance(29.9)
    assert state(breaker) == "open"
    clock.advance(0.1)
    assert state(breaker) == "half-open"

    server.default = Reply(200, RECORD)
    assert registry.lookup(GSTIN) is not None
    assert state(breaker) == "closed" and len(server.requests) == 4


def test_failed_half_open_trial_reopens_without_retrying(server: ScriptedRegistry) -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=10.0, clock=clock)
    registry, sleeps = client(server, max_attempts=3, breaker=breaker)
    server.default = Reply(500)
    with pytest.raises(RegistryUnavailable, match="circuit open"):
        registry.lookup(GSTIN)  # fails twice, the breaker opens, the third attempt is not made
    assert len(server.requests) == 2 and len(sleeps) == 1

    clock.advance(10.0)
    with pytest.raises(RegistryUnavailable, match="circuit open"):
        registry.lookup(GSTIN)  # one trial, it fails, the breaker re-opens: no retries
    assert len(server.requests) == 3
    assert state(breaker) == "open" and breaker.retry_after() == 10.0


def test_not_found_and_client_errors_count_as_the_registry_being_up(server: ScriptedRegistry) -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=10.0, clock=Clock())
    registry, _ = client(server, max_attempts=1, breaker=breaker)
    for reply in (Reply(500), Reply(404), Reply(500), Reply(401), Reply(500)):
        server.script = [reply]
        expectation: AbstractContextManager[object] = (
            nullcontext() if reply.status == 404 else pytest.raises(RegistryError)
        )
        with expectation:
            registry.lookup(GSTIN)
    assert state(breaker) == "closed"


def test_breaker_counts_only_consecutive_failures() -> None:
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=5.0, clock=Clock())
    for _ in range(2):
        breaker.record_failure()
    breaker.record_success()
    for _ in range(2):
        breaker.record_failure()
    assert state(breaker) == "closed"
    breaker.record_failure()
    assert state(breaker) == "open"


def test_half_open_breaker_lets_exactly_one_trial_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=5.0, clock=clock)
    breaker.record_failure()
    assert not breaker.allow_request()
    clock.advance(5.0)
    assert breaker.allow_request()
    assert not breaker.allow_request()  # a second caller while the trial is in flight
    breaker.record_success()
    assert breaker.allow_request() and state(breaker) == "closed"


@pytest.mark.parametrize("kwargs", [{"failure_threshold": 0}, {"reset_timeout": 0}])
def test_breaker_rejects_nonsense_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(**kwargs)  # type: ignore[arg-type]


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    registry = HttpGstRegistry("http://127.0.0.1:9", backoff_base=0.25, backoff_max=2.0, rng=random.Random(1))
    for attempt, cap in [(1, 0.25), (2, 0.5), (3, 1.0), (4, 2.0), (9, 2.0)]:
        samples = [registry.backoff(attempt) for _ in range(200)]
        assert all(0.0 <= s <= cap for s in samples)
        assert max(samples) > cap * 0.8  # spread over the whole range, not a fixed delay
