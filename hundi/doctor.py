"""``hundi doctor``: check the toolchain and local services, and print the command that fixes each problem.

Required checks are what building and testing need (``make test``); optional ones are services and tools that
only some commands use. Exit status 1 means a required check failed.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import click

# Modules whose import proves the venv works, not only that it is installed: a bad pin shows up here
# (siwe with abnf 2.9, ape-foundry 0.8.5 with eth-pydantic-types, ...).
IMPORT_PROBES: tuple[str, ...] = (
    "ape",
    "ape_foundry",
    "ape_solidity",
    "web3",
    "eth_account",
    "click",
    "pydantic_settings",
    "cryptography",
    "pytesseract",
    "cv2",
    "pypdfium2",
    "PIL",
    "ipfshttpclient",
    "httpx",
    "fastapi",
    "sqlmodel",
    "psycopg",
    "siwe",
)
MIN_NODE_MAJOR = 18
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SOLC_BANNER = "solc, the solidity compiler commandline interface"
CHROMIUM = Path("/usr/bin/chromium")
# The command requirements.lock was made with (its header says so).
RELOCK = "uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock"
_LOCK_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)\s*(?:;([^\\]*))?")


@dataclass(frozen=True)
class Result:
    """The outcome of one check: what was found, and the command that fixes it when it failed."""

    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Project:
    """Where the checks look: the repository root and the environment they run in."""

    root: Path

    @property
    def solcx_dir(self) -> Path:
        # py-solc-x (and so ape-solidity) looks for solc-v<version> here.
        configured = os.environ.get("SOLCX_BINARY_PATH")
        return Path(configured) if configured else Path.home() / ".solcx"

    def node_bin(self, name: str) -> Path:
        return self.root / "node_modules" / ".bin" / name

    def npm_pin(self, package: str) -> str | None:
        """The exact version package.json pins for an npm package, if the file and the pin exist."""
        try:
            manifest = json.loads((self.root / "package.json").read_text())
        except (OSError, ValueError):
            return None
        pins = {**manifest.get("dependencies", {}), **manifest.get("devDependencies", {})}
        version = pins.get(package)
        return str(version) if version else None


@dataclass(frozen=True)
class Check:
    name: str
    required: bool
    summary: str
    run: Callable[[Project], Result]


def _sudo() -> str:
    return "" if os.geteuid() == 0 else "sudo "


def _apt(*packages: str) -> str:
    return f"{_sudo()}apt-get install -y {' '.join(packages)}"


def _bootstrap_fix() -> str:
    # Repeat a non-default SOLCX_BINARY_PATH, so the fix installs into the folder that was checked.
    solcx = os.environ.get("SOLCX_BINARY_PATH")
    return f"SOLCX_BINARY_PATH={solcx} make bootstrap" if solcx else "make bootstrap"


def _run(
    command: Sequence[str | Path], cwd: Path, timeout: float = 30, *, stderr: bool = True
) -> tuple[int | None, str]:
    """Run a command in cwd; return (exit status, stdout [+ stderr]), or (None, why it could not run)."""
    try:
        done = subprocess.run(
            [str(part) for part in command],
            # An explicit working directory: the caller's may have been deleted (sh then fails in getcwd).
            cwd=cwd if cwd.is_dir() else Path("/"),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        return None, f"{command[0]} not found"
    except PermissionError:
        return None, f"{command[0]} is not executable"
    except subprocess.TimeoutExpired:
        return None, f"{command[0]} did not answer within {timeout:g} s"
    except OSError as exc:
        return None, f"{command[0]} could not run: {exc}"
    return done.returncode, (done.stdout + (done.stderr if stderr else "")).strip()


def _first_line(text: str) -> str:
    return text.splitlines()[0].strip() if text.strip() else ""


def check_python(project: Project) -> Result:
    version = platform.python_version()
    if sys.version_info[:2] != (3, 11):
        fix = "install Python 3.11, then make bootstrap"
        return Result(False, f"{version} at {sys.executable}; Hundi needs 3.11", fix)
    venv = project.root / ".venv"
    where = "the project venv" if Path(sys.prefix).resolve() == venv.resolve() else sys.prefix
    return Result(True, f"{version} ({where})")


def _lock_pins(lock: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        match = _LOCK_PIN.match(line)
        if match is None:
            continue
        name, version, marker = match.groups()
        if marker:
            from packaging.markers import Marker  # only lock files made with --universal carry markers

            if not Marker(marker).evaluate():
                continue
        pins[_normalise(name)] = version
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_python_deps(project: Project) -> Result:
    lock = project.root / "requirements.lock"
    try:
        pins = _lock_pins(lock)
    except OSError as exc:
        return Result(False, f"cannot read {lock}: {exc.strerror}", "git checkout requirements.lock")
    wrong: list[str] = []
    for name, pinned in sorted(pins.items()):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} missing (lock {pinned})")
            continue
        if installed != pinned:
            wrong.append(f"{name} {installed} (lock {pinned})")
    if wrong:
        shown = ", ".join(wrong[:4]) + (f" and {len(wrong) - 4} more" if len(wrong) > 4 else "")
        detail = f"{len(wrong)} of {len(pins)} differ from requirements.lock: {shown}"
        return Result(False, detail, "make bootstrap")
    return Result(True, f"{len(pins)} packages match requirements.lock")


# Runs in a fresh interpreter, so a crashing or slow import cannot take the doctor down with it.
_IMPORT_SCRIPT = """
import importlib, json, sys
errors = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except BaseException as exc:
        errors[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
print(json.dumps(errors))
"""


def check_imports(project: Project) -> Result:
    # stdout only: libraries may warn on stderr while importing.
    status, output = _run([sys.executable, "-c", _IMPORT_SCRIPT, *IMPORT_PROBES], project.root, 120, stderr=False)
    if status != 0:
        return Result(False, f"the import probe exited {status}: {_first_line(output)}", "make bootstrap")
    try:
        errors: dict[str, str] = json.loads(output.splitlines()[-1])
    except (ValueError, IndexError):
        return Result(False, f"the import probe printed {_first_line(output)!r}", "make bootstrap")
    if not errors:
        return Result(True, f"{len(IMPORT_PROBES)} key modules import ({', '.join(IMPORT_PROBES[:3])}, ...)")
    missing = [name for name, error in errors.items() if error.startswith("ModuleNotFoundError")]
    detail = "; ".join(f"{name}: {error}" for name, error in errors.items())
    if len(missing) == len(errors):
        return Result(False, detail, "make bootstrap")
    return Result(
        False,
        detail,
        f"pin a compatible version of the failing package in pyproject.toml, re-lock (`{RELOCK}`), then make bootstrap",
    )


def check_node(project: Project) -> Result:
    fix = f"{_apt('nodejs', 'npm')} (Node 20 recommended)"
    status, node_version = _run(["node", "--version"], project.root)
    if status != 0:
        return Result(False, node_version or "node --version failed", fix)
    match = re.match(r"v(\d+)\.", node_version)
    if match is None or int(match.group(1)) < MIN_NODE_MAJOR:
        return Result(False, f"node {node_version}; Hundi needs Node {MIN_NODE_MAJOR}+", fix)
    status, npm_version = _run(["npm", "--version"], project.root)
    if status != 0:
        return Result(False, f"node {node_version}, but {npm_version or 'npm --version failed'}", fix)
    return Result(True, f"node {node_version}, npm {npm_version}")


def _foundry_tool(name: str) -> Callable[[Project], Result]:
    def check(project: Project) -> Result:
        tool = project.node_bin(name)
        if not tool.exists():
            return Result(False, f"{tool} is missing (npm @foundry-rs/{name})", "make bootstrap")
        status, output = _run([tool, "--version"], project.root)
        if status != 0:
            return Result(False, f"{tool} --version failed: {_first_line(output)}", "make bootstrap")
        version = _first_line(output)
        pinned = project.npm_pin(f"@foundry-rs/{name}")
        if pinned and pinned not in version:
            return Result(False, f"{version}; package.json pins {pinned}", "make bootstrap")
        return Result(True, version)

    return check


def check_solc(project: Project) -> Result:
    version = project.npm_pin("solc")
    if version is None:
        return Result(False, f"no solc pin in {project.root / 'package.json'}", "git checkout package.json")
    solc = project.solcx_dir / f"solc-v{version}"
    if not solc.exists():
        return Result(False, f"{solc} is missing", _bootstrap_fix())
    status, output = _run([solc, "--version"], project.root)
    if status != 0:
        return Result(False, f"{solc} --version failed: {_first_line(output)}", _bootstrap_fix())
    lines = output.splitlines()
    expected = re.compile(rf"Version: {re.escape(version)}\+commit\.[0-9a-f]{{8}}\.Linux\.g\+\+")
    if len(lines) != 2 or lines[0] != SOLC_BANNER or not expected.fullmatch(lines[1]):
        printed = " | ".join(lines[:3])
        return Result(
            False,
            f"{solc} --version printed {printed!r}, not the two native-solc lines ape-solidity parses",
            _bootstrap_fix(),
        )
    return Result(True, f"{solc} ({lines[1].removeprefix('Version: ')})")


def check_tesseract(project: Project) -> Result:
    fix = _apt("tesseract-ocr", "tesseract-ocr-eng")
    if shutil.which("tesseract") is None:
        return Result(False, "tesseract is not on PATH", fix)
    status, output = _run(["tesseract", "--version"], project.root)
    if status != 0:
        return Result(False, f"tesseract --version failed: {_first_line(output)}", fix)
    version = _first_line(output)
    status, langs = _run(["tesseract", "--list-langs"], project.root)
    if status != 0 or "eng" not in langs.split():
        return Result(False, f"{version} without the English language data", _apt("tesseract-ocr-eng"))
    return Result(True, f"{version}, eng")


def check_poppler(project: Project) -> Result:
    status, output = _run(["pdftoppm", "-v"], project.root)
    if status != 0:
        return Result(False, output or "pdftoppm -v failed", _apt("poppler-utils"))
    return Result(True, _first_line(output))


def check_ocr_threads(project: Project) -> Result:
    limit = os.environ.get("OMP_THREAD_LIMIT")
    if limit == "1":
        return Result(True, "OMP_THREAD_LIMIT=1")
    # Measured: one invoice page 2.5-5.2 s with OpenMP threads, 0.5-0.8 s without (TOOLCHAIN.md).
    return Result(
        False,
        f"OMP_THREAD_LIMIT is {limit or 'unset'}; Tesseract's threads make OCR several times slower",
        "export OMP_THREAD_LIMIT=1 (make targets set it)",
    )


def _redact(url: str) -> str:
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def check_postgres(project: Project) -> Result:
    source = next((var for var in ("HUNDI_DATABASE_URL", "DATABASE_URL") if os.environ.get(var)), None)
    url = os.environ[source] if source else DEFAULT_DATABASE_URL
    origin = source or "default"
    if url.startswith("sqlite"):
        return Result(True, f"not used: {origin} is SQLite ({_redact(url)})")
    # SQLAlchemy-style URLs name a driver (postgresql+psycopg://); libpq wants the plain scheme.
    conninfo = re.sub(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql://", url)
    fix = (
        f"start Postgres on 127.0.0.1:5432 ({_apt('postgresql')} && {_sudo()}service postgresql start), "
        "or set HUNDI_DATABASE_URL"
    )
    try:
        import psycopg

        with psycopg.connect(conninfo, connect_timeout=2) as conn:
            server = conn.info.server_version
    except Exception as exc:  # any failure to connect is the finding itself
        reason = _first_line(str(exc)) or type(exc).__name__
        return Result(False, f"{_redact(url)} ({origin}): {reason}", fix)
    major, minor = divmod(server, 10000)
    return Result(True, f"{_redact(url)} ({origin}), server {major}.{minor}")


def check_chromium(project: Project) -> Result:
    fix = _apt("chromium", "chromium-driver")
    if not CHROMIUM.exists():
        return Result(False, f"{CHROMIUM} not found (browser tests need it)", fix)
    status, output = _run([CHROMIUM, "--version"], project.root)
    if status != 0:
        return Result(False, f"{CHROMIUM} --version failed: {_first_line(output)}", fix)
    return Result(True, _first_line(output))


def check_deployments(project: Project) -> Result:
    folder = project.root / "deployments"
    found = sorted(path.stem for path in folder.glob("*.json"))
    if not found:
        fix = "make dev (starts anvil and writes deployments/local.json)"
        return Result(False, f"no {folder}/*.json yet", fix)
    return Result(True, ", ".join(found))


CHECKS: tuple[Check, ...] = (
    Check("python", True, "Python 3.11", check_python),
    Check("python-deps", True, "installed packages match requirements.lock", check_python_deps),
    Check("imports", True, "key modules import", check_imports),
    Check("node", True, "node and npm", check_node),
    Check("anvil", True, "node_modules/.bin/anvil", _foundry_tool("anvil")),
    Check("forge", True, "node_modules/.bin/forge", _foundry_tool("forge")),
    Check("solc", True, "solc-v<version> in the py-solc-x folder", check_solc),
    Check("tesseract", True, "tesseract with English data", check_tesseract),
    Check("poppler", False, "pdftoppm (poppler-utils)", check_poppler),
    Check("ocr-threads", False, "OMP_THREAD_LIMIT=1", check_ocr_threads),
    Check("postgres", False, "Postgres (HUNDI_DATABASE_URL, DATABASE_URL or 127.0.0.1:5432)", check_postgres),
    Check("chromium", False, "/usr/bin/chromium for browser tests", check_chromium),
    Check("deployments", False, "deployments/*.json", check_deployments),
)
CHECK_NAMES = tuple(check.name for check in CHECKS)


def find_root() -> Path:
    """The repository this hundi runs from: HUNDI_ROOT, else the checkout of an editable install, else cwd."""
    configured = os.environ.get("HUNDI_ROOT")
    if configured:
        return Path(configured)
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "package.json").exists() and (checkout / "pyproject.toml").exists():
        return checkout
    return Path.cwd()


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--check",
    "-c",
    "selected",
    multiple=True,
    type=click.Choice(CHECK_NAMES),
    help="Run only this check (repeatable). Default: all.",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Repository root. Default: $HUNDI_ROOT, else the checkout hundi is installed from.",
)
def doctor(selected: tuple[str, ...], root: Path | None) -> None:
    """Check the toolchain and local services; print the fix for each problem.

    Exits 1 when a required check fails. Optional checks (services, browser, deployments) only warn.
    """
    project = Project(root=(root or find_root()).resolve())
    checks = [check for check in CHECKS if not selected or check.name in selected]
    width = max(len(check.name) for check in checks)
    failed_required = 0
    failed_optional = 0
    for check in checks:
        result = check.run(project)
        mark = "✓" if result.ok else "✗"
        note = "" if result.ok or check.required else "(optional) "
        click.echo(f"{mark} {check.name:<{width}}  {note}{result.detail}")
        if not result.ok:
            click.echo(f"  {'':<{width}}  fix: {result.fix}")
            if check.required:
                failed_required += 1
            else:
                failed_optional += 1
    passed = len(checks) - failed_required - failed_optional
    summary = f"doctor: {passed} of {len(checks)} checks passed"
    if failed_optional:
        summary += f"; {failed_optional} optional not met"
    if failed_required:
        click.echo(f"{summary}; {failed_required} required FAILED. Run the fixes above, then `hundi doctor`.")
        raise SystemExit(1)
    click.echo(f"{summary}; everything required is in place.")
