"""Signing keys: an encrypted keystore (eth-account keystore JSON or an ape account alias) unlocked with a
passphrase from a file or the environment. A raw private key is accepted only on a local chain."""

from __future__ import annotations

import json
import os
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from hundi.chain.devkeys import dev_account, is_local_chain
from oracle.errors import ConfigError, KeyLoadError


def ape_accounts_dir() -> Path:
    """Where ape keeps account keystores: `$APE_DATA_FOLDER/accounts`, default `~/.ape/accounts`."""
    base = os.environ.get("APE_DATA_FOLDER")
    return (Path(base) if base else Path.home() / ".ape") / "accounts"


def keystore_path(account: str) -> Path:
    """The keystore file an `--account` value names: an existing path, else an ape alias.

    Raises:
        KeyLoadError: neither a file nor a known alias.
    """
    path = Path(account).expanduser()
    if path.is_file():
        return path
    alias = ape_accounts_dir() / f"{account}.json"
    if alias.is_file():
        return alias
    raise KeyLoadError(
        f"--account {account!r} is neither a keystore file nor an ape account alias in {ape_accounts_dir()}; "
        "create one with `ape accounts import <alias>` or pass the keystore JSON path"
    )


def read_passphrase(password: str | None, password_file: Path | None) -> str:
    """The keystore passphrase: from `password_file` (first line) or `password` (an environment value).

    Raises:
        KeyLoadError: neither given, or the file cannot be read.
    """
    if password_file is not None:
        try:
            text = password_file.read_text()
        except OSError as exc:
            raise KeyLoadError(f"cannot read the passphrase file {password_file}: {exc}") from exc
        return text.splitlines()[0] if text else ""
    if password is not None:
        return password
    raise KeyLoadError(
        "the keystore is encrypted: set HUNDI_ORACLE_KEYSTORE_PASSWORD_FILE (a file holding the passphrase) or "
        "HUNDI_ORACLE_KEYSTORE_PASSWORD"
    )


def load_keystore(account: str, passphrase: str) -> LocalAccount:
    """Unlock the keystore `account` names.

    Raises:
        KeyLoadError: missing file, malformed JSON or wrong passphrase.
    """
    path = keystore_path(account)
    try:
        key = Account.decrypt(json.loads(path.read_text()), passphrase)
    except (ValueError, OSError, KeyError) as exc:
        raise KeyLoadError(f"cannot unlock keystore {path}: {exc} (check the passphrase)") from exc
    unlocked: LocalAccount = Account.from_key(key)
    return unlocked


def raw_key_account(private_key: str, chain_id: int, *, what: str) -> LocalAccount:
    """An account from a raw key, refused unless `chain_id` is a local chain.

    Raises:
        ConfigError: on a public chain.
        KeyLoadError: a malformed key.
    """
    if not is_local_chain(chain_id):
        raise ConfigError(f"{what}: raw private keys are accepted only on local chains (this is chain {chain_id})")
    try:
        account: LocalAccount = Account.from_key(private_key)
    except (ValueError, TypeError) as exc:
        raise KeyLoadError(f"{what}: not a valid private key ({exc})") from exc
    return account


def dev_key_account(index: int, chain_id: int) -> LocalAccount:
    """Development account `index`, refused unless `chain_id` is a local chain.

    Raises:
        ConfigError: on a public chain.
    """
    if not is_local_chain(chain_id):
        raise ConfigError(f"--dev-account works only on local chains (this is chain {chain_id}); use --account")
    return dev_account(index)
