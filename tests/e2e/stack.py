"""The real local stack for the browser tests: exactly what `hundi dev` runs (anvil, the deployment, the demo seed,
the oracle nodes, the indexer and the API serving the built dApp), on free ports, with its deployment file,
databases, documents and logs in a folder of its own.

Why free ports and a folder of its own: the tests must not collide with a developer's running `make dev` (ports
8545/8000/8100, deployments/local.json, var/dev/). The stack is hundi.devstack.stack.Stack itself, so its
supervisor stops every process group it started (no orphaned anvil or uvicorn).

On top of the demo world the tests add people of their own (dev accounts no seed uses), so every balance the
tests assert moves only because of the tests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from web3 import Web3
from web3.contract.contract import ContractFunction

from hundi.chain.deployment import Deployment
from hundi.chain.devkeys import dev_account
from hundi.devstack.stack import Stack as DevStack
from hundi.devstack.stack import StackConfig
from hundi.devstack.supervisor import group_alive, log_tail
from tests.backend.localchain import free_port

SME_ROLE, INVESTOR_ROLE = 1, 2
UNIT = 10**6
#: The people of the browser tests: dev accounts the demo seed does not use, so their balances move only with the
#: tests. (The seed's wallets are 0-9: hundi.devstack.seed.DEMO_WALLETS.)
SME, INVESTOR_A, INVESTOR_B, STRANGER = 11, 12, 13, 14
#: Stablecoin each investor starts with: ₹10 lakh.
INVESTOR_FLOAT = 10_00_000 * UNIT
#: Ether for gas of each test account (anvil funds only the first 10 dev accounts).
GAS_MONEY = 100 * 10**18


@dataclass
class Stack:
    """A running stack; URLs are http://127.0.0.1:<free port>."""

    root: Path
    dev: DevStack
    deployment: Deployment
    w3: Web3

    @property
    def rpc_url(self) -> str:
        return self.dev.config.rpc_url

    @property
    def api_url(self) -> str:
        return self.dev.config.api_url

    @property
    def oracle_url(self) -> str:
        return self.dev.config.oracle_url(0)

    @property
    def deployment_file(self) -> Path:
        return self.dev.config.deployment_file

    @property
    def chain_id(self) -> int:
        return self.deployment.chainId

    def logs(self, lines: int = 15) -> str:
        """The tail of every service's log, for failure messages."""
        parts = []
        for service in self.dev.supervisor.services:
            tail = "\n".join(log_tail(service.log_path, lines))
            parts.append(f"--- {service.name} ({service.log_path}) ---\n{tail}")
        return "\n".join(parts)

    def check_alive(self) -> None:
        """Raise if a service died, with the logs."""
        dead = self.dev.supervisor.dead()
        if dead is not None:
            raise RuntimeError(f"{dead.name} exited with {dead.process.returncode}\n{self.logs()}")


def free_port_pair() -> int:
    """A free port whose successor is free too (oracle node n listens on --oracle-port + n - 1)."""
    for _ in range(50):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports found on 127.0.0.1")


@contextmanager
def running_stack(root: Path, *, progress: bool = True) -> Iterator[Stack]:
    """Start the whole stack under `root`; stop every process on exit (also when starting fails)."""

    def say(message: str) -> None:
        if progress:
            sys.stderr.write(f"[e2e stack] {message}\n")
            sys.stderr.flush()

    config = StackConfig(
        rpc_port=free_port(),
        api_port=free_port(),
        oracle_port=free_port_pair(),
        state_dir=root / "dev",
        deployment_file=root / "deployment.json",
    )
    dev = DevStack(config, echo=say)
    started = time.monotonic()
    groups: list[int] = []
    try:
        dev.start()
        groups = [service.pid for service in dev.supervisor.services]
        assert dev.deployment is not None
        w3 = Web3(Web3.HTTPProvider(config.rpc_url, request_kwargs={"timeout": 60}))
        onboard(w3, dev.deployment)
        say(f"stack up in {time.monotonic() - started:.1f} s: dApp at {config.api_url}, chain at {config.rpc_url}")
        yield Stack(root, dev, dev.deployment, w3)
    finally:
        groups = groups or [service.pid for service in dev.supervisor.services]
        dev.stop()
        require_stopped(groups)


def require_stopped(groups: list[int]) -> None:
    """Fail loudly if a process group the stack started outlived its stop (then kill it, so the machine is clean).

    Raises:
        RuntimeError: naming the surviving process groups.
    """
    survivors = [pgid for pgid in groups if group_alive(pgid)]
    for pgid in survivors:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    if survivors:
        raise RuntimeError(f"process groups {survivors} outlived the stack's stop (killed now): the supervisor leaks")


def send(w3: Web3, who: int, fn: ContractFunction) -> None:
    """Sign `fn` as dev account `who` and wait for it; raise if it reverted."""
    account = dev_account(who)
    tx = fn.build_transaction({"from": account.address, "nonce": w3.eth.get_transaction_count(account.address)})
    signed = account.sign_transaction(cast(dict[str, Any], tx))
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction), timeout=60)
    if receipt["status"] != 1:
        raise RuntimeError(f"setting up the e2e accounts: {fn.fn_name} reverted")


def onboard(w3: Web3, deployment: Deployment) -> None:
    """Give the test people gas, KYC the SME and the investors (as the KYC officer, dev account 0) and give the
    investors stablecoin.

    No allowance is set: the investors' first funding goes through the dApp's approve step.
    """
    for who in (SME, INVESTOR_A, INVESTOR_B, STRANGER):
        w3.provider.make_request("anvil_setBalance", [dev_account(who).address, hex(GAS_MONEY)])  # type: ignore[arg-type]
    c = deployment.handles(w3)
    far = 2**64 - 1
    send(w3, 0, c.kyc.functions.setKyc(dev_account(SME).address, SME_ROLE, far))
    for investor in (INVESTOR_A, INVESTOR_B):
        send(w3, 0, c.kyc.functions.setKyc(dev_account(investor).address, INVESTOR_ROLE, far))
        send(w3, 0, c.stablecoin.functions.mint(dev_account(investor).address, INVESTOR_FLOAT))
