"""Gas benchmark: the CONTRACTS.md gas goals beside their OpenZeppelin anchors, measured in one run.

Run it from anywhere; `make bench` runs every tests/bench/bench_*.py this way, with .venv/bin and
node_modules/.bin on PATH:

    python tests/bench/bench_gas.py [--investors 200]

It starts its own anvil through ape-foundry (network ethereum:local:foundry), compiling first if needed,
deploys the system with the deployer and parameters of the contract tests, and runs
tests/contracts/gas_scenarios.py, the code the goal tests assert on. It prints one table and exits 1 if any
goal is not met.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.contracts.gas_scenarios import GasReport

ROOT = Path(__file__).resolve().parents[2]
NETWORK = "ethereum:local:foundry"
log = logging.getLogger("bench_gas")


def table(r: GasReport) -> list[str]:
    """The report as rows of operation | our gasUsed | anchor | anchor gas | ratio | goal | met?"""
    from tests.contracts.gas_scenarios import QUOTED_ANCHORS, goal_checks

    checks = {c.key: c for c in goal_checks(r)}
    n, batch = r.many_investors, r.claim_for_batch
    erc721, erc4626, erc20 = (
        "ERC-721 _mint, new holder",
        "ERC-4626 deposit, new holder",
        "ERC-20 transfer, new holder",
    )

    def row(op: str, ours: float, anchor: str = "", anchor_gas: float = 0, key: str = "") -> list[str]:
        """One table row; `key` names the goal (gas_scenarios.goal_checks) the row is checked against."""
        digits = 4 if key in ("repay", "default") else 2
        ratio = f"{ours / anchor_gas:.{digits}f}x" if anchor_gas else ""
        goal, met = (checks[key].goal, "yes" if checks[key].met else "NO") if key else ("-", "-")
        return [op, f"{ours:,.0f}", anchor, f"{anchor_gas:,.0f}" if anchor_gas else "", ratio, goal, met]

    goals = [
        row("mint (seller's first invoice)", r.mint_first, erc721, r.anchor_erc721_mint, "mint"),
        row(
            "fund, new investor (listing has funds)",
            r.fund_new_investor,
            erc4626,
            r.anchor_erc4626_deposit,
            "fund",
        ),
        row(
            "claim (first, after a repayment)",
            r.claim_first,
            erc20,
            r.anchor_erc20_transfer,
            "claim",
        ),
        row(
            f"repay (partial), {n} investors",
            r.repay_many,
            "repay (partial), 1 investor",
            r.repay_one,
            "repay",
        ),
        row(
            f"markDefaulted, {n} investors",
            r.mark_defaulted_many,
            "markDefaulted, 1 investor",
            r.mark_defaulted_one,
            "default",
        ),
    ]
    info = [
        row("mint (seller's later invoice)", r.mint_later, erc721, r.anchor_erc721_mint),
        row("submitVerification (2-of-3)", r.submit_verification),
        row("list", r.list),
        row("fund, first investor (empty listing)", r.fund_first, erc4626, r.anchor_erc4626_deposit),
        row("fund, completing fill (pays the seller)", r.fund_final_fill),
        row("settleRepayment (2-of-3, partial)", r.settle_repayment),
        row("claim into an empty wallet", r.claim_empty_wallet, erc20, r.anchor_erc20_transfer),
        row(f"claimFor, per investor (N={batch})", r.claim_for_per_investor, erc20, r.anchor_erc20_transfer),
        row(f"claimFor, total (N={batch})", r.claim_for_total),
        row(
            "InvoiceShares.mint frame inside fund",
            r.shares_mint_in_fund,
            "ERC-1155 _mint, less intrinsic gas",
            r.anchor_erc1155_mint_execution,
        ),
    ]
    header = ["operation", "our gasUsed", "anchor", "anchor gas", "ratio", "goal", "met?"]
    widths = [max(len(cells[i]) for cells in [header, *goals, *info]) for i in range(len(header))]

    def fmt(cells: list[str]) -> str:
        aligned = [
            c.rjust(w) if i in (1, 3, 4) else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return " | ".join(aligned).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    lines = [fmt(header), rule, *map(fmt, goals), rule, *map(fmt, info), ""]
    lines.append("anchors: OpenZeppelin 5.x, same solc, deployed by this run | ours    | CONTRACTS.md")
    ours = r.measured_anchors()
    for name, quoted in QUOTED_ANCHORS.items():
        lines.append(f"  {name:<57} | {ours[name]:>7,} | {quoted:>7,}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure the CONTRACTS.md gas goals on anvil.")
    parser.add_argument("--investors", type=int, default=200, help="investors of the many-investor invoice")
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False

    # ape takes the project from the working directory, and `tests` is imported from the root.
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    from ape import accounts, chain, networks, project

    from hundi.chain.devkeys import dev_account
    from tests.contracts.conftest import SIGNER_INDEXES, build_system
    from tests.contracts.gas_scenarios import actor, goal_checks, measure

    started = time.monotonic()
    with networks.parse_network_choice(NETWORK):
        # The contract tests' deployment (deployer, config, fees), with a treasury of the scenarios' fixed actors.
        system = build_system(project, chain, actor("treasury"), name="bench", progress=log.debug)
        admin = accounts.test_accounts[0]
        if admin.address != dev_account(0).address:
            raise RuntimeError("ape's test account 0 is not the deployer; check the test mnemonic in ape-config")
        report = measure(
            chain, project, system, admin, [dev_account(i).key for i in SIGNER_INDEXES], many=args.investors
        )
        node = chain.provider.web3.client_version
    elapsed = time.monotonic() - started

    log.info("gas benchmark: transaction gasUsed on %s (%s); solc 0.8.28, optimizer 200 runs", NETWORK, node)
    log.info("")
    for line in table(report):
        log.info("%s", line)
    log.info("")
    log.info("The claim goal is checked on an investor who still holds stablecoin, as in the contract tests; a")
    log.info("claim into an empty wallet also writes a fresh balance slot (the 'empty wallet' row).")
    log.info("%.1f s (anvil start, deployment and every scenario)", elapsed)
    failed = [c for c in goal_checks(report) if not c.met]
    if failed:
        log.info("gas goals NOT met: %s", "; ".join(f"{c.name} ({c.goal})" for c in failed))
        return 1
    log.info("every CONTRACTS.md gas goal is met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
