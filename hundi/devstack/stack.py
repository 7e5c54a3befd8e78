"""The local stack `hundi dev` runs: anvil, the deployment, the demo seed, the oracle nodes, the indexer and the API.

Each run is fresh: a new chain, a new `deployments/local.json`, and new databases, documents and logs under
`var/dev/` (the previous run's files belonged to a chain that no longer exists, so they are removed first). The
services are a list of `ServiceSpec`s run by the `Supervisor`; `hundi dev --without api` (or oracle, indexer)
leaves one out.

The local deployment's oracle signers are dev accounts 7, 8 and 9 with threshold 2 (DeployConfig.local_defaults),
so the stack runs two oracle nodes (accounts 7 and 8) that exchange signatures as peers: k of n, live.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from hundi.chain.deployment import Deployment
from hundi.chain.devkeys import dev_account
from hundi.devstack.supervisor import (
    AliveProbe,
    DevStackError,
    HttpProbe,
    PortInUse,
    RpcProbe,
    Service,
    ServiceFailed,
    ServiceSpec,
    Supervisor,
    check_ports,
    group_alive,
    http_json,
)
from hundi.paths import project_root

log = logging.getLogger(__name__)

SERVICES = ("oracle", "indexer", "api")
#: Oracle signers of the local deployment, in the order the oracle nodes use them (DeployConfig.local_defaults).
ORACLE_SIGNERS = (7, 8, 9)
#: The document key of local stacks: public (derived from a fixed string), accepted on local chains only. Set
#: HUNDI_DOCUMENT_KEY to use another.
DEV_DOCUMENT_KEY = hashlib.sha256(b"hundi local development document key").hexdigest()
#: The bank webhook secret every local oracle accepts (oracle/settings.py LOCAL_BANK_SECRET).
LOCAL_BANK_SECRET = "hundi-local-bank-secret"  # noqa: S105 (public, refused by the oracle off local chains)
#: How far in the past anvil's genesis block is: the seed's history (a default needs dueDate + 30 days of grace
#: to pass) happens then, and the seed's time jump lands on the wall clock.
HISTORY_DAYS = 40


@dataclass
class StackConfig:
    """Where the stack listens and keeps its files; what it runs."""

    host: str = "127.0.0.1"
    rpc_port: int = 8545
    api_port: int = 8000
    oracle_port: int = 8100
    state_dir: Path = field(default_factory=lambda: project_root() / "var" / "dev")
    deployment_file: Path = field(default_factory=lambda: project_root() / "deployments" / "local.json")
    services: tuple[str, ...] = SERVICES
    seed: bool = True
    oracle_nodes: int | None = None  # None: the deployment's threshold
    ready_timeout: float = 90.0

    @property
    def rpc_url(self) -> str:
        return f"http://{self.host}:{self.rpc_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    def oracle_url(self, node: int) -> str:
        return f"http://{self.host}:{self.oracle_port + node}"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def docs_dir(self) -> Path:
        return self.state_dir / "docs"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.state_dir / 'hundi.db'}"

    def oracle_database_url(self, node: int) -> str:
        return f"sqlite:///{self.state_dir / f'oracle-{node + 1}.db'}"

    @property
    def stack_file(self) -> Path:
        """Who is running: this process and its services' process groups (for the port-in-use message)."""
        return self.state_dir / "stack.json"


def document_key() -> str:
    """HUNDI_DOCUMENT_KEY when set, else the public local development key."""
    return os.environ.get("HUNDI_DOCUMENT_KEY", "").strip() or DEV_DOCUMENT_KEY


def hundi_command() -> list[str]:
    """How to run the `hundi` CLI in a child process: the venv's script beside this interpreter, else -c."""
    script = Path(sys.executable).parent / "hundi"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from hundi.cli import main; main()"]


def anvil_command() -> str:
    """node_modules/.bin/anvil of the project (what `make bootstrap` installs), else anvil on PATH."""
    local = project_root() / "node_modules" / ".bin" / "anvil"
    if local.exists():
        return str(local)
    found = shutil.which("anvil")
    if found is None:
        raise DevStackError(f"anvil is missing ({local}); run `make bootstrap` (it installs npm @foundry-rs/anvil)")
    return found


class _Stop(Exception):
    """SIGTERM or SIGHUP: stop like Ctrl-C."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


@contextlib.contextmanager
def _stop_signals() -> Iterator[None]:
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Stack:
    """One run of the local stack. `run()` blocks until Ctrl-C (or a service dies) and always stops everything."""

    def __init__(self, config: StackConfig, echo: Callable[[str], None]) -> None:
        self.config = config
        self.echo = echo
        self.supervisor = Supervisor(config.log_dir, base_env={**os.environ, **self.child_env()})
        self.deployment: Deployment | None = None
        self.seeded: object | None = None
        self.admin_token = secrets.token_hex(16)
        self.oracle_nodes = 0
        self._minted_id: int | None = None

    # ------------------------------------------------------------------------------------------------ checks

    def ports(self) -> list[tuple[int, str, str]]:
        c = self.config
        wanted = [(c.rpc_port, "the anvil JSON-RPC endpoint", "--rpc-port")]
        if "oracle" in c.services:
            nodes = c.oracle_nodes or 2
            wanted += [(c.oracle_port + i, f"oracle node {i + 1}", "--oracle-port") for i in range(nodes)]
        if "api" in c.services:
            wanted.append((c.api_port, "the API and dApp", "--api-port"))
        return wanted

    def preflight(self) -> None:
        """Every port free before anything starts, so a clash leaves nothing behind.

        Raises:
            PortInUse: with who probably holds it when an earlier `hundi dev` of this checkout is still running.
        """
        try:
            check_ports(self.config.host, self.ports())
        except PortInUse as exc:
            exc.hint = self._previous_run_hint()
            raise

    def _previous_run_hint(self) -> str:
        try:
            previous = json.loads(self.config.stack_file.read_text())
        except (OSError, ValueError):
            return ""
        pid = previous.get("pid")
        groups = [g for g in previous.get("groups", []) if isinstance(g, int) and group_alive(g)]
        if isinstance(pid, int) and _alive(pid):
            return f"An earlier `hundi dev` (pid {pid}) is still running: Ctrl-C it in its terminal, or `kill {pid}`."
        if groups:
            kills = " ".join(f"-{g}" for g in groups)
            return f"An earlier `hundi dev` died and left its services running; stop them with `kill -- {kills}`."
        return ""

    # ------------------------------------------------------------------------------------------------ steps

    def reset_state(self) -> None:
        """Remove the previous run's databases, documents and logs: they describe a chain that is gone."""
        state = self.config.state_dir
        if state.exists():
            shutil.rmtree(state)
        self.config.log_dir.mkdir(parents=True)
        self.config.docs_dir.mkdir(parents=True)

    def child_env(self) -> dict[str, str]:
        """What every service reads: the chain, the deployment, this run's database and documents."""
        c = self.config
        return {
            "HUNDI_ROOT": str(project_root()),
            "HUNDI_RPC_URL": c.rpc_url,
            "HUNDI_DEPLOYMENT": str(c.deployment_file),
            "HUNDI_DATABASE_URL": c.database_url,
            "HUNDI_CHAIN_ID": "31337",
            "HUNDI_DOCUMENT_KEY": document_key(),
            "HUNDI_DOCS_DIR": str(c.docs_dir),
            "PYTHONUNBUFFERED": "1",
        }

    def start_chain(self) -> None:
        c = self.config
        genesis = int(time.time()) - HISTORY_DAYS * 86400 if c.seed else int(time.time())
        spec = ServiceSpec(
            name="anvil",
            argv=[anvil_command(), "--host", c.host, "--port", str(c.rpc_port), "--timestamp", str(genesis)],
            ready=RpcProbe(c.rpc_url),
            timeout=30,
            url=c.rpc_url,
        )
        self._start(spec, "chain")

    def deploy(self) -> Deployment:
        from web3 import Web3

        from hundi.chain.deploy import DeployConfig, deploy_system

        c = self.config
        w3 = Web3(Web3.HTTPProvider(c.rpc_url, request_kwargs={"timeout": 60}))
        started = time.monotonic()
        with (c.log_dir / "deploy.log").open("a") as out:

            def progress(line: str) -> None:
                out.write(line + "\n")

            deployment = deploy_system(
                w3,
                dev_account(0),
                DeployConfig.local_defaults(),
                name=c.deployment_file.stem,
                out=c.deployment_file,
                progress=progress,
            )
        self.echo(
            f"  deployed      {len(deployment.contracts)} contracts to chain {deployment.chainId} -> "
            f"{_shown(c.deployment_file)} ({time.monotonic() - started:.1f} s)"
        )
        self.deployment = deployment
        return deployment

    def seed(self, deployment: Deployment) -> None:
        from web3 import Web3

        from hundi.devstack.seed import seed
        from hundi.documents import DocumentVault, LocalStore
        from hundi.documents.crypto import decode_key

        c = self.config
        w3 = Web3(Web3.HTTPProvider(c.rpc_url, request_kwargs={"timeout": 60}))
        vault = DocumentVault(LocalStore(c.docs_dir), decode_key(document_key()))
        with (c.log_dir / "seed.log").open("a") as out:

            def progress(line: str) -> None:
                out.write(line + "\n")
                out.flush()

            result = seed(w3, deployment, vault, progress=progress)
        self.seeded = result
        self._minted_id = result.invoices["minted"].invoice_id if "minted" in result.invoices else None
        self.echo(
            f"  seeded        {len(result.invoices)} invoices in every status (log: {_shown(c.log_dir)}/seed.log)"
        )

    def oracle_specs(self, deployment: Deployment) -> list[ServiceSpec]:
        """One node per signature the deployment's threshold asks for; node 1 also collects bank repayments."""
        c = self.config
        threshold = int(deployment.config.get("threshold", 1))
        nodes = c.oracle_nodes or threshold
        self.oracle_nodes = nodes
        urls = [c.oracle_url(i) for i in range(nodes)]
        specs = []
        for i in range(nodes):
            env = {
                "HUNDI_ORACLE_DATABASE_URL": c.oracle_database_url(i),
                "HUNDI_ORACLE_HOST": c.host,
                "HUNDI_ORACLE_PORT": str(c.oracle_port + i),
                "HUNDI_ORACLE_PEERS": ",".join(u for j, u in enumerate(urls) if j != i),
                "HUNDI_ORACLE_ADMIN_TOKEN": self.admin_token,
                "HUNDI_ORACLE_CORS_ORIGINS": c.api_url,
                "HUNDI_BANK_WEBHOOK_SECRET": os.environ.get("HUNDI_BANK_WEBHOOK_SECRET", LOCAL_BANK_SECRET),
            }
            if i > 0:
                env["HUNDI_ORACLE_COLLECTOR"] = "none"  # one collector settles bank repayments (one nonce source)
            argv = [
                *hundi_command(),
                "oracle",
                "run",
                "--deployment",
                str(c.deployment_file),
                "--rpc-url",
                c.rpc_url,
                "--dev-account",
                str(ORACLE_SIGNERS[i]),
            ]
            name = "oracle" if nodes == 1 else f"oracle-{i + 1}"
            specs.append(ServiceSpec(name, argv, HttpProbe(f"{urls[i]}/healthz"), env, c.ready_timeout, url=urls[i]))
        return specs

    def indexer_spec(self) -> ServiceSpec:
        c = self.config
        argv = [*hundi_command(), "indexer", "run", "--deployment", str(c.deployment_file), "--rpc-url", c.rpc_url]
        return ServiceSpec("indexer", argv, AliveProbe(2.0), {}, c.ready_timeout)

    def api_spec(self) -> ServiceSpec:
        c = self.config
        argv = [
            *hundi_command(),
            "api",
            "--deployment",
            str(c.deployment_file),
            "--rpc-url",
            c.rpc_url,
            "--host",
            c.host,
            "--port",
            str(c.api_port),
        ]
        env = {"HUNDI_API_PUBLIC_URL": c.api_url, "HUNDI_ORACLE_URL": c.oracle_url(0)}
        return ServiceSpec("api", argv, HttpProbe(f"{c.api_url}/healthz"), env, c.ready_timeout, url=c.api_url)

    def wait_indexed(self, timeout: float) -> int | None:
        """Wait until the API reports the indexer at the chain head; the indexed block, or None if not shown."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = self.supervisor.dead()
            if dead is not None:
                raise ServiceFailed(dead.name, f"exited with status {dead.process.returncode}", dead.log_path)
            body = http_json(f"{self.config.api_url}/readyz")
            if isinstance(body, dict):
                detail = body.get("error", {}).get("detail") if isinstance(body.get("error"), dict) else body
                if isinstance(detail, dict) and detail.get("lag") == 0:
                    indexed = detail.get("indexedBlock")
                    return int(indexed) if isinstance(indexed, int) else None
            time.sleep(0.3)
        indexer = next((s for s in self.supervisor.services if s.name == "indexer"), None)
        raise ServiceFailed(
            "indexer",
            f"did not catch up with the chain within {timeout:g} s (per the API's /readyz)",
            indexer.log_path if indexer else self.config.log_dir / "indexer.log",
        )

    def _start(self, spec: ServiceSpec, what: str) -> None:
        service = self.supervisor.start(spec)
        self._write_stack_file()
        self._ready(service, what)

    def _ready(self, service: Service, what: str) -> None:
        took = self.supervisor.wait_ready(service)
        where = f" at {service.spec.url}" if service.spec.url else ""
        self.echo(f"  {what:<13} {service.name} ready{where} ({took:.1f} s, pid {service.pid})")

    def _write_stack_file(self) -> None:
        body = {"pid": os.getpid(), "groups": [s.pid for s in self.supervisor.services]}
        self.config.stack_file.write_text(json.dumps(body) + "\n")

    # ------------------------------------------------------------------------------------------------ run

    def start(self) -> None:
        """Everything up to a running stack (raises on the first failure; the caller stops what started)."""
        c = self.config
        self.reset_state()
        self.echo(f"hundi dev: starting the local stack (files of this run: {_shown(c.state_dir)})")
        self.start_chain()
        deployment = self.deploy()
        if c.seed:
            self.seed(deployment)
        # The services need only the chain and the deployment: start them together (in the documented order) and
        # then wait for each, so the stack is up in the time of the slowest rather than the sum.
        specs: list[tuple[ServiceSpec, str]] = []
        if "oracle" in c.services:
            specs += [(spec, "oracle") for spec in self.oracle_specs(deployment)]
        if "indexer" in c.services:
            specs.append((self.indexer_spec(), "indexer"))
        if "api" in c.services:
            specs.append((self.api_spec(), "api"))
        started = [(self.supervisor.start(spec), what) for spec, what in specs]
        self._write_stack_file()
        for service, what in started:
            self._ready(service, what)
        if "api" in c.services and "indexer" in c.services:
            block = self.wait_indexed(c.ready_timeout)
            if block is not None:
                self.echo(f"  indexer       caught up with the chain at block {block}")

    def watch(self, *, until: Callable[[], bool] | None = None, poll: float = 0.5) -> None:
        """Block while every service runs; announce the oracle's live verification of the minted invoice.

        Raises:
            ServiceFailed: a service exited.
        """
        while until is None or not until():
            dead = self.supervisor.dead()
            if dead is not None:
                raise ServiceFailed(
                    dead.name, f"exited unexpectedly with status {dead.process.returncode}", dead.log_path
                )
            self._announce_live_verification()
            time.sleep(poll)

    def _announce_live_verification(self) -> None:
        if self._minted_id is None or self.deployment is None or "oracle" not in self.config.services:
            return
        from web3 import Web3

        w3 = Web3(Web3.HTTPProvider(self.config.rpc_url, request_kwargs={"timeout": 5}))
        try:
            token = self.deployment.contract(w3, "InvoiceToken")
            status = int(token.functions.statusOf(self._minted_id).call())
        except Exception:  # the chain is shutting down or busy: try again at the next poll
            return
        if status == 2:
            self.echo(f"oracle: invoice #{self._minted_id} verified live by the oracle nodes (now Verified)")
            self._minted_id = None
        elif status == 3:
            self.echo(
                f"oracle: invoice #{self._minted_id} was rejected by the oracle; see {_shown(self.config.log_dir)}"
            )
            self._minted_id = None

    def stop(self) -> None:
        self.supervisor.stop_all()
        with contextlib.suppress(OSError):
            self.config.stack_file.unlink()

    def run(self, *, banner: Callable[[Stack], None]) -> int:
        """Start, print the banner, watch until Ctrl-C; stop everything on every way out. Returns the exit code."""
        with _stop_signals():
            try:
                self.start()
                banner(self)
                self.watch()
            except (KeyboardInterrupt, _Stop):
                self.echo("\nhundi dev: stopping every service ...")
                return 0
            finally:
                self.stop()
        return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _shown(path: Path) -> str:
    """`path` relative to the project root when inside it."""
    try:
        return str(path.resolve().relative_to(project_root()))
    except ValueError:
        return str(path)


def wallet_lines() -> list[str]:
    """The demo wallets, labelled, with their (public) anvil dev keys."""
    from hundi.devstack.seed import DEMO_WALLETS

    lines = [f"  {'role':<9} {'address':<42}  {'private key (PUBLIC anvil test key)':<66}  who"]
    for w in DEMO_WALLETS:
        lines.append(f"  {w.role:<9} {w.address}  {w.private_key}  {w.name}")
    return lines
