"""Run the local Hundi stack: anvil, then `hundi deploy`, until Ctrl-C. Started by `make dev`.

Today the stack is the chain and the deployed contracts; the oracle, indexer, API and frontend join it as they
are written (SERVICES.md, "hundi dev").
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import IO, Any

ROOT = Path(os.environ.get("HUNDI_ROOT") or Path(__file__).resolve().parents[2])
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
log = logging.getLogger("dev")


class DevError(Exception):
    """A step of the local stack failed; the message says what to do next."""


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def rpc_chain_id(url: str) -> int | None:
    """eth_chainId from the node at url, or None while it is not answering yet."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    # S310: url is the http:// URL this script built from --host and --port, never user-supplied file: URLs.
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=1) as response:  # noqa: S310
            return int(json.load(response)["result"], 16)
    except (OSError, urllib.error.URLError, ValueError, KeyError):
        return None


def find_anvil() -> str:
    local = ROOT / "node_modules" / ".bin" / "anvil"
    if local.exists():
        return str(local)
    found = shutil.which("anvil")
    if found is None:
        raise DevError(f"{local} is missing; run `make bootstrap` (it installs npm @foundry-rs/anvil)")
    return found


def start_anvil(host: str, port: int, log_file: IO[bytes]) -> subprocess.Popen[bytes]:
    # Its own session: Ctrl-C reaches only this script, which then stops anvil in order.
    return subprocess.Popen(
        [find_anvil(), "--host", host, "--port", str(port)],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for_rpc(url: str, anvil: subprocess.Popen[bytes], log_path: Path, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if anvil.poll() is not None:
            raise DevError(f"anvil exited with status {anvil.returncode}; see {log_path}")
        chain_id = rpc_chain_id(url)
        if chain_id is not None:
            return chain_id
        time.sleep(0.2)
    raise DevError(f"anvil did not answer on {url} within {timeout:g} s; see {log_path}")


def deploy(rpc_url: str, name: str) -> None:
    hundi = shutil.which("hundi") or str(ROOT / ".venv" / "bin" / "hundi")
    command = [hundi, "deploy", "--rpc-url", rpc_url, "--name", name]
    log.info("deploying: %s", " ".join(command))
    status = subprocess.run(command, cwd=ROOT, check=False).returncode
    if status != 0:
        raise DevError(
            f"`hundi deploy` exited with status {status}; fix the error above and run `make dev` again "
            "(or `make dev ARGS=--no-deploy` for the chain alone)"
        )


def addresses(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(name, address) pairs anywhere in a deployment file, e.g. contracts.InvoiceToken.address."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "abi":
                continue
            yield from addresses(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, str) and ADDRESS.match(node):
        yield path.removeprefix("contracts.").removesuffix(".address"), node


def report_deployment(name: str) -> None:
    path = ROOT / "deployments" / f"{name}.json"
    try:
        deployment = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DevError(f"`hundi deploy` succeeded but {path} is unreadable ({exc})") from exc
    # SERVICES.md: {chainId, deployedAt, contracts: {Name: {address, abi}}}; other shapes are searched.
    contracts = deployment.get("contracts") if isinstance(deployment, dict) else None
    found = list(addresses(contracts if isinstance(contracts, dict) else deployment))
    if not found:
        log.warning("%s lists no contract addresses", path)
    width = max((len(label) for label, _ in found), default=0)
    log.info("deployed contracts (%s, chain id %s):", path.relative_to(ROOT), deployment.get("chainId", "?"))
    for label, address in found:
        log.info("  %-*s  %s", width, label, address)


def stop(anvil: subprocess.Popen[bytes]) -> None:
    if anvil.poll() is not None:
        return
    anvil.terminate()
    try:
        anvil.wait(timeout=10)
    except subprocess.TimeoutExpired:
        log.warning("anvil did not stop within 10 s; killing it")
        anvil.kill()
        anvil.wait()


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def run(host: str, port: int, name: str, do_deploy: bool) -> None:
    rpc_url = f"http://{host}:{port}"
    if port_in_use(host, port):
        raise DevError(
            f"{host}:{port} is already in use (another anvil or `make dev`?). "
            f"See who holds it with `ss -ltnp 'sport = :{port}'`, stop it, "
            f"or use another port: make dev ARGS='--port {port + 1}'"
        )
    log_dir = ROOT / "var" / "dev"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "anvil.log"
    signal.signal(signal.SIGTERM, _raise_stop)
    with log_path.open("wb") as log_file:
        anvil = start_anvil(host, port, log_file)
        try:
            chain_id = wait_for_rpc(rpc_url, anvil, log_path)
            log.info("anvil is up: %s (chain id %d, pid %d, log %s)", rpc_url, chain_id, anvil.pid, log_path)
            if do_deploy:
                deploy(rpc_url, name)
                report_deployment(name)
            log.info("running; press Ctrl-C to stop")
            while anvil.poll() is None:
                time.sleep(0.5)
            raise DevError(f"anvil exited unexpectedly with status {anvil.returncode}; see {log_path}")
        except (KeyboardInterrupt, _Stop):
            log.info("stopping anvil")
        finally:
            stop(anvil)
    log.info("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="interface for anvil (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8545, help="anvil's JSON-RPC port (default: %(default)s)")
    parser.add_argument("--name", default="local", help="writes deployments/<name>.json (default: local)")
    parser.add_argument("--no-deploy", action="store_true", help="start the chain only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="dev: %(message)s", stream=sys.stdout)
    try:
        run(args.host, args.port, args.name, do_deploy=not args.no_deploy)
    except DevError as exc:
        log.error("%s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
