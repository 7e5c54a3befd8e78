"""Where document bytes live: the ``DocumentStore`` protocol and its local-folder and IPFS backends.

A store keeps opaque bytes (for Hundi, encrypted envelopes) under the CID that ``ipfs add --cid-version=1``
gives them, so a document moved between backends keeps its name.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import tempfile
import urllib.parse
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import ipfshttpclient
import ipfshttpclient.exceptions

from hundi.documents.cid import KUBO_CID_V1, compute_cid, parse_cid
from hundi.documents.errors import DocumentNotFound, IntegrityError, StoreUnavailable
from hundi.documents.settings import DEFAULT_IPFS_API, default_docs_dir

log = logging.getLogger(__name__)

# ipfshttpclient 0.7.0 passes urllib3 a `strict` argument that urllib3 2.x deprecates; harmless, and ours
# to silence since we chose the client.
warnings.filterwarnings("ignore", message="The 'strict' parameter is no longer needed", category=FutureWarning)


class DocumentStore(Protocol):
    """A content-addressed byte store."""

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its CID."""
        ...

    def get(self, cid: str) -> bytes:
        """Return the bytes stored under ``cid``, checked against it."""
        ...

    def pin(self, cid: str) -> None:
        """Make sure ``cid`` is kept (not garbage collected)."""
        ...


class LocalStore:
    """A content-addressed folder: ``<root>/<shard>/<cid>``.

    The shard is the two characters before the last one of the CID, the ``next-to-last/2`` scheme of
    Kubo's flatfs datastore: the last character carries few bits in base32, the ones before it are
    uniformly spread, so a few thousand documents fan out over up to 1024 folders.
    """

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else default_docs_dir()

    def path_for(self, cid: str) -> Path:
        """The file that holds ``cid`` (whether or not it exists).

        Raises:
            InvalidCid: when ``cid`` is not a canonical CIDv1.
        """
        parse_cid(cid)  # also guarantees the name is plain base32: no path separators, no "..".
        return self.root / cid[-3:-1] / cid

    def put(self, data: bytes) -> str:
        cid = compute_cid(data)
        path = self.path_for(cid)
        if path.exists():
            try:
                self._read_verified(path, cid)
                return cid  # already stored and intact
            except IntegrityError:
                log.warning("replacing corrupted local copy of %s", cid)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary file in the same folder, then rename: readers never see a partial file,
        # and a crash leaves at worst a stray ".tmp-" file, never a wrong file under a CID.
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(path.parent)
        return cid

    def get(self, cid: str) -> bytes:
        path = self.path_for(cid)
        try:
            return self._read_verified(path, cid)
        except FileNotFoundError:
            raise DocumentNotFound(cid, f"not in local store {self.root}") from None

    def pin(self, cid: str) -> None:
        """Local files are never collected, so pinning only checks that the document is there."""
        if not self.path_for(cid).is_file():
            raise DocumentNotFound(cid, f"not in local store {self.root}")

    @staticmethod
    def _read_verified(path: Path, cid: str) -> bytes:
        data = path.read_bytes()
        actual = compute_cid(data)
        if actual != cid:
            raise IntegrityError(f"local file {path} is corrupted: its bytes hash to {actual}, not {cid}")
        return data


def _fsync_dir(folder: Path) -> None:
    """Persist a rename (POSIX needs the directory entry flushed too)."""
    with contextlib.suppress(OSError):  # not supported on every platform or file system
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def api_multiaddr(api: str) -> str:
    """Turn ``http://host:port`` into the multiaddr ipfshttpclient expects; pass multiaddrs through."""
    if api.startswith("/"):
        return api
    url = urllib.parse.urlsplit(api)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"IPFS API address {api!r} is neither a multiaddr nor an http(s) URL")
    host = url.hostname
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        proto = "ip4" if ipaddress.ip_address(host).version == 4 else "ip6"
    except ValueError:
        proto = "dns"
    return f"/{proto}/{host}/tcp/{port}/{url.scheme}"


# Kubo's importer settings, sent explicitly: a node's Import.* configuration (or an init profile) can change
# its defaults, and the CID must come out as ours.
_ADD_OPTIONS = {
    "cid-version": "1",
    "raw-leaves": "true",
    "chunker": f"size-{KUBO_CID_V1.chunk_size}",
    "hash": "sha2-256",
    "pin": "true",
}


class IpfsStore:
    """A Kubo node through its RPC API (``/api/v0``), with every CID checked against our own computation."""

    def __init__(self, api: str = DEFAULT_IPFS_API, *, timeout: float = 60.0, offline: bool = False) -> None:
        """Point at a Kubo RPC API (a multiaddr such as /ip4/127.0.0.1/tcp/5001/http, or an http URL).

        Raises:
            ValueError: when ``api`` is not a usable address.
        """
        self.api = api
        # Construct Client directly: ipfshttpclient.connect() first asks the daemon for its version and
        # refuses anything >= 0.8.0, which is every current Kubo. The constructor sends no request.
        try:
            self._client: Any = ipfshttpclient.Client(api_multiaddr(api), timeout=timeout, offline=offline)
        except ipfshttpclient.exceptions.AddressError as exc:
            raise ValueError(f"IPFS API address {api!r} is not usable: {exc}") from exc

    def close(self) -> None:
        self._client.close()

    def put(self, data: bytes) -> str:
        expected = compute_cid(data)
        with self._errors(expected):
            returned = self._client.add_bytes(data, opts=dict(_ADD_OPTIONS))
        if returned != expected:
            raise IntegrityError(
                f"the IPFS node stored the document as {returned}, but `ipfs add --cid-version=1` gives "
                f"{expected}; check the node's Import settings (chunker, max links) or a proxy altering it"
            )
        return expected

    def get(self, cid: str) -> bytes:
        parse_cid(cid)
        with self._errors(cid):
            data: bytes = self._client.cat(cid)
        actual = compute_cid(data)
        if actual != cid:
            raise IntegrityError(f"the IPFS node returned bytes that hash to {actual} for {cid}")
        return data

    def pin(self, cid: str) -> None:
        parse_cid(cid)
        with self._errors(cid):
            # Passed as the string Kubo documents: the client would otherwise send Python's "True".
            self._client.pin.add(cid, recursive="true")

    @contextlib.contextmanager
    def _errors(self, cid: str) -> Iterator[None]:
        """Map ipfshttpclient's exceptions to document errors, keeping Kubo's message."""
        try:
            yield
        except ipfshttpclient.exceptions.ErrorResponse as exc:
            message = str(exc)
            lowered = message.lower()
            # Kubo's wording for a block it does not have: "block was not found locally (offline)",
            # "ipld: could not find <cid>", "merkledag: not found".
            if "not found" in lowered or "could not find" in lowered:
                raise DocumentNotFound(cid, f"IPFS node at {self.api} says: {message}") from exc
            raise StoreUnavailable(f"IPFS node at {self.api} refused the request: {message}") from exc
        except ipfshttpclient.exceptions.TimeoutError as exc:
            raise StoreUnavailable(f"IPFS node at {self.api} timed out") from exc
        except ipfshttpclient.exceptions.Error as exc:
            raise StoreUnavailable(
                f"cannot reach the IPFS node at {self.api} ({exc}); is `ipfs daemon` running, "
                "or pass --ipfs-api / HUNDI_IPFS_API"
            ) from exc
