"""``hundi doc``: store and fetch encrypted invoice documents by CID."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from hundi.documents.cid import compute_cid, parse_cid
from hundi.documents.crypto import generate_key
from hundi.documents.errors import (
    DecryptionFailed,
    DocumentError,
    DocumentNotFound,
    InvalidCid,
)
from hundi.documents.settings import DocumentSettings
from hundi.documents.store import DocumentStore, IpfsStore, LocalStore
from hundi.documents.vault import DocumentVault

F = TypeVar("F", bound=Callable[..., Any])

_HINTS: list[tuple[type[DocumentError], str]] = [
    (InvalidCid, "CIDs of stored documents look like bafkrei... or bafybei..."),
    (DocumentNotFound, "check the CID and that --store/--docs-dir/--ipfs-api point where it was stored"),
    (DecryptionFailed, "documents open only with the HUNDI_DOCUMENT_KEY they were stored under"),
]


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Turn domain errors into one-line CLI errors (exit code 1) that say what to do next."""
    try:
        yield
    except ValidationError as exc:
        fields = ", ".join("HUNDI_" + str(err["loc"][0]).upper() for err in exc.errors())
        raise click.ClickException(f"invalid setting {fields}: {exc.errors()[0]['msg']}") from exc
    except DocumentError as exc:
        hint = next((text for kind, text in _HINTS if isinstance(exc, kind)), "")
        raise click.ClickException(f"{exc}" + (f"\nhint: {hint}" if hint else "")) from exc


def _store_options(func: F) -> F:
    func = click.option(
        "--docs-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Folder of the local store. Default: $HUNDI_DOCS_DIR, else var/docs in the project.",
    )(func)
    func = click.option(
        "--ipfs-api",
        default=None,
        help="Kubo RPC address (multiaddr or http URL). Default: $HUNDI_IPFS_API, else 127.0.0.1:5001.",
    )(func)
    func = click.option(
        "--store",
        "store_kind",
        type=click.Choice(["local", "ipfs"]),
        default="local",
        show_default=True,
        help="Where the encrypted bytes live.",
    )(func)
    return func


def _vault(store_kind: str, ipfs_api: str | None, docs_dir: Path | None) -> DocumentVault:
    settings = DocumentSettings()
    key = settings.operator_key()
    backend: DocumentStore
    if store_kind == "ipfs":
        try:
            backend = IpfsStore(ipfs_api or settings.ipfs_api)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--ipfs-api / HUNDI_IPFS_API") from exc
    else:
        backend = LocalStore(docs_dir or settings.local_docs_dir())
    return DocumentVault(backend, key)


@click.group(name="doc", context_settings={"help_option_names": ["-h", "--help"]})
def doc() -> None:
    """Store and fetch encrypted invoice documents by CID.

    Documents are sealed with AES-256-GCM under a per-document key that is wrapped with the operator key
    from HUNDI_DOCUMENT_KEY (make one with `hundi doc keygen`). The CID names the encrypted bytes; the
    docDigest is SHA-256 of the plaintext, as recorded on chain.
    """


@doc.command("put")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_store_options
def put(file: Path, store_kind: str, ipfs_api: str | None, docs_dir: Path | None) -> None:
    """Encrypt FILE, store it, and print {"cid", "docDigest", "size", "storedSize", "store"} as JSON."""
    with _domain_errors():
        stored = _vault(store_kind, ipfs_api, docs_dir).store(file.read_bytes())
    result = {
        "cid": stored.cid,
        "docDigest": stored.doc_digest_hex,
        "size": stored.size,
        "storedSize": stored.stored_size,
        "store": store_kind,
    }
    click.echo(json.dumps(result))


@doc.command("get")
@click.argument("cid")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the document here instead of to standard output.",
)
@click.option(
    "--expect-digest",
    default=None,
    help="Fail unless the document's SHA-256 equals this 0x-hex value (e.g. the on-chain docDigest).",
)
@_store_options
def get(
    cid: str,
    output: Path | None,
    expect_digest: str | None,
    store_kind: str,
    ipfs_api: str | None,
    docs_dir: Path | None,
) -> None:
    """Fetch the document stored under CID, decrypt it and check it."""
    stdout = click.get_binary_stream("stdout")
    if output is None and stdout.isatty():
        raise click.UsageError("refusing to write a binary document to a terminal; pass -o FILE or redirect")
    with _domain_errors():
        parse_cid(cid)  # a malformed CID is reported as such, before any key or store is needed
        plaintext = _vault(store_kind, ipfs_api, docs_dir).load(cid, expect_digest)
    if output is None:
        stdout.write(plaintext)
        stdout.flush()
    else:
        output.write_bytes(plaintext)
        click.echo(f"wrote {len(plaintext)} bytes to {output}", err=True)


@doc.command("keygen")
def keygen() -> None:
    """Print a fresh random operator key (hex) for HUNDI_DOCUMENT_KEY."""
    click.echo(generate_key())
    click.echo("export it as HUNDI_DOCUMENT_KEY; documents stored under it open only with it", err=True)


@doc.command("cid")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def cid_command(file: Path) -> None:
    """Print the CID `ipfs add --cid-version=1` gives FILE as it is (nothing is encrypted or stored)."""
    click.echo(compute_cid(file.read_bytes()))
