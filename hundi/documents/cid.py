"""CIDs exactly as ``ipfs add --cid-version=1`` computes them, without a node.

Kubo's importer with ``--cid-version=1`` (which implies ``--raw-leaves``) does this, and so does this module:

* split the file into fixed 256 KiB chunks (``--chunker=size-262144``, Kubo's default);
* a file of one chunk or less is a single raw block: CIDv1, codec ``raw`` (0x55), sha2-256, so ``bafkrei...``;
* a larger file is a balanced DAG (boxo ``ipld/unixfs/importer/balanced``): each raw chunk is a leaf, and
  ``dag-pb`` (0x70) nodes of at most 174 links carry a UnixFS ``File`` message with ``filesize`` and one
  ``blocksizes`` entry per child, so the root is ``bafybei...``.

Specs: CID (multiformats/cid), multihash, multibase ``b`` = RFC 4648 base32 lower case without padding,
dag-pb (ipld/specs ``block-layer/codecs/dag-pb.md``: links are serialised before data) and UnixFS
(ipfs/specs ``unixfs.md``). The protobuf subset needed (varints and length-delimited fields) is encoded
by hand here: it is a few lines and keeps this module free of a protobuf runtime.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from hundi.documents.errors import InvalidCid

# multicodec table (multiformats/multicodec table.csv)
CODEC_RAW = 0x55
CODEC_DAG_PB = 0x70
SHA2_256 = 0x12
SHA2_256_LENGTH = 32

# UnixFS Data.DataType (ipfs/specs unixfs.md)
_UNIXFS_FILE = 2

Chunk = bytes | bytearray | memoryview  # anything hashlib can hash without a copy

_CODEC_NAMES = {CODEC_RAW: "raw", CODEC_DAG_PB: "dag-pb"}
_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@dataclass(frozen=True)
class ImportProfile:
    """The importer parameters that decide a file's CID.

    The default is what ``ipfs add --cid-version=1`` uses with Kubo's default configuration. The other
    fields exist so that the builder can be checked against published vectors made with other profiles
    (see tests/core/test_cid.py); documents are always stored with the default.
    """

    chunk_size: int = 262_144  # Kubo default chunker "size-262144"
    max_links: int = 174  # boxo helpers.DefaultLinksPerBlock
    raw_leaves: bool = True  # implied by --cid-version=1
    cid_version: int = 1

    def __post_init__(self) -> None:
        if self.chunk_size < 1 or self.max_links < 2:
            raise ValueError("chunk_size must be >= 1 and max_links >= 2")
        if self.cid_version not in (0, 1):
            raise ValueError("cid_version must be 0 or 1")
        if self.cid_version == 0 and self.raw_leaves:
            # A raw block has no CIDv0 form; Kubo would silently upgrade. Refuse instead of guessing.
            raise ValueError("raw leaves need CIDv1")


KUBO_CID_V1 = ImportProfile()


@dataclass(frozen=True)
class Cid:
    """A parsed CIDv1 with a sha2-256 multihash."""

    codec: int
    digest: bytes

    @property
    def codec_name(self) -> str:
        return _CODEC_NAMES[self.codec]

    def to_bytes(self) -> bytes:
        return _cid_v1_bytes(self.codec, self.digest)

    def __str__(self) -> str:
        return "b" + _b32(self.to_bytes())


# --- encodings ---------------------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    """Unsigned LEB128, as used by protobuf and multiformats (unsigned-varint spec)."""
    if value < 0:
        raise ValueError("varint must be non-negative")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """Decode a minimal unsigned varint at ``pos``; return (value, next position)."""
    value = 0
    for i in range(9):  # the multiformats unsigned-varint spec caps varints at 9 bytes
        if pos + i >= len(data):
            raise InvalidCid("truncated varint")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if byte == 0 and i > 0:
                raise InvalidCid("non-minimal varint")
            return value, pos + i + 1
    raise InvalidCid("varint longer than 9 bytes")


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _b58(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    while number:
        number, rem = divmod(number, 58)
        chars.append(_BASE58_ALPHABET[rem])
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + "".join(reversed(chars))


def _multihash_sha256(block: Chunk) -> bytes:
    return bytes([SHA2_256, SHA2_256_LENGTH]) + hashlib.sha256(block).digest()


def _cid_v1_bytes(codec: int, digest: bytes) -> bytes:
    return _varint(1) + _varint(codec) + bytes([SHA2_256, SHA2_256_LENGTH]) + digest


def _pb_varint_field(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)  # wire type 0


def _pb_bytes_field(field: int, value: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(value)) + value  # wire type 2


def _unixfs_file(data: bytes, filesize: int, blocksizes: list[int]) -> bytes:
    """A UnixFS ``Data`` message of type File, fields in tag order as go-unixfs writes them."""
    out = _pb_varint_field(1, _UNIXFS_FILE)
    if data:
        out += _pb_bytes_field(2, data)
    out += _pb_varint_field(3, filesize)
    for size in blocksizes:
        out += _pb_varint_field(4, size)  # proto2 repeated uint64, not packed
    return out


def _pb_node(links: list[_Link], data: bytes) -> bytes:
    """A dag-pb ``PBNode``: Links (field 2) come before Data (field 1), as the dag-pb spec requires."""
    out = b""
    for link in links:
        # PBLink: Hash (1), Name (2), Tsize (3). Kubo always writes the empty Name of file chunks.
        body = _pb_bytes_field(1, link.cid) + _pb_bytes_field(2, b"") + _pb_varint_field(3, link.tsize)
        out += _pb_bytes_field(2, body)
    return out + _pb_bytes_field(1, data)


# --- the importer -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Link:
    cid: bytes  # binary CID, as it appears in PBLink.Hash
    tsize: int  # cumulative size of the serialised blocks under this link
    filesize: int  # file bytes under this link
    text: str  # printable CID


class CidBuilder:
    """Incremental CID computation: feed bytes with :meth:`update`, then call :meth:`finish` once."""

    def __init__(self, profile: ImportProfile = KUBO_CID_V1) -> None:
        self._profile = profile
        self._pending = bytearray()
        self._leaves: list[_Link] = []
        self._finished = False

    def update(self, data: bytes) -> None:
        if self._finished:
            raise RuntimeError("CidBuilder.update after finish")
        size = self._profile.chunk_size
        view = memoryview(data)
        # The tail chunk always stays pending: only finish() knows whether it is the last (or only) one.
        if self._pending:
            take = size - len(self._pending)
            self._pending += view[:take]
            view = view[take:]
            if not view:
                return
            self._leaves.append(self._leaf(self._pending))  # full, and more data follows
            self._pending = bytearray()
        while len(view) > size:  # whole chunks straight from the caller's buffer, without copying
            self._leaves.append(self._leaf(view[:size]))
            view = view[size:]
        self._pending = bytearray(view)

    def finish(self) -> str:
        if self._finished:
            raise RuntimeError("CidBuilder.finish called twice")
        self._finished = True
        if self._pending or not self._leaves:
            # An empty file is one empty leaf, as in boxo's balanced.Layout.
            self._leaves.append(self._leaf(self._pending))
        level = self._leaves
        # Bottom-up grouping gives the same tree as boxo's top-down balanced builder: every node is full
        # except those on the right-most path, and the depth is the smallest that holds all leaves.
        while len(level) > 1:
            step = self._profile.max_links
            level = [self._branch(level[i : i + step]) for i in range(0, len(level), step)]
        return level[0].text

    def _make_link(self, codec: int, block: Chunk, tsize: int, filesize: int) -> _Link:
        if self._profile.cid_version == 0 and codec == CODEC_DAG_PB:
            multihash = _multihash_sha256(block)
            return _Link(multihash, tsize, filesize, _b58(multihash))
        raw = _cid_v1_bytes(codec, hashlib.sha256(block).digest())
        return _Link(raw, tsize, filesize, "b" + _b32(raw))

    def _leaf(self, chunk: Chunk) -> _Link:
        if self._profile.raw_leaves:
            return self._make_link(CODEC_RAW, chunk, len(chunk), len(chunk))
        block = _pb_node([], _unixfs_file(bytes(chunk), len(chunk), []))
        return self._make_link(CODEC_DAG_PB, block, len(block), len(chunk))

    def _branch(self, children: list[_Link]) -> _Link:
        filesize = sum(child.filesize for child in children)
        data = _unixfs_file(b"", filesize, [child.filesize for child in children])
        block = _pb_node(children, data)
        return self._make_link(CODEC_DAG_PB, block, len(block) + sum(c.tsize for c in children), filesize)


def compute_cid(data: bytes, profile: ImportProfile = KUBO_CID_V1) -> str:
    """The CID ``ipfs add --cid-version=1`` gives ``data`` (or the CID under another profile)."""
    builder = CidBuilder(profile)
    builder.update(data)
    return builder.finish()


def compute_cid_of_chunks(chunks: Iterable[bytes], profile: ImportProfile = KUBO_CID_V1) -> str:
    """Like :func:`compute_cid` for data that arrives in pieces (of any sizes)."""
    builder = CidBuilder(profile)
    for chunk in chunks:
        builder.update(chunk)
    return builder.finish()


def parse_cid(text: str) -> Cid:
    """Parse a canonical CIDv1 string (base32 lower, raw or dag-pb, sha2-256).

    Raises:
        InvalidCid: with the reason, for anything else (including CIDv0 ``Qm...`` strings).
    """
    if not isinstance(text, str) or not text:
        raise InvalidCid("CID is empty")
    if text.startswith("Qm"):
        raise InvalidCid(f"{text!r} is a CIDv0; this store addresses documents by CIDv1 (bafy.../bafk...)")
    if text[0] != "b":
        raise InvalidCid(f"{text!r} is not base32 multibase (must start with 'b')")
    body = text[1:]
    if not body or body != body.lower() or any(c not in "abcdefghijklmnopqrstuvwxyz234567" for c in body):
        raise InvalidCid(f"{text!r} has characters outside lower-case base32")
    try:
        raw = base64.b32decode(body.upper() + "=" * (-len(body) % 8))
    except ValueError as exc:
        raise InvalidCid(f"{text!r} is not valid base32: {exc}") from exc
    version, pos = _read_varint(raw, 0)
    if version != 1:
        raise InvalidCid(f"{text!r} has CID version {version}; expected 1")
    codec, pos = _read_varint(raw, pos)
    if codec not in _CODEC_NAMES:
        raise InvalidCid(f"{text!r} has codec 0x{codec:x}; expected raw (0x55) or dag-pb (0x70)")
    hash_code, pos = _read_varint(raw, pos)
    length, pos = _read_varint(raw, pos)
    if hash_code != SHA2_256 or length != SHA2_256_LENGTH:
        raise InvalidCid(f"{text!r} is not a sha2-256 multihash")
    digest = raw[pos:]
    if len(digest) != SHA2_256_LENGTH:
        raise InvalidCid(f"{text!r} has a {len(digest)}-byte digest; expected 32")
    cid = Cid(codec, digest)
    if str(cid) != text:
        # e.g. stray trailing base32 bits: refuse non-canonical spellings so one document has one name.
        raise InvalidCid(f"{text!r} is not in canonical form (expected {cid})")
    return cid
