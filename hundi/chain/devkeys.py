"""The well-known development accounts of local chains (anvil, ape's test provider). Never used elsewhere."""

from __future__ import annotations

from functools import cache

from eth_account import Account
from eth_account.signers.local import LocalAccount

#: The mnemonic anvil and ape's test accounts use by default. Public: it protects nothing.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
#: Chain ids of local development chains; keys from DEV_MNEMONIC are accepted only on these.
LOCAL_CHAIN_IDS = frozenset({31337, 1337})


@cache
def dev_account(index: int) -> LocalAccount:
    """Development account `index` (BIP-44 path m/44'/60'/0'/0/index)."""
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return account


def is_local_chain(chain_id: int) -> bool:
    """Whether `chain_id` is a local development chain."""
    return chain_id in LOCAL_CHAIN_IDS
