"""``hundi doc`` and ``hundi gstin`` through the real ``hundi`` click group."""

from __future__ import annotations

import hashlib
import inspect
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from hundi.cli import main
from hundi.documents.cid import compute_cid

KEY = "5e" * 32
PDF = b"%PDF-1.7\ninvoice INV/25-26/0007\n%%EOF\n"

pytestmark = pytest.mark.filterwarnings("ignore:The 'strict' parameter is no longer needed:FutureWarning")


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    for name in ("HUNDI_DOCUMENT_KEY", "HUNDI_CHAIN_ID", "HUNDI_DOCS_DIR", "HUNDI_IPFS_API"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUNDI_ROOT", str(tmp_path / "root"))  # keep var/docs out of the checkout
    # Keep stderr (hints) out of stdout (data): click 8.1 needs mix_stderr=False, 8.2 separates by default.
    separate: dict[str, Any] = {"mix_stderr": False} if "mix_stderr" in inspect.signature(CliRunner).parameters else {}
    return CliRunner(**separate)


def shown(result: Result) -> str:
    """What a user sees in the terminal: standard output and standard error."""
    return result.stdout + result.stderr


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(PDF)
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["doc", "--help"],
        ["doc", "put", "--help"],
        ["doc", "get", "--help"],
        ["doc", "keygen", "--help"],
        ["doc", "cid", "--help"],
        ["gstin", "--help"],
        ["gstin", "check", "--help"],
    ],
    ids=lambda args: " ".join(args),
)
def test_every_command_has_help(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(main, args)
    assert result.exit_code == 0, shown(result)
    assert "Usage:" in shown(result)


def test_top_level_help_lists_doc_and_gstin(runner: CliRunner) -> None:
    output = runner.invoke(main, ["--help"]).stdout
    assert "doc " in output and "gstin " in output


def test_keygen_prints_a_fresh_hex_key(runner: CliRunner) -> None:
    first, second = (runner.invoke(main, ["doc", "keygen"]) for _ in range(2))
    assert first.exit_code == 0
    key = first.stdout.strip()
    assert len(bytes.fromhex(key)) == 32
    assert key != second.stdout.strip()


def test_put_without_a_key_says_how_to_make_one(runner: CliRunner, pdf: Path) -> None:
    result = runner.invoke(main, ["doc", "put", str(pdf)])
    assert result.exit_code == 1
    assert "HUNDI_DOCUMENT_KEY is not set" in shown(result)
    assert "hundi doc keygen" in shown(result)


def test_put_with_a_placeholder_key_on_a_public_chain_is_refused(
    runner: CliRunner, pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUNDI_DOCUMENT_KEY", "00" * 32)
    monkeypatch.setenv("HUNDI_CHAIN_ID", "137")
    result = runner.invoke(main, ["doc", "put", str(pdf)])
    assert result.exit_code == 1
    assert "placeholder" in shown(result)


def test_malformed_chain_id_setting_is_a_clear_error(
    runner: CliRunner, pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUNDI_DOCUMENT_KEY", KEY)
    monkeypatch.setenv("HUNDI_CHAIN_ID", "mainnet")
    result = runner.invoke(main, ["doc", "put", str(pdf)])
    assert result.exit_code == 1
    assert "HUNDI_CHAIN_ID" in shown(result)


def test_put_then_get_round_trips(
    runner: CliRunner, pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUNDI_DOCUMENT_KEY", KEY)
    docs = tmp_path / "docs"
    put = runner.invoke(main, ["doc", "put", str(pdf), "--docs-dir", str(docs)])
    assert put.exit_code == 0, shown(put)
    stored = json.loads(put.stdout)
    assert stored["docDigest"] == "0x" + hashlib.sha256(PDF).hexdigest()
    assert stored["size"] == len(PDF) and stored["store"] == "local"
    envelope = (docs / stored["cid"][-3:-1] / stored["cid"]).read_bytes()
    assert stored["cid"] == compute_cid(envelope)

    out = tmp_path / "out.pdf"
    get = runner.invoke(main, ["doc", "get", stored["cid"], "-o", str(out), "--docs-dir", str(docs)])
    assert get.exit_code == 0, shown(get)
    assert out.read_bytes() == PDF

    to_stdout = runner.invoke(
        main, ["doc", "get", stored["cid"], "--docs-dir", str(docs), "--expect-digest", stored["docDigest"]]
    )
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout_bytes == PDF


def test_default_local_store_is_var_docs_under_the_project(
    runner: CliRunner, pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUNDI_DOCUMENT_KEY", KEY)
    cid = json.loads(runner.invoke(main, ["doc", "put", str(pdf)]).stdout)["cid"]
    assert (tmp_path / "root" / "var" / "docs" / cid[-3:-1] / cid).is_file()


def test_get_with_the_wrong_digest_fails(runner: CliRunner, pdf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUNDI_DOCUMENT_KEY", KEY)
    cid = json.loads(runner.invoke(main, ["doc", "put", str(pdf)]).stdout)["cid"]
    result = runner.invoke(main, ["doc", "get", cid, "--expect-digest", "0x" + "00" * 32])
    assert result.exit_code == 1
    assert "expected 0x" in shown(result)


def test_get_with_another_key_explains_the_key_mismatch(
    runner: CliRunner, pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUNDI_DOCUMENT_KEY", KEY)
    cid = json.loads(runner.invoke(main, ["doc", "put", str(pdf)]).stdout)["cid"]
    monkeypatch.setenv("HUNDI_DOCUMENT_KEY", "a1" * 32)
    result = runner.invoke(main, ["doc", "get", cid, "-o", "/dev/null"])
    assert result.exit_code == 1
    assert "different operator key" in shown(result)


@pytest.mark.parametrize(
    ("cid", "message"),
    [
        (compute_cid(b"nothing"), "no document is stored"),
        ("not-a-cid", "look like bafkrei"),
        ("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", "CIDv0"),
    ],
    ids=["unknown", "malformed", "cidv0"],
)
def test_get_bad_cid_fails_with_a_hint(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, cid: str, message: str
) -> None:
    monkeypatch.setenv("HUNDI_DOCUMENT_KEY", KEY)
    result = runner.invoke(main, ["doc", "get", cid, "-o", "/dev/null"])
    assert result.exit_code == 1
    assert message in shown(result)
    assert "Traceback" not in shown(result)


def test_put_to_an_unreachable_ipfs_node_says_what_to_do(
    runner: CliRunner, pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUNDI_DOCUMENT_KEY", KEY)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = runner.invoke(main, ["doc", "put", str(pdf), "--store", "ipfs", "--ipfs-api", f"http://127.0.0.1:{port}"])
    assert result.exit_code == 1
    assert "ipfs daemon" in shown(result) and "--ipfs-api" in shown(result)


@pytest.mark.parametrize("api", ["ftp://127.0.0.1:5001", "/ip4/127.0.0.1/udp/5001"])
def test_put_with_an_unusable_ipfs_api_is_a_usage_error(
    runner: CliRunner, pdf: Path, monkeypatch: pytest.MonkeyPatch, api: str
) -> None:
    monkeypatch.setenv("HUNDI_DOCUMENT_KEY", KEY)
    result = runner.invoke(main, ["doc", "put", str(pdf), "--store", "ipfs", "--ipfs-api", api])
    assert result.exit_code == 2
    assert "--ipfs-api" in shown(result) and "Traceback" not in shown(result)


def test_get_reports_a_malformed_cid_before_asking_for_a_key(runner: CliRunner) -> None:
    result = runner.invoke(main, ["doc", "get", "bafk-not-a-cid", "-o", "/dev/null"])
    assert result.exit_code == 1
    assert "base32" in shown(result) and "HUNDI_DOCUMENT_KEY" not in shown(result)


def test_cid_command_prints_the_ipfs_add_cid(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "hello.txt"
    path.write_bytes(b"hello world")
    result = runner.invoke(main, ["doc", "cid", str(path)])
    assert result.stdout.strip() == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"


def test_put_of_a_missing_file_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["doc", "put", str(tmp_path / "absent.pdf")])
    assert result.exit_code == 2
    assert "does not exist" in shown(result)


# --- gstin ---------------------------------------------------------------------------------------------


def test_gstin_check_valid_exits_0(runner: CliRunner) -> None:
    result = runner.invoke(main, ["gstin", "check", "27AAPFU0939F1ZV"])
    assert result.exit_code == 0
    assert "27AAPFU0939F1ZV: valid (Maharashtra; PAN AAPFU0939F, Firm / LLP)" in shown(result)


def test_gstin_check_invalid_exits_1_and_says_why(runner: CliRunner) -> None:
    result = runner.invoke(main, ["gstin", "check", "27AAPFU0939F1ZV", "27AAPFU0939F1ZW"])
    assert result.exit_code == 1
    assert "27AAPFU0939F1ZW: invalid" in shown(result)
    assert "expected 'V'" in shown(result)


def test_gstin_check_reports_normalisation(runner: CliRunner) -> None:
    result = runner.invoke(main, ["gstin", "check", "27aapfu0939f1zv"])
    assert result.exit_code == 0
    assert "note: converted to upper case" in shown(result)


def test_gstin_check_with_sandbox_registry_shows_status(runner: CliRunner) -> None:
    result = runner.invoke(main, ["gstin", "check", "--registry", "sandbox", "36AAJCD6642R1ZW", "27AAPFU0939F1ZV"])
    assert result.exit_code == 0
    assert "Cancelled since 2018-05-14: Deccan Software Services Private Limited (cancelled 2023-09-30)" in shown(
        result
    )
    assert "registry (sandbox): not registered" in shown(result)


def test_gstin_check_json_output(runner: CliRunner) -> None:
    result = runner.invoke(main, ["gstin", "check", "--json", "--registry", "sandbox", "21AAECK5503G1Z2", "X"])
    assert result.exit_code == 1
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["valid"] and first["registration"]["status"] == "Suspended"
    assert not second["valid"] and second["reasons"] == ["must be 15 characters, got 1"]


def test_gstin_check_needs_an_argument(runner: CliRunner) -> None:
    result = runner.invoke(main, ["gstin", "check"])
    assert result.exit_code == 2
