"""Unit tests of InvoiceShares (ERC-1155): KYC-gated transfers, operators, batches, receivers, metadata,
pause, module-only mint/burn/setWithdrawn, and claim accounting that follows a transfer to the unit."""

from __future__ import annotations

import pytest

from tests.contracts.assertions import assert_event, error_abi, reverts_with
from tests.contracts.conftest import DAY, INVESTOR, UNIT, mint_verified

FACE = 100_000 * UNIT
# A principal of 2**36 base units with power-of-two tickets makes every claim below an exact integer: a
# repayment of `net` gives a holder of `b` shares exactly net * b / 2**36.
P = 2**36
A_AMOUNTS = [2**35, 2**34, 2**34]
B_PRICE = 30_000 * UNIT
B_AMOUNTS = [10_000 * UNIT, 12_000 * UNIT, 8_000 * UNIT]
ZERO_ADDRESS = "0x" + "00" * 20
ADMIN_ROLE = b"\x00" * 32


# ---------------------------------------------------------------- helpers


def _verified(system, chain, sme, admin, signers, tag: str) -> int:
    names = {"key": f"shares-unit-{tag}", "doc": f"shares-unit-doc-{tag}", "cid": "bafkreisharesunit"}
    return mint_verified(system, chain, sme, admin, signers, **names)


@pytest.fixture(scope="module")
def pool(
    system, chain, sme, admin, oracle_signers, investors, investor, stranger, buyer, treasury_account
) -> dict[str, int]:
    """Built once per module (ape snapshots after module fixtures, so every test starts from here):
    a: Funded, price 2**36, held 2**35 / 2**34 / 2**34 by investors 0 / 1 / 2;
    b: Funded, price 30,000 UNIT, held 10,000 / 12,000 / 8,000 UNIT;
    v: Verified, not listed."""
    ids = {}
    for tag, price, amounts in (("a", P, A_AMOUNTS), ("b", B_PRICE, B_AMOUNTS)):
        invoice_id = _verified(system, chain, sme, admin, oracle_signers, tag)
        system.escrow.list(invoice_id, price, chain.pending_timestamp + 7 * DAY, 0, sender=sme)
        for who, amount in zip(investors, amounts, strict=True):
            system.escrow.fund(invoice_id, amount, sender=who)
        ids[tag] = invoice_id
    ids["v"] = _verified(system, chain, sme, admin, oracle_signers, "v")
    return ids


@pytest.fixture
def a(pool) -> int:
    return pool["a"]


@pytest.fixture
def b(pool) -> int:
    return pool["b"]


# ---------------------------------------------------------------- single transfers


def test_transfer_between_kyc_investors_moves_balance_and_emits_transfer_single(shares, a, investors):
    x, y = investors[0], investors[1]
    receipt = shares.safeTransferFrom(x, y, a, 1_000, b"", sender=x)
    assert_event(receipt, shares.TransferSingle, operator=x, **{"from": x.address, "to": y.address}, id=a, value=1_000)
    assert shares.balanceOf(x, a) == 2**35 - 1_000
    assert shares.balanceOf(y, a) == 2**34 + 1_000
    assert shares.totalSupply(a) == P


def test_transfer_to_investor_without_kyc_reverts(shares, a, investor, stranger):
    with reverts_with(shares.NotKycApproved, account=stranger, role=INVESTOR):
        shares.safeTransferFrom(investor, stranger, a, 1, b"", sender=investor)


def test_transfer_from_investor_whose_kyc_expired_reverts(shares, kyc, a, chain, investors, admin):
    x, y = investors[0], investors[1]
    kyc.setKyc(x, INVESTOR, chain.pending_timestamp + 60, sender=admin)
    chain.mine(deltatime=120)
    with reverts_with(shares.NotKycApproved, account=x, role=INVESTOR):
        shares.safeTransferFrom(x, y, a, 1, b"", sender=x)
    # Nor can anyone send to them.
    with reverts_with(shares.NotKycApproved, account=x, role=INVESTOR):
        shares.safeTransferFrom(y, x, a, 1, b"", sender=y)
    assert shares.balanceOf(x, a) == 2**35


def test_transfer_of_revoked_investor_reverts(shares, kyc, a, chain, investors, admin):
    x, y = investors[0], investors[1]
    kyc.setKyc(y, 0, chain.pending_timestamp + 365 * DAY, sender=admin)
    with reverts_with(shares.NotKycApproved, account=y, role=INVESTOR):
        shares.safeTransferFrom(x, y, a, 1, b"", sender=x)


def test_operator_transfer_requires_approval_for_all(shares, a, investors):
    owner, operator, receiver = investors
    with reverts_with(shares.ERC1155MissingApprovalForAll, operator=operator, owner=owner):
        shares.safeTransferFrom(owner, receiver, a, 5, b"", sender=operator)

    receipt = shares.setApprovalForAll(operator, True, sender=owner)
    assert_event(receipt, shares.ApprovalForAll, account=owner, operator=operator, approved=True)
    assert shares.isApprovedForAll(owner, operator)
    assert not shares.isApprovedForAll(operator, owner)
    receipt = shares.safeTransferFrom(owner, receiver, a, 5, b"", sender=operator)
    assert_event(
        receipt,
        shares.TransferSingle,
        operator=operator,
        **{"from": owner.address, "to": receiver.address},
        id=a,
        value=5,
    )
    assert shares.balanceOf(receiver, a) == 2**34 + 5

    receipt = shares.setApprovalForAll(operator, False, sender=owner)
    assert_event(receipt, shares.ApprovalForAll, account=owner, operator=operator, approved=False)
    with reverts_with(shares.ERC1155MissingApprovalForAll, operator=operator, owner=owner):
        shares.safeTransferFrom(owner, receiver, a, 5, b"", sender=operator)


def test_set_approval_for_all_refuses_zero_operator(shares, investor):
    with reverts_with(shares.ERC1155InvalidOperator, operator=ZERO_ADDRESS):
        shares.setApprovalForAll(ZERO_ADDRESS, True, sender=investor)


def test_transfer_more_than_balance_reverts(shares, a, investors):
    x, y = investors[1], investors[0]
    with reverts_with(shares.ERC1155InsufficientBalance, sender=x, balance=2**34, needed=2**34 + 1, tokenId=a):
        shares.safeTransferFrom(x, y, a, 2**34 + 1, b"", sender=x)
    shares.safeTransferFrom(x, y, a, 2**34, b"", sender=x)  # exactly the balance is fine
    assert shares.balanceOf(x, a) == 0


def test_transfer_of_id_not_held_reverts(shares, investor, investors, pool):
    with reverts_with(shares.ERC1155InsufficientBalance, sender=investor, balance=0, needed=1, tokenId=pool["v"]):
        shares.safeTransferFrom(investor, investors[1], pool["v"], 1, b"", sender=investor)


def test_transfer_to_or_from_zero_address_reverts(shares, a, investor):
    with reverts_with(shares.ERC1155InvalidReceiver, receiver=ZERO_ADDRESS):
        shares.safeTransferFrom(investor, ZERO_ADDRESS, a, 1, b"", sender=investor)
    with reverts_with(shares.ERC1155InvalidSender, sender=ZERO_ADDRESS):
        shares.safeTransferFrom(ZERO_ADDRESS, investor, a, 1, b"", sender=investor)


def test_transfer_to_contract_without_receiver_hook_reverts(shares, kyc, stablecoin, a, b, chain, investor, admin):
    # KYC the stablecoin contract so the KYC check passes and the receiver check is what refuses it.
    kyc.setKyc(stablecoin, INVESTOR, chain.pending_timestamp + 365 * DAY, sender=admin)
    with reverts_with(shares.ERC1155InvalidReceiver, receiver=stablecoin):
        shares.safeTransferFrom(investor, stablecoin, a, 1, b"", sender=investor)
    with reverts_with(shares.ERC1155InvalidReceiver, receiver=stablecoin):
        shares.safeBatchTransferFrom(investor, stablecoin, [a, b], [1, 1], b"", sender=investor)
    assert shares.balanceOf(stablecoin, a) == 0


def test_self_transfer_changes_nothing(shares, distributor, a, investor, buyer):
    distributor.repay(a, 2**34, sender=buyer)
    shares.safeTransferFrom(investor, investor, a, 2**34, b"", sender=investor)
    assert shares.balanceOf(investor, a) == 2**35
    assert distributor.claimable(a, investor) == 2**33  # 2**34 * 2**35 / 2**36


# ---------------------------------------------------------------- batch transfers and views


def test_batch_transfer_moves_each_id_and_emits_transfer_batch(shares, a, b, investors):
    x, y = investors[0], investors[2]
    receipt = shares.safeBatchTransferFrom(x, y, [a, b], [100, 4_000 * UNIT], b"", sender=x)
    assert_event(
        receipt,
        shares.TransferBatch,
        operator=x,
        **{"from": x.address, "to": y.address},
        ids=[a, b],
        values=[100, 4_000 * UNIT],
    )
    assert shares.balanceOf(x, a) == 2**35 - 100
    assert shares.balanceOf(y, a) == 2**34 + 100
    assert shares.balanceOf(x, b) == 6_000 * UNIT
    assert shares.balanceOf(y, b) == 12_000 * UNIT


def test_batch_transfer_reverts_on_length_mismatch(shares, a, b, investors):
    with reverts_with(shares.ERC1155InvalidArrayLength, idsLength=2, valuesLength=1):
        shares.safeBatchTransferFrom(investors[0], investors[1], [a, b], [1], b"", sender=investors[0])


def test_batch_transfer_is_atomic_when_one_leg_lacks_balance(shares, a, b, investors):
    x, y = investors[2], investors[0]
    with reverts_with(
        shares.ERC1155InsufficientBalance, sender=x, balance=8_000 * UNIT, needed=8_000 * UNIT + 1, tokenId=b
    ):
        shares.safeBatchTransferFrom(x, y, [a, b], [7, 8_000 * UNIT + 1], b"", sender=x)
    assert shares.balanceOf(x, a) == 2**34


def test_batch_transfer_applies_kyc_and_approval(shares, a, b, investors, stranger):
    x = investors[0]
    with reverts_with(shares.NotKycApproved, account=stranger, role=INVESTOR):
        shares.safeBatchTransferFrom(x, stranger, [a], [1], b"", sender=x)
    with reverts_with(shares.ERC1155MissingApprovalForAll, operator=investors[1], owner=x):
        shares.safeBatchTransferFrom(x, investors[1], [a], [1], b"", sender=investors[1])


def test_balance_of_batch_returns_each_balance_and_checks_lengths(shares, a, b, investors, stranger):
    accounts = [investors[0], investors[1], stranger, investors[2]]
    assert list(shares.balanceOfBatch(accounts, [a, b, a, a])) == [2**35, 12_000 * UNIT, 0, 2**34]
    with reverts_with(shares.ERC1155InvalidArrayLength, idsLength=1, valuesLength=2):  # (ids, accounts) lengths
        shares.balanceOfBatch(accounts[:2], [a])


def test_position_and_wiring_views(shares, system, a, investor):
    assert shares.escrow() == system.escrow.address
    assert shares.distributor() == system.distributor.address
    assert shares.kyc() == system.kyc.address
    position = shares.positionOf(a, investor)
    assert (position.balance, position.withdrawn) == (2**35, 0)


def test_supports_erc1155_metadata_uri_and_erc165(shares):
    assert shares.supportsInterface(bytes.fromhex("d9b67a26"))  # IERC1155
    assert shares.supportsInterface(bytes.fromhex("0e89341c"))  # IERC1155MetadataURI
    assert shares.supportsInterface(bytes.fromhex("01ffc9a7"))  # IERC165
    assert shares.supportsInterface(bytes.fromhex("7965db0b"))  # IAccessControl
    assert not shares.supportsInterface(bytes.fromhex("ffffffff"))
    assert not shares.supportsInterface(bytes.fromhex("80ac58cd"))  # IERC721


def test_uri_is_empty_until_admin_sets_base_uri(shares, a, admin, stranger):
    assert shares.uri(a) == ""
    with reverts_with(shares.AccessControlUnauthorizedAccount, account=stranger, neededRole=ADMIN_ROLE):
        shares.setBaseUri("https://evil.example/", sender=stranger)
    shares.setBaseUri("https://hundi.example/shares/", sender=admin)
    assert shares.uri(a) == f"https://hundi.example/shares/{a}"
    assert shares.uri(1234567) == "https://hundi.example/shares/1234567"


# ---------------------------------------------------------------- supply and module-only entry points


def test_total_supply_equals_raised_while_listed_and_after_refunds(shares, escrow, pool, chain, investors, sme):
    v = pool["v"]
    deadline = chain.pending_timestamp + 2 * DAY
    escrow.list(v, 50_000 * UNIT, deadline, 0, sender=sme)
    assert shares.totalSupply(v) == 0
    escrow.fund(v, 7_000 * UNIT, sender=investors[0])
    escrow.fund(v, 3_000 * UNIT, sender=investors[1])
    assert shares.totalSupply(v) == 10_000 * UNIT
    assert escrow.listingOf(v).raised == 10_000 * UNIT
    chain.pending_timestamp = deadline + 1
    escrow.cancel(v, sender=sme)
    escrow.refund(v, sender=investors[0])
    assert shares.totalSupply(v) == 3_000 * UNIT
    assert shares.balanceOf(investors[0], v) == 0


def test_total_supply_of_funded_invoice_equals_price(shares, a, b):
    assert shares.totalSupply(a) == P
    assert shares.totalSupply(b) == B_PRICE


def test_mint_and_burn_all_refused_to_anyone_but_escrow(shares, a, investor, stranger, admin):
    for caller in (stranger, admin):
        with reverts_with(shares.NotEscrow, caller=caller):
            shares.mint(caller, a, 1_000, sender=caller)
        with reverts_with(shares.NotEscrow, caller=caller):
            shares.burnAll(investor, a, sender=caller)
    assert shares.balanceOf(investor, a) == 2**35
    assert shares.totalSupply(a) == P


def test_set_withdrawn_refused_to_anyone_but_distributor(shares, a, investor, stranger, admin):
    for caller in (stranger, investor, admin):
        with reverts_with(shares.NotDistributor, caller=caller):
            shares.setWithdrawn(a, investor, 2**100, sender=caller)
    assert shares.positionOf(a, investor).withdrawn == 0


def test_constructor_refuses_zero_module_addresses(project, system, admin):
    kyc, escrow, distributor = system.kyc, system.escrow, system.distributor
    for args in (
        (kyc, ZERO_ADDRESS, distributor),
        (kyc, escrow, ZERO_ADDRESS),
        (ZERO_ADDRESS, escrow, distributor),
    ):
        with reverts_with(error_abi(project.InvoiceShares, "ZeroAddress")):
            project.InvoiceShares.deploy(admin, *args, sender=admin)


# ---------------------------------------------------------------- pause


def test_pause_blocks_transfers_and_unpause_restores_them(shares, a, b, investors, admin):
    x, y = investors[0], investors[1]
    shares.pause(sender=admin)
    with reverts_with(shares.EnforcedPause):
        shares.safeTransferFrom(x, y, a, 1, b"", sender=x)
    with reverts_with(shares.EnforcedPause):
        shares.safeBatchTransferFrom(x, y, [a, b], [1, 1], b"", sender=x)
    shares.unpause(sender=admin)
    shares.safeTransferFrom(x, y, a, 1, b"", sender=x)
    assert shares.balanceOf(y, a) == 2**34 + 1


def test_pause_and_unpause_refused_to_stranger(shares, stranger, admin):
    role = shares.PAUSER_ROLE()
    with reverts_with(shares.AccessControlUnauthorizedAccount, account=stranger, neededRole=role):
        shares.pause(sender=stranger)
    shares.pause(sender=admin)
    with reverts_with(shares.AccessControlUnauthorizedAccount, account=stranger, neededRole=role):
        shares.unpause(sender=stranger)
    assert shares.paused()


def test_paused_shares_still_allow_claims(shares, distributor, stablecoin, a, investor, buyer, admin):
    distributor.repay(a, 2**34, sender=buyer)
    shares.pause(sender=admin)
    before = stablecoin.balanceOf(investor)
    distributor.claim(a, sender=investor)
    assert stablecoin.balanceOf(investor) - before == 2**33


# ---------------------------------------------------------------- claim accounting across transfers


def test_transfer_between_claims_preserves_each_sides_claimable(shares, distributor, stablecoin, a, investors, buyer):
    x, y, _ = investors
    # Repayment 1: 2**34, all below principal (no yield fee): 1/4 of a unit per share.
    distributor.repay(a, 2**34, sender=buyer)
    assert [distributor.claimable(a, h) for h in investors] == [2**33, 2**32, 2**32]
    distributor.claim(a, sender=x)
    assert distributor.claimable(a, x) == 0

    # x sends half its shares to y: neither side's claimable moves.
    shares.safeTransferFrom(x, y, a, 2**34, b"", sender=x)
    assert [distributor.claimable(a, h) for h in investors] == [0, 2**32, 2**32]
    assert shares.positionOf(a, x).withdrawn == 2**33
    assert shares.positionOf(a, y).withdrawn == 0

    # Repayment 2: another 2**34 splits by the new balances 2**34 / 2**35 / 2**34.
    distributor.repay(a, 2**34, sender=buyer)
    assert [distributor.claimable(a, h) for h in investors] == [2**32, 2**32 + 2**33, 2**32 + 2**32]

    before = [stablecoin.balanceOf(h) for h in investors]
    for holder in investors:
        distributor.claim(a, sender=holder)
    paid = [stablecoin.balanceOf(h) - bb for h, bb in zip(investors, before, strict=True)]
    assert paid == [2**32, 3 * 2**32, 2**33]
    # Everything repaid (2**35) went out: 2**33 earlier plus 6 * 2**32 now.
    assert 2**33 + sum(paid) == 2**35


def test_transfer_of_whole_position_after_claim_keeps_receiver_claim_and_sender_at_zero(
    shares, distributor, a, investors, buyer
):
    _, y, z = investors
    distributor.repay(a, 2**34, sender=buyer)
    distributor.claim(a, sender=y)
    shares.safeTransferFrom(y, z, a, 2**34, b"", sender=y)  # y's whole position
    assert distributor.claimable(a, y) == 0
    assert distributor.claimable(a, z) == 2**32
    distributor.repay(a, 2**35, sender=buyer)
    # Net 2**35 over balances 2**35 / 0 / 2**35.
    assert [distributor.claimable(a, h) for h in investors] == [2**33 + 2**34, 0, 2**32 + 2**34]
    with reverts_with(distributor.NothingToClaim, invoiceId=a, investor=y):
        distributor.claim(a, sender=y)


def test_transfer_before_any_repayment_moves_the_whole_future_claim(shares, distributor, a, investors, buyer):
    x, _, z = investors
    shares.safeTransferFrom(x, z, a, 2**35, b"", sender=x)
    distributor.repay(a, 2**34, sender=buyer)
    assert [distributor.claimable(a, h) for h in investors] == [0, 2**32, 2**32 + 2**33]


def test_operator_transfer_preserves_claimable_of_owner_and_receiver(
    shares, distributor, a, investors, buyer, stranger
):
    x, y, _ = investors
    distributor.repay(a, 2**34, sender=buyer)
    shares.setApprovalForAll(stranger, True, sender=x)
    shares.safeBatchTransferFrom(x, y, [a, a], [2**33, 2**33], b"", sender=stranger)
    assert distributor.claimable(a, x) == 2**33
    assert distributor.claimable(a, y) == 2**32
    assert shares.balanceOf(y, a) == 2**35
