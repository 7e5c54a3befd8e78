"""`hundi deploy` end to end: the real CLI against its own anvil, then a client that knows nothing but the
deployment file (addresses, ABIs, role holders) and plain web3.py drives a whole invoice lifecycle by the
names in CONTRACTS.md."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3
from web3.logs import DISCARD

from hundi.chain.devkeys import dev_account
from hundi.chain.reports import Verification, report_domain, sign_all
from hundi.paths import project_root
from tests.contracts.integration.conftest import BookModel, listing_fee

ROOT = project_root()
UNIT = 10**6
DAY = 86400
SYSTEM = (
    "KycRegistry",
    "InvoiceToken",
    "OracleHub",
    "InvoiceShares",
    "RepaymentDistributor",
    "FundingEscrow",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tool(name: str) -> str:
    for candidate in (ROOT / "node_modules" / ".bin" / name, ROOT / ".venv" / "bin" / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (run `make bootstrap`)")
    return found


@pytest.fixture(scope="module")
def anvil_url() -> Iterator[str]:
    """A separate anvil on a free port, killed (by its own pid) at teardown."""
    port = _free_port()
    proc = subprocess.Popen(
        [_tool("anvil"), "--port", str(port), "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # node_modules/.bin/anvil is a node wrapper that spawns the real binary: give both a process group of
        # their own, so teardown can end exactly them.
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 5}))
        for _ in range(100):
            if proc.poll() is not None:
                pytest.fail(f"anvil exited with {proc.returncode}")
            if w3.is_connected():
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"anvil did not answer at {url}")
        yield url
    finally:
        _end_group(proc)


def _end_group(proc: subprocess.Popen[bytes]) -> None:
    """End the process group led by `proc` (the anvil this module started), by its id."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def deployed(
    anvil_url: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("deploy") / "itest.json"
    result = subprocess.run(
        [_tool("hundi"), "deploy", "--rpc-url", anvil_url, "--name", "itest", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"hundi deploy failed:\n{result.stdout}\n{result.stderr}"
    assert out.is_file()
    return json.loads(out.read_text()), result


class Client:
    """A plain web3.py client built from the deployment file only; signs locally with the dev keys."""

    def __init__(self, url: str, deployment: dict[str, Any]) -> None:
        self.w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
        self.deployment = deployment
        self.c = {
            name: self.w3.eth.contract(address=Web3.to_checksum_address(entry["address"]), abi=entry["abi"])
            for name, entry in deployment["contracts"].items()
        }

    def send(self, fn: Any, account: LocalAccount) -> Any:
        tx = fn.build_transaction(
            {"from": account.address, "nonce": self.w3.eth.get_transaction_count(account.address, "pending")}
        )
        signed = account.sign_transaction(tx)
        receipt = self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_raw_transaction(signed.raw_transaction))
        assert receipt["status"] == 1, f"{fn.fn_name} reverted"
        return receipt

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


def test_deployment_file_lists_chain_contracts_and_role_holders(anvil_url, deployed):
    deployment, result = deployed
    client = Client(anvil_url, deployment)
    w3 = client.w3
    assert deployment["name"] == "itest"
    assert deployment["chainId"] == 31337 == w3.eth.chain_id
    assert isinstance(deployment["deployedAt"], int)
    assert 1 <= deployment["deployedAt"] <= w3.eth.block_number
    assert set(deployment["contracts"]) == {*SYSTEM, "Stablecoin"}
    for name, entry in deployment["contracts"].items():
        assert w3.eth.get_code(Web3.to_checksum_address(entry["address"])) != b"", f"{name} has no code"
        assert any(item.get("type") == "function" for item in entry["abi"]), f"{name} has no ABI"
        assert entry["address"] in result.stdout  # the CLI prints every address

    admin = dev_account(0).address
    signers = [dev_account(i).address for i in (7, 8, 9)]
    roles = deployment["roles"]
    for name in SYSTEM:
        assert roles[name]["DEFAULT_ADMIN_ROLE"] == [admin]
        assert client.c[name].functions.hasRole(b"\x00" * 32, admin).call()
    assert roles["OracleHub"]["SIGNERS"] == signers
    assert roles["RepaymentDistributor"]["COLLECTOR_ROLE"] == [admin]
    assert roles["KycRegistry"]["KYC_OFFICER_ROLE"] == [admin]
    assert deployment["config"]["threshold"] == 2
    on_chain_signers, threshold, _version = client.c["OracleHub"].functions.signerSet().call()
    assert (list(on_chain_signers), threshold) == (signers, 2)
    # the file's role holders are what the chain says
    collector_role = keccak(text="COLLECTOR_ROLE")
    assert client.c["RepaymentDistributor"].functions.hasRole(collector_role, admin).call()


def test_deployment_file_alone_drives_a_whole_lifecycle(anvil_url, deployed):
    deployment, _ = deployed
    client = Client(anvil_url, deployment)
    kyc, token, hub, distributor, escrow, coin = (
        client.c[n].functions
        for n in (
            "KycRegistry",
            "InvoiceToken",
            "OracleHub",
            "RepaymentDistributor",
            "FundingEscrow",
            "Stablecoin",
        )
    )
    admin, sme, inv_a, inv_b, buyer = (dev_account(i) for i in (0, 1, 2, 3, 6))
    treasury = deployment["roles"]["FundingEscrow"]["TREASURY"][0]
    assert treasury == deployment["roles"]["RepaymentDistributor"]["TREASURY"][0] == admin.address
    escrow_addr, distributor_addr = (
        client.c["FundingEscrow"].address,
        client.c["RepaymentDistributor"].address,
    )
    face, price, tickets = 100_000 * UNIT, 95_000 * UNIT, (60_000 * UNIT + 1, 35_000 * UNIT - 1)

    far = client.now() + 365 * DAY
    client.send(kyc.setKyc(sme.address, 1, far), admin)
    for who in (inv_a, inv_b):
        client.send(kyc.setKyc(who.address, 2, far), admin)
    for who, spender in ((inv_a, escrow_addr), (inv_b, escrow_addr), (buyer, distributor_addr)):
        client.send(coin.mint(who.address, 200_000 * UNIT), who)
        client.send(coin.approve(spender, 2**256 - 1), who)
    start = {
        a: coin.balanceOf(a).call()
        for a in (
            sme.address,
            inv_a.address,
            inv_b.address,
            buyer.address,
            treasury,
            escrow_addr,
            distributor_addr,
        )
    }

    # mint
    digest = keccak(text="itest invoice pdf")
    request = (
        keccak(text="itest IRN 1"),
        keccak(text="27AAPFU0939F1ZV"),
        face,
        client.now() - DAY,
        client.now() + 60 * DAY,
        digest,
        "bafkreitest",
    )
    receipt = client.send(token.mint(request), sme)
    [minted] = client.c["InvoiceToken"].events.InvoiceMinted().process_receipt(receipt, errors=DISCARD)
    iid = minted["args"]["invoiceId"]
    assert token.statusOf(iid).call() == 1

    # verify: dev keys 7 and 8 sign, anyone submits
    domain = report_domain(deployment["chainId"], client.c["OracleHub"].address)
    report = Verification(
        invoiceId=iid,
        docDigest=digest,
        approved=True,
        riskScore=30,
        checks=0b111111,
        deadline=client.now() + 3600,
        nonce=1,
    )
    sigs = sign_all(report, domain, [dev_account(7).key, dev_account(8).key])
    client.send(hub.submitVerification(report.as_tuple(), sigs), sme)
    assert token.statusOf(iid).call() == 2

    # list, fund twice (the second fill completes the price), repay in full, claim
    client.send(escrow.list(iid, price, client.now() + 7 * DAY, 0), sme)
    assert token.statusOf(iid).call() == 4
    client.send(escrow.fund(iid, tickets[0]), inv_a)
    client.send(escrow.fund(iid, tickets[1]), inv_b)
    assert token.statusOf(iid).call() == 5
    client.send(distributor.repay(iid, face), buyer)
    assert token.statusOf(iid).call() == 6
    client.send(distributor.claim(iid), inv_a)
    client.send(distributor.claim(iid), inv_b)

    fee = listing_fee(price, deployment["config"]["feeBps"])
    model = BookModel(principal=price, face=face, yield_fee_bps=deployment["config"]["yieldFeeBps"])
    model.repay(face)
    claims = [model.earned("a", tickets[0]), model.earned("b", tickets[1])]
    end = {a: coin.balanceOf(a).call() - v for a, v in start.items()}
    assert end == {
        sme.address: price - fee,
        inv_a.address: claims[0] - tickets[0],
        inv_b.address: claims[1] - tickets[1],
        buyer.address: -face,
        treasury: fee + model.fees,
        escrow_addr: 0,
        distributor_addr: model.net - sum(claims),
    }
    assert fee == 950 * UNIT and model.fees == 500 * UNIT
    assert 0 <= model.net - sum(claims) < 2


def test_deploy_to_a_url_with_nothing_listening_fails_clearly(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    out = tmp_path / "nothing.json"
    result = subprocess.run(
        [_tool("hundi"), "deploy", "--rpc-url", url, "--name", "nothing", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert f"no JSON-RPC node answers at {url}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
