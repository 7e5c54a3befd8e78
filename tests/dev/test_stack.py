"""`hundi dev` as a developer runs it (a real subprocess on free ports): a taken port stops it before anything
starts; a full start answers on every health endpoint, Ctrl-C leaves no process behind, and a second start works."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hundi.devstack.stack import Stack, StackConfig
from hundi.devstack.supervisor import AliveProbe, PortInUse, ServiceFailed, ServiceSpec, group_alive, port_in_use
from hundi.paths import project_root
from tests.backend.localchain import free_port

HUNDI = str(Path(sys.executable).parent / "hundi")
BANNER = "Hundi is running locally"


def free_port_pair() -> int:
    """A free port p with p + 1 free too (the two oracle nodes)."""
    for _ in range(50):
        port = free_port()
        if port < 65535 and not port_in_use("127.0.0.1", port + 1):
            return port
    raise RuntimeError("no two consecutive free ports")


@dataclass
class Ports:
    rpc: int
    api: int
    oracle: int

    def args(self) -> list[str]:
        return ["--rpc-port", str(self.rpc), "--api-port", str(self.api), "--oracle-port", str(self.oracle)]

    def all(self) -> list[int]:
        return [self.rpc, self.api, self.oracle, self.oracle + 1]


@pytest.fixture
def ports() -> Ports:
    return Ports(rpc=free_port(), api=free_port(), oracle=free_port_pair())


class DevRun:
    """A `hundi dev` subprocess whose output is collected line by line."""

    def __init__(self, args: list[str]) -> None:
        self.lines: list[str] = []
        # A session of its own, like a terminal's job: the SIGINT below goes to `hundi dev` alone, as Ctrl-C would.
        self.process = subprocess.Popen(
            [HUNDI, "dev", *args],
            cwd=project_root(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.process.poll() is not None:
                self._reader.join(5)
                if text in self.output:
                    return
                pytest.fail(f"hundi dev exited ({self.process.returncode}) before {text!r}:\n{self.output}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {text!r} within {timeout:g} s:\n{self.output}")
            time.sleep(0.1)

    def interrupt(self, sig: signal.Signals = signal.SIGINT, timeout: float = 30) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        self._reader.join(5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def runs() -> Iterator[list[DevRun]]:
    started: list[DevRun] = []
    yield started
    for run in started:  # a failed assertion must not leave a stack running
        run.kill()


def stack_groups(state: Path) -> list[int]:
    return [int(g) for g in json.loads((state / "stack.json").read_text())["groups"]]


def test_a_taken_port_stops_hundi_dev_before_it_starts_anything(ports: Ports, tmp_path: Path) -> None:
    state = tmp_path / "state"
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports.api))  # the API port is checked last: nothing may start before the check
        squatter.listen()
        result = subprocess.run(
            [HUNDI, "dev", *ports.args(), "--state-dir", str(state), "--deployment-file", str(tmp_path / "d.json")],
            cwd=project_root(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"port {ports.api} on 127.0.0.1 (the API and dApp) is already in use" in result.stderr
    assert "--api-port" in result.stderr
    assert not port_in_use("127.0.0.1", ports.rpc)  # no anvil was started
    assert not state.exists() and not (tmp_path / "d.json").exists()


def test_port_message_points_at_an_earlier_run_that_is_still_alive(ports: Ports, tmp_path: Path) -> None:
    config = StackConfig(rpc_port=ports.rpc, api_port=ports.api, oracle_port=ports.oracle, state_dir=tmp_path)
    (tmp_path / "stack.json").write_text(json.dumps({"pid": os.getpid(), "groups": []}))
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports.rpc))
        squatter.listen()
        with pytest.raises(PortInUse) as failure:
            Stack(config, echo=lambda _line: None).preflight()
    assert f"An earlier `hundi dev` (pid {os.getpid()}) is still running" in str(failure.value)
    assert "--rpc-port" in str(failure.value)


def test_start_answers_on_every_endpoint_then_ctrl_c_stops_everything_and_a_second_start_works(
    ports: Ports, tmp_path: Path, runs: list[DevRun]
) -> None:
    state, deployment = tmp_path / "state", tmp_path / "local.json"
    args = [*ports.args(), "--state-dir", str(state), "--deployment-file", str(deployment)]

    first = DevRun(args)
    runs.append(first)
    first.wait_for(BANNER, timeout=150)
    groups = stack_groups(state)
    assert len(groups) == 5  # anvil, two oracle nodes, indexer, API
    chain = httpx.post(
        f"http://127.0.0.1:{ports.rpc}", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    )
    assert chain.json()["result"] == hex(31337)
    for port in (ports.oracle, ports.oracle + 1, ports.api):
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    ready = httpx.get(f"http://127.0.0.1:{ports.api}/readyz", timeout=10).json()
    assert ready["status"] == "ready" and ready["chainId"] == 31337
    assert (
        "PUBLIC" in first.output
        and "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" in first.output
    )
    for status in ("Defaulted", "Repaid", "Funded", "Listed (open)", "Minted"):
        assert status in first.output
    # The fresh invoice is verified live by the two oracle nodes (2-of-3 signatures exchanged as peers).
    first.wait_for("verified live by the oracle nodes", timeout=90)
    for name in ("anvil", "oracle-1", "oracle-2", "indexer", "api", "seed", "deploy"):
        assert (state / "logs" / f"{name}.log").stat().st_size > 0, name
    first_deployment = json.loads(deployment.read_text())
    (state / "left-by-the-first-run").write_text("stale")

    assert first.interrupt() == 0
    assert "stopped" in first.output
    for pgid in groups:
        assert not group_alive(pgid), f"process group {pgid} survived Ctrl-C"
    for port in ports.all():
        assert not port_in_use("127.0.0.1", port), f"port {port} still taken"
    assert not (state / "stack.json").exists()

    second = DevRun(args)
    runs.append(second)
    second.wait_for(BANNER, timeout=150)
    # A fresh chain, deployment file and state: the first run's files are gone, the API serves the new seed once.
    assert not (state / "left-by-the-first-run").exists()
    assert json.loads(deployment.read_text())["deployedAt"] == first_deployment["deployedAt"]  # same first block
    readyz = httpx.get(f"http://127.0.0.1:{ports.api}/readyz", timeout=10).json()
    assert readyz["status"] == "ready"
    market = httpx.get(f"http://127.0.0.1:{ports.api}/api/v1/invoices/marketplace", timeout=10).json()
    assert sorted(int(item["id"]) for item in market["items"]) == [4, 5]  # the two open listings, not four
    groups = stack_groups(state)
    assert second.interrupt(signal.SIGTERM) == 0  # as a process manager stops it
    for pgid in groups:
        assert not group_alive(pgid)
    for port in ports.all():
        assert not port_in_use("127.0.0.1", port)


def test_a_service_that_dies_stops_the_stack_with_its_log(tmp_path: Path) -> None:
    stack = Stack(StackConfig(state_dir=tmp_path), echo=lambda _line: None)
    code = "import sys, time; time.sleep(0.3); print('indexer: database is locked', flush=True); sys.exit(2)"
    survivor = stack.supervisor.start(
        ServiceSpec("api", [sys.executable, "-c", "import time; time.sleep(60)"], AliveProbe(0))
    )
    stack.supervisor.start(ServiceSpec("indexer", [sys.executable, "-c", code], AliveProbe(0)))
    try:
        with pytest.raises(ServiceFailed) as failure:
            stack.watch(poll=0.05)
    finally:
        stack.stop()
    assert "indexer exited unexpectedly with status 2" in str(failure.value)
    assert "database is locked" in str(failure.value)
    assert not group_alive(survivor.pid)
