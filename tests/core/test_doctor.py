"""`hundi doctor` run for real through the CLI: it finds what this machine has and what a broken one lacks."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import hundi.doctor as doctor_module
from hundi.cli import main
from hundi.doctor import CHECK_NAMES, CHECKS, find_root

ROOT = find_root()
REQUIRED = [check.name for check in CHECKS if check.required]


def doctor(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["doctor", *args], env=env)


def line_of(result: Result, check: str) -> str:
    """The status line of one check, e.g. '✗ solc  /x/solc-v0.8.28 is missing'."""
    for line in result.output.splitlines():
        if line[2:].split(" ", 1)[0] == check:
            return line
    raise AssertionError(f"no line for {check!r} in:\n{result.output}")


def fix_of(result: Result, check: str) -> str:
    lines = result.output.splitlines()
    index = lines.index(line_of(result, check))
    follower = lines[index + 1].strip()
    assert follower.startswith("fix: "), result.output
    return follower.removeprefix("fix: ")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_every_required_check_passes_on_a_bootstrapped_machine() -> None:
    result = doctor()

    failed = [name for name in REQUIRED if line_of(result, name).startswith("✗")]
    assert failed == [], result.output
    assert result.exit_code == 0, result.output
    assert "everything required is in place" in result.output


def test_solc_check_fails_with_the_bootstrap_fix_when_the_solcx_folder_is_empty(tmp_path: Path) -> None:
    result = doctor("--check", "solc", env={"SOLCX_BINARY_PATH": str(tmp_path)})

    assert result.exit_code == 1
    assert line_of(result, "solc").startswith("✗")
    assert str(tmp_path / "solc-v0.8.28") in line_of(result, "solc")
    assert fix_of(result, "solc") == f"SOLCX_BINARY_PATH={tmp_path} make bootstrap"


def test_checks_still_run_when_the_working_directory_was_deleted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Seen in a full run: an earlier test left the process in a removed temp dir, and `sh` (the solc wrapper)
    # then failed in getcwd().
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()

    result = doctor("--check", "solc", "--check", "tesseract")

    assert result.exit_code == 0, result.output
    assert line_of(result, "solc").startswith("✓ solc")


def test_solc_check_rejects_a_compiler_whose_version_banner_ape_cannot_parse(tmp_path: Path) -> None:
    # solcjs prints "0.8.28+commit.7893614a.Emscripten.clang" on one line; ape-solidity needs the native form.
    fake = tmp_path / "solc-v0.8.28"
    fake.write_text("#!/bin/sh\necho 0.8.28+commit.7893614a.Emscripten.clang\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)

    result = doctor("--check", "solc", env={"SOLCX_BINARY_PATH": str(tmp_path)})

    assert result.exit_code == 1
    assert "Emscripten.clang" in line_of(result, "solc")
    assert fix_of(result, "solc").endswith("make bootstrap")


def test_tesseract_check_fails_with_the_apt_command_when_it_is_not_on_path(tmp_path: Path) -> None:
    result = doctor("--check", "tesseract", env={"PATH": str(tmp_path)})

    assert result.exit_code == 1
    assert line_of(result, "tesseract").startswith("✗ tesseract")
    assert fix_of(result, "tesseract").endswith("apt-get install -y tesseract-ocr tesseract-ocr-eng")


def test_imports_check_names_a_module_that_fails_to_import_and_how_to_re_lock(tmp_path: Path) -> None:
    # A package that is installed but breaks at import, as siwe did with abnf 2.9.
    (tmp_path / "siwe.py").write_text("raise RuntimeError('grammar rule ALPHA redefined')\n")
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)

    result = doctor("--check", "imports", env={"PYTHONPATH": path})

    assert result.exit_code == 1
    assert "siwe: RuntimeError: grammar rule ALPHA redefined" in line_of(result, "imports")
    assert "uv pip compile" in fix_of(result, "imports")


def test_python_deps_check_lists_packages_that_differ_from_the_lock(tmp_path: Path) -> None:
    (tmp_path / "requirements.lock").write_text(
        "click==0.0.1 \\\n    --hash=sha256:00\nnot-a-real-package-hundi==1.0 \\\n    --hash=sha256:00\n"
    )

    result = doctor("--check", "python-deps", "--root", str(tmp_path))

    assert result.exit_code == 1
    line = line_of(result, "python-deps")
    assert "2 of 2 differ" in line
    assert "(lock 0.0.1)" in line
    assert "not-a-real-package-hundi missing" in line
    assert fix_of(result, "python-deps") == "make bootstrap"


def test_python_deps_check_passes_against_the_project_lock() -> None:
    result = doctor("--check", "python-deps")

    assert result.exit_code == 0, result.output
    assert "match requirements.lock" in line_of(result, "python-deps")


def test_unreachable_postgres_is_reported_with_a_fix_but_does_not_fail_the_run() -> None:
    url = f"postgresql+psycopg://postgres:s3cret@127.0.0.1:{free_port()}/test"

    result = doctor("--check", "postgres", env={"HUNDI_DATABASE_URL": url})

    assert result.exit_code == 0
    line = line_of(result, "postgres")
    assert line.startswith("✗ postgres  (optional)")
    assert "HUNDI_DATABASE_URL" in line
    assert "s3cret" not in result.output
    assert "service postgresql start" in fix_of(result, "postgres")


def test_postgres_check_connects_to_the_local_server() -> None:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", 5432)) != 0:
            pytest.skip("no Postgres on 127.0.0.1:5432 on this machine")

    result = doctor("--check", "postgres", env={"HUNDI_DATABASE_URL": "", "DATABASE_URL": ""})

    line = line_of(result, "postgres")
    assert line.startswith("✓ postgres"), result.output
    assert "127.0.0.1:5432" in line
    assert "server" in line


def test_deployments_check_lists_the_deployment_files(tmp_path: Path) -> None:
    (tmp_path / "deployments").mkdir()

    empty = doctor("--check", "deployments", "--root", str(tmp_path))
    (tmp_path / "deployments" / "local.json").write_text("{}")
    present = doctor("--check", "deployments", "--root", str(tmp_path))

    assert empty.exit_code == 0
    assert line_of(empty, "deployments").startswith("✗ deployments  (optional)")
    assert fix_of(empty, "deployments").startswith("make dev")
    assert line_of(present, "deployments") == "✓ deployments  local"


def test_check_selection_runs_only_the_named_checks() -> None:
    result = doctor("-c", "node", "-c", "forge")

    assert [line[2:].split()[0] for line in result.output.splitlines()[:-1]] == ["node", "forge"]
    assert result.output.splitlines()[-1].startswith("doctor: 2 of 2 checks passed")


def test_an_unknown_check_name_is_a_usage_error_that_lists_the_valid_ones() -> None:
    result = doctor("--check", "docker")

    assert result.exit_code == 2
    assert "docker" in result.output
    assert all(name in result.output for name in CHECK_NAMES)


def test_doctor_help_describes_the_exit_status() -> None:
    result = doctor("--help")

    assert result.exit_code == 0
    assert "Exits 1 when a required check fails" in result.output


def test_find_root_prefers_hundi_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUNDI_ROOT", str(tmp_path))

    assert find_root() == tmp_path


def test_find_root_without_hundi_root_is_the_checkout_hundi_is_installed_from(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HUNDI_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)

    root = find_root()

    assert (root / "hundi" / "doctor.py").resolve() == Path(doctor_module.__file__).resolve()
    assert (root / "package.json").exists()
