"""Invoice intake for SMEs: upload a PDF or image, get the OCR prefill, the encrypted document's CID and digest,
and a ready `InvoiceToken.mint` request; plus the seller-only download of the decrypted document.

Why it is shaped this way:
- The body is read with a hard cap (Content-Length first, then while streaming), so a huge upload costs at most
  ``max_upload_bytes`` of memory; base64 JSON gets the same cap on the decoded file.
- The type is decided by magic bytes, never by the declared content type; OCR runs in hundi.ocr's sandbox, off the
  event loop, and its typed errors become clear 4xx answers.
- The document is stored only once it was read and is not a duplicate, encrypted through hundi.documents (the
  vault the oracle reads from), so nothing half-accepted is left behind.
- Keys and hashes follow CONTRACTS.md through hundi.gst.irn: invoiceKey = the IRN's 32 bytes, buyerId =
  keccak256(buyer GSTIN). Dates become noon IST of the printed day, which is what the oracle compares.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from datetime import date, datetime, time
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from web3 import Web3

from backend.api.auth import SME, CurrentUser, User, require_role
from backend.api.deps import ApiContext, Context
from backend.api.errors import ERROR_RESPONSES, ApiError, ErrorResponse
from backend.db.models import Invoice, InvoiceStatus
from hundi.documents import DocumentError, DocumentKeyError, DocumentNotFound, DocumentVault, LocalStore
from hundi.documents.settings import DocumentSettings
from hundi.gst.errors import GstError
from hundi.gst.gstin import validate_gstin
from hundi.gst.irn import buyer_id, financial_year_of, invoice_key
from hundi.ocr import (
    CorruptFile,
    EmptyFile,
    EncryptedFile,
    ExtractionResult,
    FileTooLarge,
    OcrError,
    OcrLimits,
    OcrUnavailable,
    ResourceLimitExceeded,
    UnsupportedFile,
)
from hundi.verification import IST, to_base_units

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/invoices", tags=["upload"])

#: (magic prefix, media type) of the accepted files.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
#: Room for multipart boundaries, part headers and the JSON envelope around the file.
ENVELOPE_BYTES = 64 * 1024
#: Documents read at the same time by one app (each in a sandboxed process of its own).
OCR_CONCURRENCY = max(1, min(4, (os.cpu_count() or 2) // 2))
#: Below this confidence a prefilled field is flagged for the SME to check.
LOW_CONFIDENCE = 0.8
#: Label -> field name of hundi.ocr's InvoiceFields, in the order the form shows them.
FIELD_NAMES = {
    "invoiceNumber": "invoice_number",
    "issueDate": "issue_date",
    "dueDate": "due_date",
    "sellerGstin": "seller_gstin",
    "buyerGstin": "buyer_gstin",
    "taxableValue": "taxable_value",
    "tax": "tax",
    "total": "total",
    "currency": "currency",
    "irn": "irn",
}

_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    413: {"model": ErrorResponse, "description": "the file (or the request) is larger than the upload limit"},
    415: {"model": ErrorResponse, "description": "not a PDF, PNG or JPEG, or not multipart/JSON"},
    503: {"model": ErrorResponse, "description": "OCR, the document store or the node is unavailable"},
}

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the invoice as a multipart `file` part, or JSON with the file base64-encoded",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["invoiceFile"],
                    "properties": {
                        "invoiceFile": {"type": "string", "description": "base64 (or a base64 data: URL)"},
                        "filename": {"type": "string", "maxLength": 255},
                        "contentType": {"type": "string", "maxLength": 255},
                    },
                }
            },
        },
    }
}


# ------------------------------------------------------------------------------------------------ response models


class FieldOut(BaseModel):
    value: str = Field(description="dates ISO yyyy-mm-dd, amounts in rupees with paise, GSTINs upper case")
    confidence: float = Field(ge=0, le=1)
    source: str = Field(description="the document text the value was read from")


class TransactionOut(BaseModel):
    """An unsigned transaction for the user's wallet (it adds gas, fees and nonce)."""

    to: str
    data: str
    value: str = Field(description="wei, decimal string")
    chainId: int
    from_: str = Field(serialization_alias="from")
    description: str


class MintArgs(BaseModel):
    """InvoiceToken.MintRequest; amounts and times are decimal strings / unix seconds."""

    invoiceKey: str
    buyerId: str
    faceValue: str = Field(description="stablecoin base units (decimals in /api/v1/config), decimal string")
    issueDate: int = Field(description="unix seconds, noon IST of the printed date")
    dueDate: int = Field(description="unix seconds, noon IST of the printed date")
    docDigest: str
    docCid: str


class MintRequestOut(BaseModel):
    contract: str = Field(description="InvoiceToken address")
    function: str = "mint((bytes32,bytes32,uint128,uint64,uint64,bytes32,string))"
    args: MintArgs
    transaction: TransactionOut


class FileOut(BaseModel):
    filename: str | None
    contentType: str = Field(description="from the magic bytes, not the declared type")
    size: int


class UploadOut(BaseModel):
    documentCid: str = Field(description="CID of the encrypted document (the on-chain docCid)")
    docDigest: str = Field(description="0x sha256 of the file (the on-chain docDigest)")
    invoiceKey: str | None = Field(description="0x IRN (CONTRACTS.md); null when the document lacks its parts")
    buyerId: str | None
    faceValue: str | None = Field(description="the total in stablecoin base units, decimal string")
    fields: dict[str, FieldOut | None] = Field(description="OCR prefill by field; null when not found")
    method: str = Field(description="text-layer, ocr or mixed")
    pages: int
    warnings: list[str]
    mintRequest: MintRequestOut | None = Field(description="ready for the wallet; null when a field is missing")
    file: FileOut


# ------------------------------------------------------------------------------------------------ reading the body


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413, "payload_too_large", f"the upload is larger than {limit} bytes: send a smaller file (at most 10 MB)"
    )


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise ApiError(400, "bad_request", "Content-Length is not a number") from None
        if length > limit:
            raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


async def _single(data: bytes) -> Any:
    yield data


async def file_from_request(request: Request, max_file: int) -> tuple[bytes, str | None, str | None]:
    """(file bytes, filename, declared content type) from a multipart or JSON body."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        body = await read_capped(request, max_file + ENVELOPE_BYTES)
        parser = MultiPartParser(request.headers, _single(body), max_files=1, max_fields=8, max_part_size=4096)
        try:
            form = await parser.parse()
        except MultiPartException as exc:
            raise ApiError(422, "invalid_multipart", f"the multipart body is malformed: {exc.message}") from None
        try:
            part = form.get("file") or form.get("invoiceFile")
            if not isinstance(part, UploadFile):
                raise ApiError(422, "missing_file", "send the invoice as a multipart file part named `file`")
            data = await part.read()
            return data, part.filename, part.content_type
        finally:
            await form.close()
    if media == "application/json" or media.endswith("+json"):
        body = await read_capped(request, (max_file + 2) // 3 * 4 + ENVELOPE_BYTES)
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(422, "invalid_json", "the body is not valid JSON") from None
        if not isinstance(document, dict) or not isinstance(document.get("invoiceFile"), str):
            raise ApiError(422, "missing_file", "send JSON with the file base64-encoded in `invoiceFile`")
        filename, content_type = document.get("filename"), document.get("contentType")
        for name, value in (("filename", filename), ("contentType", content_type)):
            if value is not None and (not isinstance(value, str) or len(value) > 255):
                raise ApiError(422, "invalid_request", f"{name} must be a string of at most 255 characters")
        encoded: str = document["invoiceFile"]
        if encoded.startswith("data:") and "," in encoded[:200]:
            encoded = encoded.split(",", 1)[1]
        compact = "".join(encoded.split())
        try:
            if len(compact) % 4 == 1:
                raise ValueError("impossible base64 length")
            data = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(
                422, "invalid_base64", "invoiceFile is not valid base64: encode the file's bytes with base64"
            ) from None
        return data, filename, content_type
    raise ApiError(
        415,
        "unsupported_media_type",
        "send the invoice as multipart/form-data (a `file` part) or application/json (base64 `invoiceFile`)",
    )


def sniff(data: bytes) -> str:
    """The media type the magic bytes say; 415 for anything but PDF, PNG and JPEG."""
    for magic, media in MAGIC:
        if data.startswith(magic):
            return media
    raise ApiError(
        415, "unsupported_media_type", "the file is not a PDF, PNG or JPEG: upload the invoice in one of those"
    )


# ------------------------------------------------------------------------------------------------ OCR and keys


def ocr_error(exc: OcrError) -> ApiError:
    """hundi.ocr's typed errors as API errors that say what to do."""
    text = str(exc)
    if isinstance(exc, OcrUnavailable):
        return ApiError(503, "ocr_unavailable", "OCR is not available on this server; try again later", text)
    if isinstance(exc, FileTooLarge):
        return ApiError(413, "payload_too_large", f"the file is too large to read: {text}")
    if isinstance(exc, EmptyFile):
        return ApiError(422, "empty_file", "the file is empty: upload the invoice itself")
    if isinstance(exc, UnsupportedFile):
        return ApiError(415, "unsupported_media_type", f"the file cannot be read as an invoice: {text}")
    if isinstance(exc, EncryptedFile):
        return ApiError(422, "encrypted_pdf", "the PDF is password protected: upload a copy without a password")
    if isinstance(exc, CorruptFile):
        return ApiError(422, "corrupt_file", f"the file is damaged and cannot be read: {text}; export it again")
    if isinstance(exc, ResourceLimitExceeded):
        return ApiError(
            422, "document_too_complex", f"the document is too large or complex to read ({text}); upload fewer pages"
        )
    return ApiError(422, "unreadable_document", f"the document could not be read: {text}")


def noon_ist(day: date) -> int:
    """Unix seconds at noon IST of `day` (any time of the day works; noon is safest against clock quirks)."""
    return int(datetime.combine(day, time(12, 0), IST).timestamp())


def _fields_out(result: ExtractionResult) -> dict[str, FieldOut | None]:
    out: dict[str, FieldOut | None] = {}
    for label, name in FIELD_NAMES.items():
        field = getattr(result.fields, name)
        out[label] = (
            None
            if field is None
            else FieldOut(value=str(field.value), confidence=round(field.confidence, 4), source=field.source[:500])
        )
    return out


class Prefill:
    """The on-chain values derived from an extraction, with a warning for each that cannot be derived."""

    def __init__(self, result: ExtractionResult, decimals: int, chain_now: int) -> None:
        self.warnings: list[str] = list(result.warnings)
        fields = result.fields
        for label, name in FIELD_NAMES.items():
            field = getattr(fields, name)
            if field is None and name not in ("irn", "currency", "taxable_value", "tax"):
                self.warnings.append(f"{label} was not found on the document: enter it in the form")
            elif field is not None and field.confidence < LOW_CONFIDENCE:
                self.warnings.append(f"{label} was read with low confidence ({field.confidence:.2f}): check it")
        self.key: bytes | None = None
        self.buyer: bytes | None = None
        self.face: int | None = None
        self.issue: int | None = None
        self.due: int | None = None

        seller = fields.seller_gstin.value if fields.seller_gstin else None
        number = fields.invoice_number.value if fields.invoice_number else None
        issue_day = fields.issue_date.value if fields.issue_date else None
        for role, gstin in (("seller", seller), ("buyer", fields.buyer_gstin.value if fields.buyer_gstin else None)):
            if gstin is not None:
                check = validate_gstin(gstin)
                if not check.valid:
                    self.warnings.append(f"the {role} GSTIN {gstin} is invalid: {'; '.join(check.reasons)}")
        if seller is not None and number is not None and issue_day is not None:
            try:
                self.key = invoice_key(seller, financial_year_of(issue_day), "INV", number)
            except GstError as exc:
                self.warnings.append(f"no invoiceKey (IRN) can be computed: {exc}")
        if fields.irn is not None and self.key is not None and fields.irn.value != self.key.hex():
            self.warnings.append("the IRN printed on the invoice differs from the one computed from its fields")
        if fields.buyer_gstin is not None:
            try:
                self.buyer = buyer_id(fields.buyer_gstin.value)
            except GstError as exc:
                self.warnings.append(f"no buyerId can be computed: {exc}")
        if fields.currency is not None and fields.currency.value != "INR":
            self.warnings.append(f"the invoice is in {fields.currency.value}; only rupee invoices can be financed")
        if fields.total is not None:
            face = to_base_units(fields.total.value, decimals)
            if face is None or face <= 0 or face >= 2**128:
                self.warnings.append(f"the total {fields.total.value} is not a positive amount of the stablecoin")
            else:
                self.face = face
        if issue_day is not None:
            self.issue = noon_ist(issue_day)
        if fields.due_date is not None:
            self.due = noon_ist(fields.due_date.value)
            if self.due <= chain_now:
                self.warnings.append(
                    f"the due date {fields.due_date.value} has passed: the contract only mints invoices not yet due"
                )

    @property
    def complete(self) -> bool:
        return None not in (self.key, self.buyer, self.face, self.issue, self.due)


# ------------------------------------------------------------------------------------------------ dependencies


def document_vault(request: Request, context: Context) -> DocumentVault:
    """The encrypted document store the oracle reads from: HUNDI_DOCUMENT_KEY and HUNDI_DOCS_DIR (default var/docs).

    Built once per app; a missing or unsafe key is a 503 that names the fix."""
    vault: DocumentVault | None = getattr(request.app.state, "document_vault", None)
    if vault is not None:
        return vault
    settings = DocumentSettings(chain_id=context.chain_id)
    try:
        key = settings.operator_key()
    except DocumentKeyError as exc:
        raise ApiError(503, "documents_unconfigured", str(exc)) from None
    vault = DocumentVault(LocalStore(settings.local_docs_dir()), key)
    request.app.state.document_vault = vault
    return vault


Vault = Annotated[DocumentVault, Depends(document_vault)]


def ocr_limiter(request: Request) -> anyio.CapacityLimiter:
    """At most OCR_CONCURRENCY documents are read at once per app: each reading is a process capped at 512 MB,
    so a burst of uploads queues instead of exhausting the machine's memory."""
    limiter: anyio.CapacityLimiter | None = getattr(request.app.state, "ocr_limiter", None)
    if limiter is None:
        limiter = anyio.CapacityLimiter(OCR_CONCURRENCY)
        request.app.state.ocr_limiter = limiter
    return limiter


SmeUser = Annotated[User, Depends(require_role(SME))]


_DECIMALS: dict[tuple[int, str], int] = {}


def token_decimals(context: ApiContext) -> int:
    """The stablecoin's decimals, read once per deployment (immutable in the contract)."""
    address = context.deployment.address("Stablecoin")
    cached = _DECIMALS.get((context.chain_id, address))
    if cached is None:
        cached = int(context.deployment.contract(context.w3, "Stablecoin").functions.decimals().call())
        _DECIMALS[(context.chain_id, address)] = cached
    return cached


def existing_invoice(context: ApiContext, key: bytes) -> int | None:
    """The id of a live invoice with `key`: in the indexed database, else on-chain (the final word)."""
    hex_key = "0x" + key.hex()
    with Session(context.engine) as session:  # type: ignore[arg-type]
        try:
            deployment_id = context.deployment_id(session)
        except ApiError:
            deployment_id = None  # not indexed yet: the chain answers alone
        if deployment_id is not None:
            row = session.exec(
                select(Invoice.invoice_id).where(
                    Invoice.deployment_id == deployment_id,
                    Invoice.invoice_key == hex_key,
                    col(Invoice.status) != InvoiceStatus.NONE,
                )
            ).first()
            if row is not None:
                return int(row)
    token = context.deployment.contract(context.w3, "InvoiceToken")
    found = int(token.functions.idByKey(key).call())
    return found or None


def _chain_reads(context: ApiContext) -> tuple[int, int]:
    try:
        decimals = token_decimals(context)
        chain_now = int(context.w3.eth.get_block("latest")["timestamp"])
    except Exception as exc:
        raise ApiError(503, "chain_unavailable", f"cannot read the chain ({type(exc).__name__}); try again") from None
    return decimals, chain_now


# ------------------------------------------------------------------------------------------------ routes


@router.post(
    "/upload",
    response_model=UploadOut,
    response_model_by_alias=True,
    summary="Upload an invoice (SME): OCR prefill, encrypted storage and a ready mint request",
    description=(
        "Multipart `file`, or JSON `{invoiceFile: base64, filename?, contentType?}`. PDF, PNG or JPEG up to 10 MB. "
        "A duplicate invoice (same IRN already minted) is refused with 409 and the existing invoiceId in "
        "`error.detail.invoiceId`. Amounts are decimal strings of stablecoin base units."
    ),
    responses=_UPLOAD_ERRORS,
    openapi_extra=_UPLOAD_BODY,
)
async def upload(request: Request, user: SmeUser, context: Context, vault: Vault) -> UploadOut:
    limit = context.settings.max_upload_bytes
    data, filename, declared_type = await file_from_request(request, limit)
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise ApiError(422, "empty_file", "the file is empty: upload the invoice itself")
    media = sniff(data)

    from hundi.ocr import extract_document

    ocr_limits = OcrLimits(max_bytes=limit)
    try:
        result = await anyio.to_thread.run_sync(extract_document, data, ocr_limits, limiter=ocr_limiter(request))
    except OcrError as exc:
        raise ocr_error(exc) from None

    decimals, chain_now = await anyio.to_thread.run_sync(_chain_reads, context)
    prefill = Prefill(result, decimals, chain_now)
    if declared_type and declared_type.split(";")[0].strip().lower() not in (media, "application/octet-stream"):
        prefill.warnings.append(f"the file was declared as {declared_type} but is {media}")
    if prefill.key is not None:
        try:
            existing = await anyio.to_thread.run_sync(existing_invoice, context, prefill.key)
        except ApiError:
            raise
        except Exception as exc:
            raise ApiError(503, "chain_unavailable", f"cannot check for duplicates ({type(exc).__name__})") from None
        if existing is not None:
            raise ApiError(
                409,
                "duplicate_invoice",
                f"this invoice is already tokenised as invoice #{existing}; an invoice can be financed only once",
                {"invoiceId": existing, "invoiceKey": "0x" + prefill.key.hex()},
            )

    try:
        stored = await anyio.to_thread.run_sync(vault.store, data)
    except DocumentError as exc:
        raise ApiError(503, "document_store_unavailable", f"the document could not be stored: {exc}") from None
    log.info("upload by %s: %s, %d bytes, cid %s", user.address, media, len(data), stored.cid)

    mint_request: MintRequestOut | None = None
    if prefill.complete:
        assert prefill.key and prefill.buyer and prefill.face and prefill.issue and prefill.due  # noqa: S101 (narrowing)
        args = (prefill.key, prefill.buyer, prefill.face, prefill.issue, prefill.due, stored.doc_digest, stored.cid)
        token = context.deployment.contract(context.w3, "InvoiceToken")
        mint_request = MintRequestOut(
            contract=token.address,
            args=MintArgs(
                invoiceKey="0x" + prefill.key.hex(),
                buyerId="0x" + prefill.buyer.hex(),
                faceValue=str(prefill.face),
                issueDate=prefill.issue,
                dueDate=prefill.due,
                docDigest=stored.doc_digest_hex,
                docCid=stored.cid,
            ),
            transaction=TransactionOut(
                to=token.address,
                data=token.encode_abi("mint", args=[args]),
                value="0",
                chainId=context.chain_id,
                from_=Web3.to_checksum_address(user.address),
                description="Mint the invoice as a Hundi invoice token (InvoiceToken.mint)",
            ),
        )
    else:
        prefill.warnings.append("mintRequest is missing: complete the fields in the form, then mint")
    return UploadOut(
        documentCid=stored.cid,
        docDigest=stored.doc_digest_hex,
        invoiceKey=None if prefill.key is None else "0x" + prefill.key.hex(),
        buyerId=None if prefill.buyer is None else "0x" + prefill.buyer.hex(),
        faceValue=None if prefill.face is None else str(prefill.face),
        fields=_fields_out(result),
        method=result.method,
        pages=result.pages,
        warnings=prefill.warnings,
        mintRequest=mint_request,
        file=FileOut(filename=filename, contentType=media, size=len(data)),
    )


_DOCUMENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}, "description": "the document"},
    503: {"model": ErrorResponse, "description": "the document store or the node is unavailable"},
}


def _seller_and_document(context: ApiContext, invoice_id: int) -> tuple[str, str, str]:
    """(seller, docCid, docDigest) from the index: the CID is only in the InvoiceMinted event, not in storage."""
    with Session(context.engine) as session:  # type: ignore[arg-type]
        row = session.exec(
            select(Invoice).where(
                Invoice.deployment_id == context.deployment_id(session), Invoice.invoice_id == invoice_id
            )
        ).first()
    if row is None or row.status == InvoiceStatus.NONE:
        raise ApiError(404, "not_found", f"invoice {invoice_id} does not exist (or is not indexed yet)")
    return row.seller.lower(), row.doc_cid, row.doc_digest


@router.get(
    "/{invoice_id}/document",
    response_class=Response,
    summary="The decrypted invoice document (its seller only)",
    responses=_DOCUMENT_RESPONSES,
)
async def document(
    user: CurrentUser, context: Context, vault: Vault, invoice_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
) -> Response:
    try:
        seller, cid, digest = await anyio.to_thread.run_sync(_seller_and_document, context, invoice_id)
    except ApiError:
        raise
    except Exception as exc:
        raise ApiError(503, "chain_unavailable", f"cannot read the invoice ({type(exc).__name__})") from None
    if seller != user.address:
        raise ApiError(403, "forbidden", "only the invoice's seller may download its document")
    try:
        data = await anyio.to_thread.run_sync(vault.load, cid, digest)
    except DocumentNotFound:
        raise ApiError(404, "not_found", f"document {cid} is not in this server's store") from None
    except DocumentError as exc:
        raise ApiError(503, "document_store_unavailable", f"the document cannot be read: {exc}") from None
    media = next((m for magic, m in MAGIC if data.startswith(magic)), "application/octet-stream")
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="invoice-{invoice_id}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
