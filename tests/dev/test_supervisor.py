"""The process supervisor with real processes: whole process groups stop, failures show the log, ports are checked."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest

from hundi.devstack.supervisor import (
    AliveProbe,
    HttpProbe,
    PortInUse,
    ServiceFailed,
    ServiceSpec,
    Supervisor,
    check_ports,
    group_alive,
    log_tail,
    port_in_use,
)
from tests.backend.localchain import free_port


def group_members(pgid: int) -> list[int]:
    """Live pids of process group `pgid`, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def wait_for(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_stop_ends_the_whole_process_group_including_grandchildren(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    # A wrapper with two children of its own, like node_modules/.bin/anvil (node) around the anvil binary.
    service = supervisor.start(ServiceSpec("wrapper", ["sh", "-c", "sleep 300 & sleep 300 & wait"], AliveProbe(0.1)))
    wait_for(lambda: len(group_members(service.pid)) == 3)
    supervisor.stop_all(grace=5)
    assert group_members(service.pid) == []
    assert not group_alive(service.pid)
    assert supervisor.services == []


def test_a_service_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(300)"
    )
    supervisor = Supervisor(tmp_path)
    service = supervisor.start(ServiceSpec("stubborn", [sys.executable, "-c", code], AliveProbe(0.1)))
    wait_for(lambda: "up" in (tmp_path / "stubborn.log").read_text())
    started = time.monotonic()
    supervisor.stop(service, grace=0.5)
    assert time.monotonic() - started < 5
    assert service.process.returncode == -9
    assert not group_alive(service.pid)


def test_wait_ready_reports_an_early_exit_with_the_tail_of_the_log(tmp_path: Path) -> None:
    code = "import sys; print('\\n'.join(f'line {i}' for i in range(50))); print('boom: no database'); sys.exit(3)"
    with Supervisor(tmp_path) as supervisor:
        service = supervisor.start(
            ServiceSpec("crashy", [sys.executable, "-c", code], HttpProbe("http://127.0.0.1:1/"))
        )
        with pytest.raises(ServiceFailed) as failure:
            supervisor.wait_ready(service)
    message = str(failure.value)
    assert "crashy exited with status 3 while starting" in message
    assert "boom: no database" in message and "line 49" in message
    assert "line 5\n" not in message  # only the tail
    assert str(tmp_path / "crashy.log") in message


def test_wait_ready_times_out_naming_what_it_waited_for(tmp_path: Path) -> None:
    port = free_port()
    spec = ServiceSpec(
        "silent",
        [sys.executable, "-c", "import time; time.sleep(60)"],
        HttpProbe(f"http://127.0.0.1:{port}/healthz"),
        timeout=1.0,
    )
    with Supervisor(tmp_path) as supervisor:
        service = supervisor.start(spec)
        with pytest.raises(
            ServiceFailed, match=rf"was not ready within 1 s \(waited for GET http://127.0.0.1:{port}/healthz\)"
        ):
            supervisor.wait_ready(service)
    assert not group_alive(service.pid)  # leaving the block stopped it


def test_dead_names_a_service_that_exited(tmp_path: Path) -> None:
    with Supervisor(tmp_path) as supervisor:
        alive = supervisor.start(
            ServiceSpec("alive", [sys.executable, "-c", "import time; time.sleep(60)"], AliveProbe(0))
        )
        gone = supervisor.start(ServiceSpec("gone", [sys.executable, "-c", "pass"], AliveProbe(0)))
        wait_for(lambda: gone.process.poll() is not None)
        assert supervisor.dead() is gone
        assert alive.process.poll() is None


def test_child_environment_layers_the_spec_over_the_base(tmp_path: Path) -> None:
    code = "import os; print(os.environ['A'], os.environ['B'], flush=True)"
    with Supervisor(tmp_path, base_env={**os.environ, "A": "base", "B": "base"}) as supervisor:
        service = supervisor.start(ServiceSpec("env", [sys.executable, "-c", code], AliveProbe(0), env={"B": "spec"}))
        service.process.wait(timeout=20)
    assert (tmp_path / "env.log").read_text().strip() == "base spec"


def test_check_ports_names_the_taken_port_and_the_option_that_moves_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert port_in_use("127.0.0.1", port)
        free = free_port()
        check_ports("127.0.0.1", [(free, "the chain", "--rpc-port")])  # a free port passes
        with pytest.raises(PortInUse) as failure:
            check_ports("127.0.0.1", [(free, "the chain", "--rpc-port"), (port, "the API and dApp", "--api-port")])
    message = str(failure.value)
    assert f"port {port} on 127.0.0.1 (the API and dApp) is already in use" in message
    assert "--api-port" in message and f"sport = :{port}" in message


def test_log_tail_of_a_missing_log_is_empty(tmp_path: Path) -> None:
    assert log_tail(tmp_path / "nothing.log") == []
