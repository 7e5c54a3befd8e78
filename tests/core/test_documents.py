"""The document envelope, the operator key settings, LocalStore and DocumentVault."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest

from hundi.documents.cid import compute_cid
from hundi.documents.crypto import (
    HEADER_BYTES,
    MAGIC,
    OVERHEAD,
    decode_key,
    generate_key,
    is_placeholder_key,
    key_id,
    open_envelope,
    seal,
)
from hundi.documents.errors import (
    DecryptionFailed,
    DocumentKeyError,
    DocumentNotFound,
    IntegrityError,
    InvalidCid,
)
from hundi.documents.settings import DocumentSettings
from hundi.documents.store import LocalStore
from hundi.documents.vault import DocumentVault, doc_digest
from hundi.errors import HundiError

KEY = bytes.fromhex("8f" * 16 + "3c" * 16)
OTHER_KEY = bytes(range(32))
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"

# Envelope offsets (see hundi/documents/crypto.py): version 4, suite 5, key id 6..14, wrap nonce 14..26,
# wrapped key 26..74, data nonce 74..86, ciphertext from 86.
OFFSETS = {
    "version": 4,
    "suite": 5,
    "key id": 6,
    "wrap nonce": 14,
    "wrapped key": 30,
    "data nonce": 80,
    "ciphertext": HEADER_BYTES + 3,
    "tag": -1,
}


def flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


# --- envelope ------------------------------------------------------------------------------------------


def test_sealed_document_opens_with_the_same_key() -> None:
    envelope = seal(PDF, KEY)
    assert envelope.startswith(MAGIC + b"\x01\x01" + key_id(KEY))
    assert len(envelope) == len(PDF) + OVERHEAD
    assert open_envelope(envelope, KEY) == PDF


def test_each_seal_uses_fresh_keys_and_nonces() -> None:
    first, second = seal(PDF, KEY), seal(PDF, KEY)
    assert first != second
    assert first[14:HEADER_BYTES] != second[14:HEADER_BYTES]


def test_envelope_does_not_contain_the_plaintext() -> None:
    assert b"%PDF" not in seal(PDF, KEY)


def test_empty_document_round_trips() -> None:
    assert open_envelope(seal(b"", KEY), KEY) == b""


def test_wrong_operator_key_is_reported_as_such() -> None:
    with pytest.raises(DecryptionFailed, match="different operator key"):
        open_envelope(seal(PDF, KEY), OTHER_KEY)


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ("version", "unsupported envelope version"),
        ("suite", "unsupported envelope cipher suite"),
        ("key id", "different operator key"),
        ("wrap nonce", "header or wrapped key was altered"),
        ("wrapped key", "header or wrapped key was altered"),
        ("data nonce", "ciphertext was altered"),
        ("ciphertext", "ciphertext was altered"),
        ("tag", "ciphertext was altered"),
    ],
)
def test_tampering_with_any_envelope_region_is_detected(region: str, message: str) -> None:
    envelope = seal(PDF, KEY)
    with pytest.raises(DecryptionFailed, match=message):
        open_envelope(flip(envelope, OFFSETS[region]), KEY)


def test_wrapped_key_spliced_from_another_envelope_is_rejected() -> None:
    first, second = seal(PDF, KEY), seal(PDF, KEY)
    spliced = first[:14] + second[14:74] + first[74:]
    with pytest.raises(DecryptionFailed, match="ciphertext was altered"):
        open_envelope(spliced, KEY)


@pytest.mark.parametrize(
    ("envelope", "message"),
    [
        (b"", "shorter than a header"),
        (b"HDOC\x01\x01" + bytes(50), "shorter than a header"),
        (b"%PDF" + bytes(OVERHEAD), "bad magic"),
    ],
    ids=["empty", "truncated", "plain-pdf"],
)
def test_malformed_envelope_is_rejected(envelope: bytes, message: str) -> None:
    with pytest.raises(DecryptionFailed, match=message):
        open_envelope(envelope, KEY)


def test_truncated_ciphertext_is_rejected() -> None:
    with pytest.raises(DecryptionFailed, match="ciphertext was altered"):
        open_envelope(seal(PDF, KEY)[:-5], KEY)


@pytest.mark.parametrize("bad_key", [b"", bytes(16), bytes(33)])
def test_operator_key_must_be_32_bytes(bad_key: bytes) -> None:
    with pytest.raises(DocumentKeyError, match="32 bytes"):
        seal(PDF, bad_key)


def test_document_errors_share_the_hundi_base_class() -> None:
    assert issubclass(DecryptionFailed, HundiError)


# --- operator key text and settings -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        KEY.hex(),
        "0x" + KEY.hex(),
        KEY.hex().upper(),
        base64.b64encode(KEY).decode(),
        base64.urlsafe_b64encode(KEY).decode().rstrip("="),
        f"  {KEY.hex()}\n",
    ],
    ids=["hex", "0x-hex", "upper-hex", "base64", "urlsafe-unpadded", "whitespace"],
)
def test_decode_key_accepts_hex_and_base64(text: str) -> None:
    assert decode_key(text) == KEY


@pytest.mark.parametrize(
    "text",
    ["", "abc", KEY.hex()[:-2], "zz" * 32, base64.b64encode(bytes(31)).decode(), KEY.hex() + "00"],
    ids=["empty", "short", "31-bytes-hex", "non-hex", "31-bytes-base64", "33-bytes-hex"],
)
def test_decode_key_rejects_malformed_text(text: str) -> None:
    with pytest.raises(DocumentKeyError, match="hundi doc keygen"):
        decode_key(text)


def test_generated_keys_are_fresh_32_byte_hex() -> None:
    first, second = generate_key(), generate_key()
    assert len(decode_key(first)) == 32
    assert first != second
    assert not is_placeholder_key(decode_key(first))


def test_missing_key_error_says_how_to_make_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUNDI_DOCUMENT_KEY", raising=False)
    with pytest.raises(DocumentKeyError, match="hundi doc keygen"):
        DocumentSettings().operator_key()


@pytest.mark.parametrize("placeholder", ["00" * 32, "11" * 32])
def test_placeholder_key_is_refused_on_a_public_chain(monkeypatch: pytest.MonkeyPatch, placeholder: str) -> None:
    monkeypatch.setenv("HUNDI_DOCUMENT_KEY", placeholder)
    monkeypatch.setenv("HUNDI_CHAIN_ID", "137")
    with pytest.raises(DocumentKeyError, match="placeholder"):
        DocumentSettings().operator_key()


@pytest.mark.parametrize("chain_id", ["31337", "1337", None])
def test_placeholder_key_is_allowed_on_local_chains(monkeypatch: pytest.MonkeyPatch, chain_id: str | None) -> None:
    monkeypatch.setenv("HUNDI_DOCUMENT_KEY", "00" * 32)
    if chain_id is None:
        monkeypatch.delenv("HUNDI_CHAIN_ID", raising=False)
    else:
        monkeypatch.setenv("HUNDI_CHAIN_ID", chain_id)
    assert DocumentSettings().operator_key() == bytes(32)


def test_real_key_is_accepted_on_any_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUNDI_DOCUMENT_KEY", KEY.hex())
    monkeypatch.setenv("HUNDI_CHAIN_ID", "1")
    assert DocumentSettings().operator_key() == KEY


def test_settings_read_docs_dir_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUNDI_DOCS_DIR", str(tmp_path / "docs"))
    assert DocumentSettings().local_docs_dir() == tmp_path / "docs"


# --- LocalStore ----------------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "docs")


def test_local_store_names_bytes_by_their_ipfs_cid(store: LocalStore) -> None:
    assert store.put(b"hello world") == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"


def test_local_store_shards_by_next_to_last_two_characters(store: LocalStore) -> None:
    cid = store.put(PDF)
    path = store.root / cid[-3:-1] / cid
    assert path.read_bytes() == PDF
    assert store.path_for(cid) == path


def test_local_store_get_returns_what_was_put(store: LocalStore) -> None:
    big = os.urandom(600 * 1024)  # three chunks: a dag-pb root
    assert store.get(store.put(big)) == big


def test_local_store_put_is_idempotent(store: LocalStore) -> None:
    assert store.put(PDF) == store.put(PDF)
    assert len(list(store.root.rglob("*"))) == 2  # one shard folder, one file


def test_local_store_missing_cid_raises_not_found(store: LocalStore) -> None:
    with pytest.raises(DocumentNotFound, match="no document is stored"):
        store.get(compute_cid(b"never stored"))


@pytest.mark.parametrize("bad", ["", "../../etc/passwd", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", "bafk"])
def test_local_store_malformed_cid_raises_invalid_cid(store: LocalStore, bad: str) -> None:
    with pytest.raises(InvalidCid):
        store.get(bad)
    with pytest.raises(InvalidCid):
        store.pin(bad)


def test_local_store_detects_a_corrupted_file(store: LocalStore) -> None:
    cid = store.put(PDF)
    store.path_for(cid).write_bytes(flip(PDF, 10))
    with pytest.raises(IntegrityError, match="corrupted"):
        store.get(cid)


def test_local_store_put_repairs_a_corrupted_copy(store: LocalStore) -> None:
    cid = store.put(PDF)
    store.path_for(cid).write_bytes(b"garbage")
    assert store.put(PDF) == cid
    assert store.get(cid) == PDF


def test_local_store_pin_checks_existence(store: LocalStore) -> None:
    store.pin(store.put(PDF))
    with pytest.raises(DocumentNotFound):
        store.pin(compute_cid(b"absent"))


def test_local_store_failed_write_leaves_no_file(store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        store.put(PDF)
    assert [p for p in store.root.rglob("*") if p.is_file()] == []  # neither the CID file nor a temp file


def test_local_store_defaults_to_var_docs_under_project_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUNDI_ROOT", str(tmp_path))
    assert LocalStore().root == tmp_path / "var" / "docs"


# --- DocumentVault -------------------------------------------------------------------------------------


@pytest.fixture
def vault(store: LocalStore) -> DocumentVault:
    return DocumentVault(store, KEY)


def test_vault_stores_ciphertext_named_by_its_cid_and_digests_the_plaintext(
    vault: DocumentVault, store: LocalStore
) -> None:
    stored = vault.store(PDF)
    on_disk = store.path_for(stored.cid).read_bytes()
    assert stored.cid == compute_cid(on_disk)
    assert stored.doc_digest == hashlib.sha256(PDF).digest() == doc_digest(PDF)
    assert stored.doc_digest_hex == "0x" + hashlib.sha256(PDF).hexdigest()
    assert (stored.size, stored.stored_size) == (len(PDF), len(on_disk))
    assert PDF[:64] not in on_disk


def test_vault_load_returns_the_plaintext(vault: DocumentVault) -> None:
    assert vault.load(vault.store(PDF).cid) == PDF


@pytest.mark.parametrize("form", ["bytes", "0x-hex", "hex"])
def test_vault_load_accepts_the_expected_digest(vault: DocumentVault, form: str) -> None:
    stored = vault.store(PDF)
    expected: dict[str, bytes | str] = {
        "bytes": stored.doc_digest,
        "0x-hex": stored.doc_digest_hex,
        "hex": stored.doc_digest.hex(),
    }
    assert vault.load(stored.cid, expected[form]) == PDF


@pytest.mark.parametrize("expected", [hashlib.sha256(b"other").digest(), "0x" + "00" * 32])
def test_vault_load_rejects_a_digest_mismatch(vault: DocumentVault, expected: bytes | str) -> None:
    with pytest.raises(IntegrityError, match="expected 0x"):
        vault.load(vault.store(PDF).cid, expected)


@pytest.mark.parametrize("expected", ["0x1234", "not hex", b"short"])
def test_vault_load_rejects_a_malformed_expected_digest(vault: DocumentVault, expected: bytes | str) -> None:
    with pytest.raises(IntegrityError):
        vault.load(vault.store(PDF).cid, expected)


def test_vault_with_another_key_cannot_read(vault: DocumentVault, store: LocalStore) -> None:
    cid = vault.store(PDF).cid
    with pytest.raises(DecryptionFailed, match="different operator key"):
        DocumentVault(store, OTHER_KEY).load(cid)


def test_vault_rejects_a_tampered_envelope_stored_under_its_own_cid(vault: DocumentVault, store: LocalStore) -> None:
    envelope = store.get(vault.store(PDF).cid)
    forged_cid = store.put(flip(envelope, len(envelope) - 20))  # a consistent CID for altered bytes
    with pytest.raises(DecryptionFailed, match="ciphertext was altered"):
        vault.load(forged_cid)


def test_vault_missing_and_malformed_cids_raise_domain_errors(vault: DocumentVault) -> None:
    with pytest.raises(DocumentNotFound):
        vault.load(compute_cid(b"absent"))
    with pytest.raises(InvalidCid):
        vault.load("not-a-cid")
