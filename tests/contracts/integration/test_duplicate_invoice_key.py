"""One live token per invoiceKey (the IRN): the same invoice can never be financed twice."""

from __future__ import annotations

from eth_utils import keccak

from tests.contracts.assertions import events, reverts_with
from tests.contracts.conftest import DAY, FUNDED, MINTED, NONE, SME, UNIT


def test_duplicate_key_is_refused_while_the_first_is_funded_even_for_another_seller(
    system,
    chain,
    funded_invoice,
    mint_request,
    sme,
    stranger,
    admin,
):
    token = system.token
    key = keccak(text="IRN duplicate while funded")
    first = funded_invoice(key=key, amounts=[95_000 * UNIT])
    assert token.statusOf(first) == FUNDED
    assert token.idByKey(key) == first

    with reverts_with(token.DuplicateInvoice, invoiceKey=key, existingId=first):
        token.mint(mint_request(key=key), sender=sme)
    # the key is global: another KYC'd SME cannot mint it either
    system.kyc.setKyc(stranger, SME, chain.pending_timestamp + 365 * DAY, sender=admin)
    with reverts_with(token.DuplicateInvoice, invoiceKey=key, existingId=first):
        token.mint(mint_request(key=key), sender=stranger)
    # and a funded invoice cannot be burned to free its key
    with reverts_with(token.NotBurnable, invoiceId=first, status=FUNDED):
        token.burn(first, sender=sme)
    assert token.idByKey(key) == first
    assert token.statusOf(first) == FUNDED


def test_burning_a_minted_invoice_frees_its_key(system, make_invoice, mint_request, sme, stranger):
    token = system.token
    key = keccak(text="IRN burned then re-minted")
    first = make_invoice(key=key)
    assert token.statusOf(first) == MINTED
    with reverts_with(token.DuplicateInvoice, invoiceKey=key, existingId=first):
        token.mint(mint_request(key=key), sender=sme)
    with reverts_with(token.NotSeller, invoiceId=first, caller=stranger.address):
        token.burn(first, sender=stranger)

    receipt = token.burn(first, sender=sme)
    [changed] = events(receipt, token.InvoiceStatusChanged)
    assert (changed.invoiceId, getattr(changed, "from"), changed.to) == (first, MINTED, NONE)
    assert token.statusOf(first) == NONE
    assert token.idByKey(key) == 0

    receipt = token.mint(mint_request(key=key), sender=sme)
    second = int(receipt.return_value)
    assert second != first
    assert token.idByKey(key) == second
    assert token.statusOf(second) == MINTED
    [minted] = events(receipt, token.InvoiceMinted)
    assert (minted.invoiceId, bytes(minted.invoiceKey)) == (second, key)
