"""The demo seed on a real anvil: every status on-chain, claims waiting, documents that decrypt to what was minted."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from hundi.chain.deploy import DeployConfig, deploy_system
from hundi.chain.deployment import Deployment, HundiContracts
from hundi.chain.devkeys import dev_account
from hundi.devstack.cli import dev
from hundi.devstack.seed import (
    ASHA,
    DEFAULTED,
    FUNDED,
    INVESTORS,
    LISTED,
    MEERA,
    MINTED,
    RAVI,
    REPAID,
    SeedError,
    SeedResult,
    seed,
    summary_table,
)
from hundi.devstack.stack import DEV_DOCUMENT_KEY, HISTORY_DAYS
from hundi.documents import DocumentVault, LocalStore
from hundi.documents.crypto import decode_key
from tests.backend.localchain import Anvil, free_port

DAY = 86400


@pytest.fixture(scope="module")
def node() -> Iterator[Anvil]:
    # As `hundi dev` starts it: genesis in the past, so the seed's time jump lands on the wall clock.
    with Anvil("--timestamp", str(int(time.time()) - HISTORY_DAYS * DAY)) as chain:
        yield chain


@pytest.fixture(scope="module")
def deployment(node: Anvil, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    out = tmp_path_factory.mktemp("deploy") / "local.json"
    return deploy_system(
        node.w3, dev_account(0), DeployConfig.local_defaults(), name="local", out=out, progress=lambda _: None
    )


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> DocumentVault:
    return DocumentVault(LocalStore(tmp_path_factory.mktemp("docs")), decode_key(DEV_DOCUMENT_KEY))


@pytest.fixture(scope="module")
def seeded(node: Anvil, deployment: Deployment, vault: DocumentVault) -> SeedResult:
    lines: list[str] = []
    result = seed(node.w3, deployment, vault, progress=lines.append)
    assert any("travelled" in line for line in lines)
    return result


@pytest.fixture(scope="module")
def c(node: Anvil, deployment: Deployment) -> HundiContracts:
    return deployment.handles(node.w3)


def status(c: HundiContracts, invoice_id: int) -> int:
    return int(c.token.functions.statusOf(invoice_id).call())


def test_seed_leaves_an_invoice_in_every_status(seeded: SeedResult, c: HundiContracts) -> None:
    expected = {
        "defaulted": DEFAULTED,
        "repaid": REPAID,
        "funded": FUNDED,
        "open": LISTED,
        "fresh": LISTED,
        "minted": MINTED,
    }
    on_chain = {label: status(c, inv.invoice_id) for label, inv in seeded.invoices.items()}
    assert on_chain == expected
    assert sorted(seeded.ids().values()) == list(range(1, 7))


def test_repaid_invoice_has_claims_waiting_for_each_investor(seeded: SeedResult, c: HundiContracts) -> None:
    repaid = seeded.invoices["repaid"]
    waiting = [
        int(c.distributor.functions.claimable(repaid.invoice_id, dev_account(i).address).call()) for i in INVESTORS
    ]
    assert all(amount > 0 for amount in waiting)
    # Holders get the face value minus the yield fee on the part above the principal they paid.
    principal = repaid.price
    fee = (repaid.face_value - principal) * 1000 // 10_000
    assert sum(waiting) <= repaid.face_value - fee
    assert sum(waiting) >= repaid.face_value - fee - len(INVESTORS)


def test_defaulted_invoice_is_past_due_and_grace_with_a_recovery_to_claim(
    seeded: SeedResult, c: HundiContracts, node: Anvil
) -> None:
    defaulted = seeded.invoices["defaulted"]
    after = int(c.distributor.functions.defaultableAfter(defaulted.invoice_id).call())
    assert node.w3.eth.get_block("latest")["timestamp"] > after
    recovered = sum(
        int(c.distributor.functions.claimable(defaulted.invoice_id, dev_account(i).address).call())
        for i in (ASHA, RAVI)
    )
    part_payment = defaulted.face_value // 5
    assert part_payment - 2 <= recovered <= part_payment  # rounding favours the protocol, by < 1 unit per holder


def test_open_listings_are_partly_and_not_funded(seeded: SeedResult, c: HundiContracts) -> None:
    open_one, fresh = seeded.invoices["open"], seeded.invoices["fresh"]
    price, raised = (int(v) for v in c.escrow.functions.listingOf(open_one.invoice_id).call()[:2])
    assert 0 < raised < price and raised == open_one.raised
    assert int(c.escrow.functions.listingOf(fresh.invoice_id).call()[1]) == 0
    assert int(c.shares.functions.balanceOf(dev_account(ASHA).address, open_one.invoice_id).call()) == raised


def test_funded_invoice_paid_the_seller_and_minted_shares(seeded: SeedResult, c: HundiContracts) -> None:
    funded = seeded.invoices["funded"]
    assert funded.raised == funded.price
    shares = [
        int(c.shares.functions.balanceOf(dev_account(i).address, funded.invoice_id).call()) for i in (RAVI, MEERA)
    ]
    assert sum(shares) == funded.price
    seller = c.token.functions.invoiceOf(funded.invoice_id).call()[3]
    assert int(c.stablecoin.functions.balanceOf(seller).call()) > 0  # the advance (price - fee)


def test_every_document_decrypts_to_the_minted_digest_and_is_a_pdf(
    seeded: SeedResult, c: HundiContracts, vault: DocumentVault
) -> None:
    for inv in seeded.invoices.values():
        digest = bytes(c.token.functions.invoiceOf(inv.invoice_id).call()[2])
        document = vault.load(inv.document_cid, digest)
        assert document.startswith(b"%PDF")
        assert hashlib.sha256(document).digest() == digest


def test_verified_invoices_carry_all_six_checks_and_the_minted_one_none(seeded: SeedResult, c: HundiContracts) -> None:
    for label, inv in seeded.invoices.items():
        record = c.token.functions.invoiceOf(inv.invoice_id).call()
        assert record[7] == (0 if label == "minted" else 0b111111), label
        if label != "minted":
            assert record[6] == inv.risk_score


def test_the_chain_clock_ends_at_the_wall_clock(seeded: SeedResult) -> None:
    assert seeded.travelled > 30 * DAY
    assert abs(seeded.chain_time - time.time()) < 600


def test_summary_table_lists_every_invoice_with_its_status(seeded: SeedResult) -> None:
    lines = summary_table(seeded)
    assert len(lines) == 1 + len(seeded.invoices)
    body = "\n".join(lines)
    for word in ("Defaulted", "Repaid", "Funded", "Listed (open)", "Listed (fresh)", "Minted"):
        assert word in body


def test_seed_refuses_a_chain_that_is_not_local(node: Anvil, deployment: Deployment, vault: DocumentVault) -> None:
    remote = deployment.model_copy(update={"chainId": 137})
    before = node.head
    with pytest.raises(SeedError, match="not a local chain"):
        seed(node.w3, remote, vault)
    assert node.head == before  # nothing was sent


def test_seed_command_seeds_a_fresh_deployment(tmp_path: Path) -> None:
    with Anvil("--timestamp", str(int(time.time()) - HISTORY_DAYS * DAY)) as chain:
        out = tmp_path / "local.json"
        deploy_system(
            chain.w3, dev_account(0), DeployConfig.local_defaults(), name="local", out=out, progress=lambda _: None
        )
        result = CliRunner().invoke(
            dev, ["seed", "--rpc-url", chain.url, "--deployment", str(out), "--docs-dir", str(tmp_path / "docs")]
        )
        assert result.exit_code == 0, result.output
        assert "Defaulted" in result.output and "Minted" in result.output
        assert len(list((tmp_path / "docs").rglob("bafkrei*"))) == 6


def test_seed_command_without_a_node_says_what_to_do(deployment: Deployment, tmp_path: Path) -> None:
    out = tmp_path / "local.json"
    deployment.save(out)
    dead = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(dev, ["seed", "--rpc-url", dead, "--deployment", str(out)])
    assert result.exit_code == 1
    assert f"no node answers at {dead}" in result.output
