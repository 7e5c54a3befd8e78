"""IpfsStore against a real HTTP server speaking the Kubo RPC protocol.

Kubo cannot be installed on these machines (TOOLCHAIN.md), so the test starts a small server on
127.0.0.1 that answers the three calls the store makes the way the Kubo RPC reference
(docs.ipfs.tech/reference/kubo/rpc) documents them:

* every call is ``POST /api/v0/<command>``; arguments are ``arg=`` query parameters, options are query
  parameters; a GET is answered ``405 Method Not Allowed``;
* ``/api/v0/add`` takes the file as a ``multipart/form-data`` part named ``file`` and answers
  ``{"Name", "Hash", "Size"}`` (``Size`` is a string);
* ``/api/v0/cat?arg=<cid>`` answers the raw bytes; ``/api/v0/pin/add?arg=<cid>`` answers ``{"Pins": [...]}``;
* errors are HTTP 500 with ``{"Message", "Code": 0, "Type": "error"}``.

The server names added bytes with the importer under test's ``compute_cid`` (a node and this store agree
on CIDs; what is tested here is the store's use of the RPC protocol and its error handling), and can be
told to misbehave: answer a different CID, return corrupted bytes, fail, or stall.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import ipfshttpclient
import ipfshttpclient.exceptions
import pytest

from hundi.documents.cid import compute_cid
from hundi.documents.errors import DocumentNotFound, IntegrityError, InvalidCid, StoreUnavailable
from hundi.documents.store import IpfsStore, api_multiaddr
from hundi.documents.vault import DocumentVault

KEY = bytes(range(1, 33))

# pytest re-enables warnings per test; this one comes from ipfshttpclient's use of urllib3 (see store.py).
pytestmark = pytest.mark.filterwarnings("ignore:The 'strict' parameter is no longer needed:FutureWarning")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str
    parts: list[tuple[str, bytes]]  # (form-data field name, content)


@dataclass
class KuboRpc:
    """A Kubo RPC look-alike with a block store, a pin set and scripted faults."""

    blocks: dict[str, bytes] = field(default_factory=dict)
    pins: set[str] = field(default_factory=set)
    requests: list[Request] = field(default_factory=list)
    answer_cid: str | None = None  # answer /add with this CID instead of the right one
    corrupt_cat: bool = False
    error_message: str | None = None  # answer every call with this 500 error
    delay: float = 0.0
    port: int = 0

    def not_found(self, cid: str) -> str:
        # Kubo's wording when a block is not in the repo and the node does not search the network.
        return f"block was not found locally (offline): ipld: could not find {cid}"


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, de-chunked: ipfshttpclient streams uploads with chunked transfer encoding."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(body)
            body += handler.rfile.read(size)
            handler.rfile.readline()
    return handler.rfile.read(int(handler.headers.get("Content-Length", "0")))


def _multipart(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    """Split a multipart/form-data body into (field name, content), RFC 7578."""
    if not content_type.startswith("multipart/form-data"):
        return []
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    parts = []
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
        disposition = next(
            line for line in head.decode().split("\r\n") if line.lower().startswith("content-disposition")
        )
        name = disposition.split('name="', 1)[1].split('"', 1)[0]
        parts.append((name, content.removesuffix(b"\r\n")))
    return parts


def _handler(node: KuboRpc) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, message: str) -> None:
            self._send(500, json.dumps({"Message": message, "Code": 0, "Type": "error"}).encode())

        def do_GET(self) -> None:
            self._send(405, b"405 - Method Not Allowed", "text/plain")

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            content_type = self.headers.get("Content-Type", "")
            body = _read_body(self)
            node.requests.append(Request("POST", url.path, query, content_type, _multipart(content_type, body)))
            if node.delay:
                time.sleep(node.delay)
            if node.error_message:
                return self._error(node.error_message)
            cid = query.get("arg", [""])[0]
            if url.path == "/api/v0/add":
                data = dict(node.requests[-1].parts)["file"]
                added = node.answer_cid or compute_cid(data)
                node.blocks[added] = data
                node.pins.add(added)
                return self._send(200, json.dumps({"Name": added, "Hash": added, "Size": str(len(data))}).encode())
            if url.path == "/api/v0/cat":
                if cid not in node.blocks:
                    return self._error(node.not_found(cid))
                data = node.blocks[cid]
                return self._send(200, data[::-1] if node.corrupt_cat else data, "text/plain")
            if url.path == "/api/v0/pin/add":
                if cid not in node.blocks:
                    return self._error("pin: " + node.not_found(cid))
                node.pins.add(cid)
                return self._send(200, json.dumps({"Pins": [cid]}).encode())
            if url.path == "/api/v0/version":
                return self._send(200, json.dumps({"Version": "0.36.0", "Repo": "16"}).encode())
            return self._send(404, b"404 page not found", "text/plain")

    return Handler


class QuietServer(ThreadingHTTPServer):
    """Does not print a traceback when a client that timed out has already hung up (the point of the test)."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@pytest.fixture
def kubo() -> Iterator[KuboRpc]:
    node = KuboRpc()
    server = QuietServer(("127.0.0.1", 0), _handler(node))
    node.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield node
    server.shutdown()
    server.server_close()


@pytest.fixture
def store(kubo: KuboRpc) -> IpfsStore:
    return IpfsStore(f"http://127.0.0.1:{kubo.port}", timeout=5)


def test_constructing_the_store_sends_no_version_check(kubo: KuboRpc) -> None:
    IpfsStore(f"http://127.0.0.1:{kubo.port}")
    assert kubo.requests == []


def test_connect_would_refuse_a_current_kubo_which_is_why_the_store_does_not_use_it(kubo: KuboRpc) -> None:
    with pytest.raises(ipfshttpclient.exceptions.VersionMismatch):
        ipfshttpclient.connect(api_multiaddr(f"http://127.0.0.1:{kubo.port}"))


def test_put_posts_a_multipart_add_with_cid_version_1_options(kubo: KuboRpc, store: IpfsStore) -> None:
    data = b"invoice bytes" * 1000
    cid = store.put(data)
    assert cid == compute_cid(data)
    [request] = kubo.requests
    assert (request.method, request.path) == ("POST", "/api/v0/add")
    assert request.query == {
        "stream-channels": ["true"],  # ipfshttpclient's global option on every call
        "cid-version": ["1"],
        "raw-leaves": ["true"],
        "chunker": ["size-262144"],
        "hash": ["sha2-256"],
        "pin": ["true"],
    }
    assert request.content_type.startswith("multipart/form-data; boundary=")
    assert request.parts == [("file", data)]
    assert cid in kubo.pins


def test_get_posts_cat_with_the_cid_as_arg(kubo: KuboRpc, store: IpfsStore) -> None:
    cid = store.put(b"hello world")
    assert store.get(cid) == b"hello world"
    request = kubo.requests[-1]
    assert (request.method, request.path, request.query) == (
        "POST",
        "/api/v0/cat",
        {"stream-channels": ["true"], "arg": [cid]},
    )


def test_pin_posts_recursive_pin_add(kubo: KuboRpc, store: IpfsStore) -> None:
    cid = store.put(b"to pin")
    kubo.pins.clear()
    store.pin(cid)
    request = kubo.requests[-1]
    assert (request.method, request.path, request.query) == (
        "POST",
        "/api/v0/pin/add",
        {"stream-channels": ["true"], "recursive": ["true"], "arg": [cid]},
    )
    assert cid in kubo.pins


def test_unknown_cid_raises_document_not_found_with_kubo_message(store: IpfsStore) -> None:
    cid = compute_cid(b"never added")
    with pytest.raises(DocumentNotFound, match="could not find"):
        store.get(cid)
    with pytest.raises(DocumentNotFound):
        store.pin(cid)


@pytest.mark.parametrize(
    "bad", ["", "Qmxyz", "bafk!", "/ipfs/bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"]
)
def test_malformed_cid_is_rejected_before_any_request(kubo: KuboRpc, store: IpfsStore, bad: str) -> None:
    with pytest.raises(InvalidCid):
        store.get(bad)
    with pytest.raises(InvalidCid):
        store.pin(bad)
    assert kubo.requests == []


def test_node_answering_a_different_cid_is_an_integrity_error(kubo: KuboRpc, store: IpfsStore) -> None:
    kubo.answer_cid = "QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH"  # what a CIDv0 default node would say
    with pytest.raises(IntegrityError, match="Import settings"):
        store.put(b"Hello Worlds!\n")


def test_node_returning_altered_bytes_is_an_integrity_error(kubo: KuboRpc, store: IpfsStore) -> None:
    cid = store.put(b"abcdef")
    kubo.corrupt_cat = True
    with pytest.raises(IntegrityError, match="hash to"):
        store.get(cid)


def test_node_error_is_reported_as_store_unavailable(kubo: KuboRpc, store: IpfsStore) -> None:
    kubo.error_message = "cannot add: datastore is full"
    with pytest.raises(StoreUnavailable, match="datastore is full"):
        store.put(b"x")


def test_stalled_node_times_out_as_store_unavailable(kubo: KuboRpc) -> None:
    kubo.delay = 0.5
    store = IpfsStore(f"http://127.0.0.1:{kubo.port}", timeout=0.1)
    with pytest.raises(StoreUnavailable, match="timed out"):
        store.put(b"slow")


def test_unreachable_node_says_how_to_fix_it() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens there
    with pytest.raises(StoreUnavailable, match="ipfs daemon"):
        IpfsStore(f"http://127.0.0.1:{port}", timeout=2).put(b"x")


def test_vault_round_trips_through_the_node(kubo: KuboRpc, store: IpfsStore) -> None:
    vault = DocumentVault(store, KEY)
    stored = vault.store(b"%PDF-1.4 invoice")
    assert kubo.blocks[stored.cid] != b"%PDF-1.4 invoice"  # the node only ever sees ciphertext
    assert vault.load(stored.cid, stored.doc_digest) == b"%PDF-1.4 invoice"


@pytest.mark.parametrize(
    ("api", "multiaddr"),
    [
        ("/ip4/127.0.0.1/tcp/5001/http", "/ip4/127.0.0.1/tcp/5001/http"),
        ("http://127.0.0.1:5001", "/ip4/127.0.0.1/tcp/5001/http"),
        ("http://[::1]:5001", "/ip6/::1/tcp/5001/http"),
        ("https://ipfs.internal", "/dns/ipfs.internal/tcp/443/https"),
    ],
)
def test_api_address_forms_become_multiaddrs(api: str, multiaddr: str) -> None:
    assert api_multiaddr(api) == multiaddr


@pytest.mark.parametrize("api", ["127.0.0.1:5001", "ftp://host:21", "http://"])
def test_malformed_api_address_is_rejected(api: str) -> None:
    with pytest.raises(ValueError, match="multiaddr"):
        api_multiaddr(api)


@pytest.mark.parametrize("api", ["/ip4/127.0.0.1/udp/5001", "/foo/bar", "http://"])
def test_store_with_an_unusable_api_address_raises_value_error(api: str) -> None:
    with pytest.raises(ValueError):
        IpfsStore(api)
