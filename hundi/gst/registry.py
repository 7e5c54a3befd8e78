"""GST registration lookups: the ``GstRegistry`` protocol, a shipped sandbox and an HTTP client.

``HttpGstRegistry`` talks to a GST Suvidha Provider-style proxy of GSTN's "search taxpayer" API:

* ``GET {base_url}/taxpayers/{gstin}`` with ``Authorization: Bearer {api_key}``, ``Accept: application/json``;
* 200 with GSTN's field names: ``gstin``, ``lgnm`` (legal name), ``tradeNam``, ``sts`` (status),
  ``rgdt`` (registration date, dd/mm/yyyy), ``cxdt`` (cancellation date, dd/mm/yyyy or empty);
* 404 when GSTN has no such registration.

Transient failures (5xx, timeouts, connection errors) are retried with capped exponential backoff and full
jitter; other 4xx answers are not, since asking again cannot change them. A circuit breaker stops calling a
registry that keeps failing, so a GSTN outage costs each caller one fast error instead of a timeout.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx

from hundi.gst.errors import GstError, RegistryError, RegistryUnavailable
from hundi.gst.gstin import require_valid_gstin, validate_gstin

log = logging.getLogger(__name__)

TaxpayerStatus = Literal["Active", "Cancelled", "Suspended"]
Role = Literal["seller", "buyer"]
_STATUSES: tuple[TaxpayerStatus, ...] = ("Active", "Cancelled", "Suspended")


@dataclass(frozen=True)
class Taxpayer:
    """One GST registration."""

    gstin: str
    legal_name: str
    trade_name: str
    state_code: str
    status: TaxpayerStatus
    registration_date: date
    cancellation_date: date | None = None
    constitution: str | None = None

    @property
    def is_active(self) -> bool:
        return self.status == "Active"


class GstRegistry(Protocol):
    """Looks up GST registrations."""

    def lookup(self, gstin: str) -> Taxpayer | None:
        """The registration of ``gstin``, or None if there is none.

        Raises:
            InvalidGstin: when ``gstin`` is malformed (no registry is asked).
            RegistryUnavailable: when the registry cannot answer now.
        """
        ...


def _status(value: Any, where: str) -> TaxpayerStatus:
    for status in _STATUSES:
        if value == status:
            return status
    raise GstError(f"{where}: status {value!r} is not one of {', '.join(_STATUSES)}")


# --- sandbox -------------------------------------------------------------------------------------------


class SandboxGstRegistry:
    """Fictitious taxpayers shipped with the package (``hundi/data/sandbox_taxpayers.json``).

    Every GSTIN in it is structurally valid. Each entry also says whether it plays a seller (SME) or a
    buyer (large corporate) in tests, OCR fixtures and demo seeds.
    """

    def __init__(self, entries: Iterable[tuple[Taxpayer, frozenset[Role]]] | None = None) -> None:
        if entries is None:
            entries = self._parse(self._default_text(), "sandbox_taxpayers.json")
        self._by_gstin: dict[str, Taxpayer] = {}
        self._roles: dict[str, frozenset[Role]] = {}
        for taxpayer, roles in entries:
            self._by_gstin[taxpayer.gstin] = taxpayer
            self._roles[taxpayer.gstin] = roles

    @classmethod
    def from_file(cls, path: Path | str) -> SandboxGstRegistry:
        return cls(cls._parse(Path(path).read_text(encoding="utf-8"), str(path)))

    @staticmethod
    def _default_text() -> str:
        return resources.files("hundi").joinpath("data/sandbox_taxpayers.json").read_text(encoding="utf-8")

    @staticmethod
    def _parse(text: str, source: str) -> list[tuple[Taxpayer, frozenset[Role]]]:
        entries = []
        for index, raw in enumerate(json.loads(text)["taxpayers"]):
            where = f"{source} taxpayer #{index}"
            check = validate_gstin(raw["gstin"])
            if not check.valid or check.gstin != raw["gstin"]:
                raise GstError(f"{where}: GSTIN {raw['gstin']!r} is not valid and normalised: {check.reasons}")
            if raw["state_code"] != raw["gstin"][:2]:
                raise GstError(f"{where}: state_code {raw['state_code']} differs from the GSTIN's")
            status = _status(raw["status"], where)
            cancelled = raw.get("cancellation_date")
            if (status == "Cancelled") != (cancelled is not None):
                raise GstError(f"{where}: a cancellation_date is required exactly when status is Cancelled")
            roles = frozenset(raw.get("roles", []))
            if not roles <= {"seller", "buyer"}:
                raise GstError(f"{where}: roles must be 'seller' and/or 'buyer'")
            taxpayer = Taxpayer(
                gstin=raw["gstin"],
                legal_name=raw["legal_name"],
                trade_name=raw["trade_name"],
                state_code=raw["state_code"],
                status=status,
                registration_date=date.fromisoformat(raw["registration_date"]),
                cancellation_date=date.fromisoformat(cancelled) if cancelled else None,
                constitution=raw.get("constitution"),
            )
            entries.append((taxpayer, roles))
        return entries

    def lookup(self, gstin: str) -> Taxpayer | None:
        return self._by_gstin.get(require_valid_gstin(gstin))

    def taxpayers(self) -> list[Taxpayer]:
        return list(self._by_gstin.values())

    def roles_of(self, gstin: str) -> frozenset[Role]:
        return self._roles.get(require_valid_gstin(gstin), frozenset())

    def active(self, role: Role | None = None) -> list[Taxpayer]:
        """Active registrations, optionally only those playing ``role``: what demo seeds and fixtures want."""
        return [t for t in self._by_gstin.values() if t.is_active and (role is None or role in self._roles[t.gstin])]

    def sellers(self) -> list[Taxpayer]:
        return [t for t in self._by_gstin.values() if "seller" in self._roles[t.gstin]]

    def buyers(self) -> list[Taxpayer]:
        return [t for t in self._by_gstin.values() if "buyer" in self._roles[t.gstin]]


# --- circuit breaker -----------------------------------------------------------------------------------

BreakerState = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    """Closed -> open after ``failure_threshold`` consecutive failures -> half-open after ``reset_timeout``.

    Half-open lets one trial call through: success closes the breaker, failure opens it for another
    ``reset_timeout``.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or reset_timeout <= 0:
            raise ValueError("failure_threshold must be >= 1 and reset_timeout > 0")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_timeout:
            return "half-open"
        return "open"

    def retry_after(self) -> float:
        """Seconds until an open breaker lets a trial call through (0 when not open)."""
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self.reset_timeout - (self._clock() - self._opened_at))

    def allow_request(self) -> bool:
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half-open" and not self._trial_in_flight:
                self._trial_in_flight = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            if self._trial_in_flight or self._opened_at is not None:
                self._opened_at = self._clock()  # a failed trial re-opens for a full timeout
                self._trial_in_flight = False
                return
            self._failures += 1
            if self._failures >= self.failure_threshold:
                self._opened_at = self._clock()
                log.warning("GST registry circuit opened after %d consecutive failures", self._failures)


# --- HTTP ----------------------------------------------------------------------------------------------


class _Transient(Exception):
    """A failure worth retrying."""


def _gstn_date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return datetime.strptime(str(value), "%d/%m/%Y").date()
    except ValueError:
        raise RegistryError(f"registry sent {field}={value!r}, expected dd/mm/yyyy") from None


class HttpGstRegistry:
    """A GST registry behind HTTP, with timeouts, retries and a circuit breaker."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 5.0,
        max_attempts: int = 3,
        backoff_base: float = 0.25,
        backoff_max: float = 4.0,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(base_url=base_url, headers=headers, timeout=timeout)
        self.base_url = base_url
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.breaker = breaker or CircuitBreaker()
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter spreads retries; it guards no secret

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpGstRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def backoff(self, attempt: int) -> float:
        """Full-jitter backoff before retry ``attempt`` (1-based): uniform in [0, min(max, base*2^(n-1))]."""
        return self._rng.uniform(0.0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))

    def lookup(self, gstin: str) -> Taxpayer | None:
        normalised = require_valid_gstin(gstin)
        last: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            if not self.breaker.allow_request():
                raise RegistryUnavailable(
                    f"GST registry at {self.base_url} is failing; circuit open, next try in "
                    f"{self.breaker.retry_after():.1f}s"
                ) from last
            try:
                response = self._client.get(f"/taxpayers/{normalised}")
                if response.status_code >= 500:
                    raise _Transient(f"HTTP {response.status_code}")
            except (httpx.TimeoutException, httpx.TransportError, _Transient) as exc:
                self.breaker.record_failure()
                last = exc
                reason = "timed out" if isinstance(exc, httpx.TimeoutException) else str(exc) or repr(exc)
                log.warning(
                    "GST registry lookup %s failed (attempt %d/%d): %s",
                    normalised,
                    attempt,
                    self.max_attempts,
                    reason,
                )
                # No pause when the breaker has just opened: the next pass fails fast without a request.
                if attempt < self.max_attempts and self.breaker.state == "closed":
                    self._sleep(self.backoff(attempt))
                continue
            # The registry answered: any 4xx is about the request, not the registry's health.
            self.breaker.record_success()
            return self._taxpayer(response, normalised)
        raise RegistryUnavailable(
            f"GST registry at {self.base_url} failed {self.max_attempts} times for {normalised}: {last}"
        ) from last

    @staticmethod
    def _taxpayer(response: httpx.Response, gstin: str) -> Taxpayer | None:
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RegistryError(f"GST registry refused the lookup of {gstin}: HTTP {response.status_code}")
        try:
            body = response.json()
            legal_name = str(body["lgnm"])
            status = _status(body["sts"], "registry response")
        except (ValueError, KeyError, TypeError, GstError) as exc:
            raise RegistryError(f"GST registry sent an unusable record for {gstin}: {exc}") from exc
        if body.get("gstin", gstin) != gstin:
            raise RegistryError(f"GST registry answered for {body.get('gstin')!r} when asked for {gstin}")
        registered = _gstn_date(body.get("rgdt"), "rgdt")
        if registered is None:
            raise RegistryError(f"GST registry record for {gstin} has no registration date")
        return Taxpayer(
            gstin=gstin,
            legal_name=legal_name,
            trade_name=str(body.get("tradeNam") or legal_name),
            state_code=gstin[:2],
            status=status,
            registration_date=registered,
            cancellation_date=_gstn_date(body.get("cxdt"), "cxdt"),
            constitution=body.get("ctb"),
        )
