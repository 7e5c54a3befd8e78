"""A small process supervisor for the local stack: start each service in a process group of its own, wait until it
answers, notice when one dies, and stop them all (newest first) so that nothing outlives `hundi dev`.

Every service gets its own session (`start_new_session`), for two reasons: Ctrl-C in the terminal reaches only
`hundi dev`, which then stops the services in order; and stopping a service signals its whole group, so helpers it
spawned go too (node_modules/.bin/anvil is a node wrapper around the real anvil binary: signalling only the wrapper
would orphan a running chain).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

from hundi.errors import HundiError

log = logging.getLogger(__name__)

#: Lines of a service's log shown when it fails.
TAIL_LINES = 30


class DevStackError(HundiError):
    """The local stack cannot start or keep running; the message says what to do next."""


class PortInUse(DevStackError):
    """A port the stack needs is taken."""

    def __init__(self, host: str, port: int, what: str, option: str) -> None:
        self.host, self.port, self.what, self.option = host, port, what, option
        self.hint = ""  # who probably holds it, when known
        super().__init__(
            f"port {port} on {host} ({what}) is already in use, so `hundi dev` started nothing. "
            f"Another `hundi dev` or a leftover process may hold it: see who with `ss -ltnp 'sport = :{port}'`, "
            f"stop it (Ctrl-C in its terminal, or kill <pid>), or move this stack elsewhere with `{option} "
            f"<free port>` (make dev ARGS='{option} <free port>')."
        )

    def __str__(self) -> str:
        message = super().__str__()
        return f"{message}\n{self.hint}" if self.hint else message


class ServiceFailed(DevStackError):
    """A service exited or did not become ready; carries the tail of its log."""

    def __init__(self, name: str, problem: str, log_path: Path) -> None:
        self.name, self.problem, self.log_path = name, problem, log_path
        tail = log_tail(log_path)
        shown = "\n".join(f"    {line}" for line in tail) if tail else "    (the log is empty)"
        super().__init__(
            f"{name} {problem}. Last lines of {log_path}:\n{shown}\n"
            f"Fix the cause above (the full log is {log_path}) and run `make dev` again."
        )


def log_tail(path: Path, lines: int = TAIL_LINES) -> list[str]:
    """The last `lines` lines of a log file ([] when it does not exist)."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]


def port_in_use(host: str, port: int) -> bool:
    """Whether something accepts connections on host:port, or the port cannot be bound there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        if probe.connect_ex((host, port)) == 0:
            return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR as the servers themselves set it: a port in TIME_WAIT from a previous run is free to them.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def check_ports(host: str, ports: Sequence[tuple[int, str, str]]) -> None:
    """Raise PortInUse for the first (port, what, option) that is taken.

    Raises:
        PortInUse: naming the port, the service that needs it and the option that moves it.
    """
    for port, what, option in ports:
        if port_in_use(host, port):
            raise PortInUse(host, port, what, option)


# ---------------------------------------------------------------------------------------------------------------
# Readiness probes


class Probe:
    """Answers whether a started service is ready; `describe` names what it waits for."""

    def describe(self) -> str:
        raise NotImplementedError

    def __call__(self) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class HttpProbe(Probe):
    """Ready when GET `url` answers 200."""

    url: str

    def describe(self) -> str:
        return f"GET {self.url}"

    def __call__(self) -> bool:
        return http_status(self.url) == 200


@dataclass(frozen=True)
class RpcProbe(Probe):
    """Ready when the JSON-RPC node at `url` answers eth_chainId."""

    url: str

    def describe(self) -> str:
        return f"eth_chainId on {self.url}"

    def __call__(self) -> bool:
        return rpc_chain_id(self.url) is not None


@dataclass(frozen=True)
class AliveProbe(Probe):
    """Ready once the process has stayed up for `seconds` (for workers with no endpoint of their own)."""

    seconds: float

    def describe(self) -> str:
        return f"staying up for {self.seconds:g} s"

    def __call__(self) -> bool:
        return True  # the supervisor checks liveness itself; see Supervisor.wait_ready


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The HTTP status of GET `url`, or None when nothing answers."""
    # S310: the URLs are the http://127.0.0.1 addresses this package builds, never user-supplied file: URLs.
    request = urllib.request.Request(url, method="GET")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError):
        return None


def http_json(url: str, timeout: float = 2.0) -> object | None:
    """The JSON body of GET `url` (whatever its status), or None when nothing answers or it is not JSON."""
    request = urllib.request.Request(url, method="GET")  # noqa: S310 (see http_status)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()
    except (OSError, ValueError):
        return None
    try:
        result: object = json.loads(body)
    except ValueError:
        return None
    return result


def rpc_chain_id(url: str, timeout: float = 1.0) -> int | None:
    """eth_chainId of the node at `url`, or None while it is not answering."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(json.load(response)["result"], 16)
    except (OSError, urllib.error.URLError, ValueError, KeyError, TypeError):
        return None


# ---------------------------------------------------------------------------------------------------------------
# Services


@dataclass(frozen=True)
class ServiceSpec:
    """How to run one service of the stack and how to tell that it is ready.

    Attributes:
        name: short name; its log is `<log_dir>/<name>.log`.
        argv: the command line.
        ready: the readiness probe.
        env: extra environment (on top of this process's).
        timeout: seconds to wait for readiness.
        url: what to print for people (e.g. the service's base URL).
    """

    name: str
    argv: Sequence[str]
    ready: Probe
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 60.0
    url: str | None = None


@dataclass
class Service:
    """A started service."""

    spec: ServiceSpec
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]
    started_at: float

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int:
        return self.process.pid


def group_alive(pgid: int) -> bool:
    """Whether any process of process group `pgid` is still alive (zombies of our own children aside)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # killpg(0) also succeeds for zombies; look for a live member in /proc where it exists.
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command: state is the 1st, pgrp the 3rd.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) >= 3 and int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


class Supervisor:
    """Starts services, waits for them, watches them, and stops every one it started (also on errors)."""

    def __init__(self, log_dir: Path, *, base_env: Mapping[str, str] | None = None) -> None:
        self.log_dir = log_dir
        self.base_env = dict(os.environ if base_env is None else base_env)
        self.services: list[Service] = []

    def start(self, spec: ServiceSpec) -> Service:
        """Start `spec` in a session of its own, its output appended to `<log_dir>/<name>.log`."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{spec.name}.log"
        log_file = log_path.open("ab")
        env = {**self.base_env, **spec.env}
        try:
            process = subprocess.Popen(  # noqa: S603 (argv built by this package from fixed commands)
                list(spec.argv),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            log_file.close()
            raise DevStackError(
                f"cannot start {spec.name} ({spec.argv[0]}): {exc}; run `make bootstrap` to install the toolchain"
            ) from exc
        service = Service(spec, process, log_path, log_file, time.monotonic())
        self.services.append(service)
        log.debug("started %s (pid %d): %s", spec.name, process.pid, " ".join(spec.argv))
        return service

    def wait_ready(self, service: Service, *, poll: float = 0.2) -> float:
        """Block until `service` is ready; return the seconds it took.

        Raises:
            ServiceFailed: it exited, or was not ready within its timeout (with the tail of its log).
        """
        spec = service.spec
        deadline = service.started_at + spec.timeout
        while True:
            code = service.process.poll()
            if code is not None:
                raise ServiceFailed(spec.name, f"exited with status {code} while starting", service.log_path)
            if isinstance(spec.ready, AliveProbe):
                if time.monotonic() - service.started_at >= spec.ready.seconds:
                    return time.monotonic() - service.started_at
            elif spec.ready():
                return time.monotonic() - service.started_at
            if time.monotonic() > deadline:
                raise ServiceFailed(
                    spec.name,
                    f"was not ready within {spec.timeout:g} s (waited for {spec.ready.describe()})",
                    service.log_path,
                )
            time.sleep(poll)

    def run(self, spec: ServiceSpec) -> Service:
        """start + wait_ready."""
        service = self.start(spec)
        self.wait_ready(service)
        return service

    def dead(self) -> Service | None:
        """The first service that has exited, if any."""
        return next((s for s in self.services if s.process.poll() is not None), None)

    def stop(self, service: Service, *, grace: float = 10.0) -> None:
        """SIGTERM the service's process group, SIGKILL it after `grace` seconds, and reap the leader."""
        pgid = service.process.pid  # the leader of its own session and group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if service.process.poll() is not None and not group_alive(pgid):
                break
            time.sleep(0.05)
        else:
            log.warning("%s did not stop within %g s; killing it", service.name, grace)
        # Also when the leader exited on SIGTERM: a helper it left behind in the group (the wrapper's child)
        # must not survive it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            service.process.wait(timeout=5)
        service.log_file.close()

    def stop_all(self, *, grace: float = 10.0) -> None:
        """Stop every started service, the most recently started first (the API before the chain it reads)."""
        while self.services:
            service = self.services.pop()
            self.stop(service, grace=grace)

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_all()
