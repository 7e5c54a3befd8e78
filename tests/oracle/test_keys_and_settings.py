"""Operator keys and secrets: keystores unlock only with their passphrase, raw keys and the local placeholder
secrets are refused outside local chains, and every refusal says what to set instead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from pydantic import SecretStr

from hundi.chain.devkeys import dev_account
from oracle.errors import ConfigError, KeyLoadError
from oracle.keys import dev_key_account, keystore_path, load_keystore, raw_key_account, read_passphrase
from oracle.settings import LOCAL_BANK_SECRET, OracleSettings

MAINNET, ANVIL = 1, 31337
PASSPHRASE = "correct horse battery staple"
STRONG_SECRET = "bank-webhook-secret-0123456789"
STRONG_TOKEN = "operator-token-0123456789abcdef"


@pytest.fixture
def keystore(tmp_path: Path) -> tuple[Path, str]:
    """A keystore JSON file encrypting dev account 7's key, and that account's address."""
    account = dev_account(7)
    path = tmp_path / "signer.json"
    path.write_text(json.dumps(Account.encrypt(account.key, PASSPHRASE, iterations=2)))
    return path, account.address


def test_a_keystore_unlocks_with_its_passphrase(keystore: tuple[Path, str]) -> None:
    path, address = keystore
    assert load_keystore(str(path), PASSPHRASE).address == address


def test_a_wrong_passphrase_is_refused_with_a_hint(keystore: tuple[Path, str]) -> None:
    path, _ = keystore
    with pytest.raises(KeyLoadError, match="check the passphrase"):
        load_keystore(str(path), "wrong")


def test_a_malformed_keystore_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(KeyLoadError, match="cannot unlock keystore"):
        load_keystore(str(path), PASSPHRASE)


def test_an_ape_alias_names_a_keystore_in_apes_folder(
    keystore: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, address = keystore
    accounts = tmp_path / "ape" / "accounts"
    accounts.mkdir(parents=True)
    (accounts / "operator.json").write_text(path.read_text())
    monkeypatch.setenv("APE_DATA_FOLDER", str(tmp_path / "ape"))
    assert keystore_path("operator") == accounts / "operator.json"
    assert load_keystore("operator", PASSPHRASE).address == address


def test_an_unknown_account_says_how_to_create_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APE_DATA_FOLDER", str(tmp_path))
    with pytest.raises(KeyLoadError, match="ape accounts import"):
        keystore_path("nobody")


def test_the_passphrase_comes_from_the_first_line_of_its_file(tmp_path: Path) -> None:
    file = tmp_path / "passphrase"
    file.write_text(f"{PASSPHRASE}\nignored\n")
    assert read_passphrase(None, file) == PASSPHRASE
    assert read_passphrase("from-env", None) == "from-env"


def test_a_missing_passphrase_names_both_settings(tmp_path: Path) -> None:
    with pytest.raises(KeyLoadError, match="HUNDI_ORACLE_KEYSTORE_PASSWORD_FILE"):
        read_passphrase(None, None)
    with pytest.raises(KeyLoadError, match="cannot read the passphrase file"):
        read_passphrase(None, tmp_path / "absent")


def test_raw_and_dev_keys_work_only_on_local_chains() -> None:
    key = dev_account(7).key.hex()
    assert raw_key_account(key, ANVIL, what="signer").address == dev_account(7).address
    with pytest.raises(ConfigError, match="only on local chains"):
        raw_key_account(key, MAINNET, what="signer")
    assert dev_key_account(8, ANVIL).address == dev_account(8).address
    with pytest.raises(ConfigError, match="use --account"):
        dev_key_account(8, MAINNET)


@pytest.mark.parametrize("key", ["", "0x1234", "not-a-key", "0x" + "zz" * 32])
def test_a_malformed_raw_key_is_refused(key: str) -> None:
    with pytest.raises(KeyLoadError, match="not a valid private key"):
        raw_key_account(key, ANVIL, what="signer")


def production(**overrides: object) -> OracleSettings:
    values: dict[str, object] = {
        "bank_webhook_secret": SecretStr(STRONG_SECRET),
        "oracle_admin_token": SecretStr(STRONG_TOKEN),
        **overrides,
    }
    return OracleSettings.model_validate(values)


def test_sound_settings_pass_on_a_public_chain() -> None:
    production().check_for_chain(MAINNET)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"bank_webhook_secret": SecretStr(LOCAL_BANK_SECRET)}, "HUNDI_BANK_WEBHOOK_SECRET"),
        ({"bank_webhook_secret": SecretStr("short")}, "at least 16"),
        ({"bank_webhook_secret": SecretStr(f"{STRONG_SECRET},{LOCAL_BANK_SECRET}")}, "local default is refused"),
        ({"oracle_private_key": SecretStr(dev_account(7).key.hex())}, "raw private keys are refused"),
        ({"oracle_collector_private_key": SecretStr(dev_account(6).key.hex())}, "raw private keys are refused"),
        ({"oracle_admin_token": None}, "HUNDI_ORACLE_ADMIN_TOKEN"),
        ({"oracle_admin_token": SecretStr("changeme")}, "HUNDI_ORACLE_ADMIN_TOKEN"),
    ],
)
def test_local_only_secrets_and_keys_are_refused_on_a_public_chain(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        production(**overrides).check_for_chain(MAINNET)


def test_the_local_defaults_are_accepted_on_a_local_chain() -> None:
    OracleSettings.model_validate({"oracle_private_key": SecretStr(dev_account(7).key.hex())}).check_for_chain(ANVIL)
