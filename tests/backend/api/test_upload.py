"""Invoice upload (SME): real Tesseract/pdfium through hundi.ocr's sandbox on synthetic invoices with known truth,
the encrypted store, and the returned mint request sent to anvil; every way an upload can be refused, and that a
refused upload stores nothing."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from hundi.documents import DocumentVault, LocalStore
from hundi.documents.crypto import decode_key
from hundi.gst.irn import buyer_id, financial_year_of, irn
from hundi.verification import ist_date
from tests.backend.api.conftest import STRANGER, ApiEnv, DocumentStore
from tests.fixtures.invoices import InvoiceSpec, make_invoice, render

Login = Callable[..., dict[str, str]]
UPLOAD = "/api/v1/invoices/upload"
SELLER, OTHER_SELLER, INVESTOR_ACCOUNT = 1, 5, 2
BACKEND_OFFSET = {"sqlite": 0, "postgres": 500}  # the chain is shared: each backend mints invoices of its own


def invoice(env: ApiEnv, seed: int, kind: str = "text-pdf") -> tuple[InvoiceSpec, bytes]:
    """A synthetic invoice issued today (chain time, IST) and due in 60 days, rendered as `kind`."""
    spec = make_invoice(seed + BACKEND_OFFSET[env.backend], print_irn=False)
    today = ist_date(env.driver.now)
    truth = dataclasses.replace(spec.truth, issue_date=today, due_date=today + timedelta(days=60))
    spec = dataclasses.replace(spec, truth=truth)
    return spec, render(spec, kind)  # type: ignore[arg-type]


def multipart(env: ApiEnv, data: bytes, headers: dict[str, str], name: str = "invoice.pdf", media: str = "") -> Any:
    return env.client.post(UPLOAD, files={"file": (name, data, media or "application/pdf")}, headers=headers)


@pytest.fixture
def sme(env: ApiEnv, login: Login, documents: DocumentStore) -> dict[str, str]:
    return login(env.client, SELLER)


def assert_error(reply: Any, status: int, code: str | set[str]) -> None:
    assert reply.status_code == status, reply.text
    codes = {code} if isinstance(code, str) else code
    assert reply.json()["error"]["code"] in codes, reply.text
    assert reply.json()["error"]["message"]


def base_units(amount: Decimal) -> int:
    return int(amount * 10**6)


def test_a_text_pdf_upload_prefills_the_fields_and_a_mint_request_that_mints(
    env: ApiEnv, sme: dict[str, str], documents: DocumentStore, login: Login
) -> None:
    spec, pdf = invoice(env, 7001)
    truth = spec.truth
    reply = multipart(env, pdf, sme)
    assert reply.status_code == 200, reply.text
    body = reply.json()

    # The prefill is the invoice's ground truth, with confidences.
    fields = body["fields"]
    assert fields["invoiceNumber"]["value"] == truth.invoice_number
    assert fields["sellerGstin"]["value"] == truth.seller_gstin
    assert fields["buyerGstin"]["value"] == truth.buyer_gstin
    assert fields["issueDate"]["value"] == truth.issue_date.isoformat()
    assert fields["dueDate"]["value"] == truth.due_date.isoformat()
    assert Decimal(fields["total"]["value"]) == truth.total
    assert all(0 <= f["confidence"] <= 1 for f in fields.values() if f)
    assert body["method"] == "text-layer"
    assert body["file"] == {"filename": "invoice.pdf", "contentType": "application/pdf", "size": len(pdf)}

    # Keys as CONTRACTS.md defines them.
    key = "0x" + irn(truth.seller_gstin, financial_year_of(truth.issue_date), "INV", truth.invoice_number)
    assert body["invoiceKey"] == key
    assert body["buyerId"] == "0x" + buyer_id(truth.buyer_gstin).hex()
    assert body["docDigest"] == "0x" + hashlib.sha256(pdf).hexdigest()
    assert body["faceValue"] == str(base_units(truth.total))

    # Stored encrypted, and the oracle's vault (same key, same folder) gets the exact bytes back.
    stored = documents.files()
    assert len(stored) == 1 and stored[0].name == body["documentCid"]
    assert b"%PDF" not in stored[0].read_bytes()
    vault = DocumentVault(LocalStore(documents.folder), decode_key(documents.key))
    assert vault.load(body["documentCid"], body["docDigest"]) == pdf

    # The mint request, sent from the SME's wallet, mints exactly these fields.
    mint = body["mintRequest"]
    args = mint["args"]
    assert args["invoiceKey"] == key and args["docCid"] == body["documentCid"]
    assert ist_date(args["issueDate"]) == truth.issue_date and ist_date(args["dueDate"]) == truth.due_date
    token = env.driver.c.token
    invoice_id = int(token.functions.nextInvoiceId().call())
    env.send(SELLER, mint["transaction"])
    names = [c["name"] for c in token.get_function_by_name("invoiceOf").abi["outputs"][0]["components"]]
    onchain = dict(zip(names, token.functions.invoiceOf(invoice_id).call(), strict=True))
    assert token.functions.idByKey(bytes.fromhex(key[2:])).call() == invoice_id
    assert "0x" + bytes(onchain["invoiceKey"]).hex() == key
    assert "0x" + bytes(onchain["buyerId"]).hex() == args["buyerId"]
    assert "0x" + bytes(onchain["docDigest"]).hex() == body["docDigest"]
    assert onchain["seller"] == env.driver.address(SELLER)
    assert (onchain["faceValue"], onchain["issueDate"], onchain["dueDate"]) == (
        int(args["faceValue"]),
        args["issueDate"],
        args["dueDate"],
    )

    # The same invoice again: 409 with the existing id (chain first, then from the index too), nothing stored.
    again = multipart(env, pdf, sme)
    assert_error(again, 409, "duplicate_invoice")
    assert again.json()["error"]["detail"]["invoiceId"] == invoice_id
    env.sync()
    again = env.client.post(UPLOAD, json={"invoiceFile": base64.b64encode(pdf).decode()}, headers=sme)
    assert_error(again, 409, "duplicate_invoice")
    assert again.json()["error"]["detail"]["invoiceId"] == invoice_id
    assert len(documents.files()) == 1

    # The seller may download the decrypted document; nobody else may.
    env.sync()
    path = f"/api/v1/invoices/{invoice_id}/document"
    download = env.client.get(path, headers=sme)
    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-type"] == "application/pdf"
    assert_error(env.client.get(path, headers=login(env.client, OTHER_SELLER)), 403, "forbidden")
    assert_error(env.client.get(path, headers=login(env.client, STRANGER)), 403, "forbidden")
    assert_error(env.client.get(path), 401, "unauthorized")
    assert_error(env.client.get("/api/v1/invoices/987654321/document", headers=sme), 404, "not_found")


def test_a_json_base64_upload_is_accepted_and_a_data_url_too(
    env: ApiEnv, sme: dict[str, str], documents: DocumentStore
) -> None:
    spec, pdf = invoice(env, 7002)
    encoded = base64.b64encode(pdf).decode()
    for payload in (
        {"invoiceFile": encoded, "filename": "march.pdf", "contentType": "application/pdf"},
        {"invoiceFile": "data:application/pdf;base64," + encoded},
    ):
        reply = env.client.post(UPLOAD, json=payload, headers=sme)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["docDigest"] == "0x" + hashlib.sha256(pdf).hexdigest()
        assert body["fields"]["invoiceNumber"]["value"] == spec.truth.invoice_number
        assert body["file"]["filename"] == payload.get("filename")
        assert body["mintRequest"] is not None
    assert len(documents.files()) == 2  # each upload is sealed with a fresh nonce: two envelopes


#: One scan kind per backend keeps the default run short while both image paths are covered.
SCANS = {"sqlite": (7003, "scan-png", "image/png"), "postgres": (7004, "scan-jpeg", "image/jpeg")}


def test_scanned_png_and_jpeg_invoices_are_read_with_tesseract(
    env: ApiEnv, sme: dict[str, str], documents: DocumentStore
) -> None:
    seed, kind, media = SCANS[env.backend]
    spec, data = invoice(env, seed, kind)
    reply = multipart(env, data, sme, name=f"scan.{kind[5:]}", media=media)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["method"] == "ocr"
    assert body["file"]["contentType"] == media
    assert Decimal(body["fields"]["total"]["value"]) == spec.truth.total
    assert body["fields"]["sellerGstin"]["value"] == spec.truth.seller_gstin
    # The invoice number has no checksum: a misread must at least be flagged for the SME to check.
    number = body["fields"]["invoiceNumber"]
    flagged = any(w.startswith("invoiceNumber was read with low confidence") for w in body["warnings"])
    assert number["value"] == spec.truth.invoice_number or (number["confidence"] < 0.8 and flagged), number


def test_an_invoice_that_is_past_due_or_incomplete_gets_warnings(
    env: ApiEnv, sme: dict[str, str], documents: DocumentStore
) -> None:
    spec = make_invoice(7005 + BACKEND_OFFSET[env.backend], print_irn=False)  # dated 2023-2026: long past due
    reply = multipart(env, render(spec, "text-pdf"), sme)
    assert reply.status_code == 200, reply.text
    warnings = " ".join(reply.json()["warnings"])
    assert "has passed" in warnings
    # A valid PDF that shows no invoice at all: stored (the SME fills the form), but no key and no mint request.
    reply = multipart(env, blank_pdf(), sme)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["invoiceKey"] is None and body["mintRequest"] is None
    assert any("not found" in w for w in body["warnings"])
    assert len(documents.files()) == 2


def blank_pdf() -> bytes:
    import io

    from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.drawString(72, 720, "Minutes of the meeting held on Monday")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------------ refusals


@pytest.fixture
def small(
    make_env: Callable[..., ApiEnv], login: Login, documents: DocumentStore
) -> Iterator[tuple[ApiEnv, dict[str, str]]]:
    """An app with a 20 kB upload limit, and an SME session on it."""
    env = make_env(max_upload_bytes=20_000)
    yield env, login(env.client, SELLER)


def test_oversize_uploads_are_413_and_store_nothing(
    small: tuple[ApiEnv, dict[str, str]], documents: DocumentStore
) -> None:
    env, headers = small
    too_big = b"%PDF-1.7\n" + b"0" * 20_000
    assert_error(multipart(env, too_big, headers), 413, "payload_too_large")
    payload = {"invoiceFile": base64.b64encode(too_big).decode()}
    assert_error(env.client.post(UPLOAD, json=payload, headers=headers), 413, "payload_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap must hold while streaming
        yield b'{"invoiceFile": "'
        for _ in range(200):
            yield b"A" * 1000
        yield b'"}'

    streamed = env.client.post(UPLOAD, content=chunks(), headers={**headers, "Content-Type": "application/json"})
    assert_error(streamed, 413, "payload_too_large")
    assert documents.files() == []


def test_the_default_limit_is_ten_megabytes(env: ApiEnv, sme: dict[str, str], documents: DocumentStore) -> None:
    assert env.settings.max_upload_bytes == 10 * 1024 * 1024
    data = b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024)
    assert_error(multipart(env, data, sme), 413, "payload_too_large")
    assert documents.files() == []


def test_files_that_are_not_pdf_png_or_jpeg_are_415(env: ApiEnv, sme: dict[str, str], documents: DocumentStore) -> None:
    for name, data in {
        "zip": b"PK\x03\x04" + b"\x00" * 100,
        "gif": b"GIF89a" + b"\x00" * 100,
        "html": b"<html><body>invoice</body></html>",
        "exe": b"MZ\x90\x00" + b"\x00" * 100,
        "text claiming pdf": b"just some text, not a pdf",
    }.items():
        assert_error(multipart(env, data, sme, name=f"x.{name}"), 415, "unsupported_media_type")
    body = env.client.post(UPLOAD, content=b"%PDF-1.7", headers={**sme, "Content-Type": "text/plain"})
    assert_error(body, 415, "unsupported_media_type")
    assert_error(env.client.post(UPLOAD, headers=sme), 415, "unsupported_media_type")
    assert documents.files() == []


def test_corrupt_pdfs_are_422(env: ApiEnv, sme: dict[str, str], documents: DocumentStore) -> None:
    _spec, pdf = invoice(env, 7006)
    for name, data in {
        "truncated": pdf[: len(pdf) // 2],
        "garbage body": b"%PDF-1.7\n" + b"\x13\x37garbage" * 200 + b"\n%%EOF\n",
        "header only": b"%PDF-",
    }.items():
        reply = multipart(env, data, sme)
        assert reply.status_code == 422, (name, reply.text)
        assert reply.json()["error"]["code"] in {"corrupt_file", "unreadable_document"}, name
    assert documents.files() == []


def test_malformed_json_and_base64_are_422(env: ApiEnv, sme: dict[str, str], documents: DocumentStore) -> None:
    cases: dict[str, tuple[Any, str]] = {
        "not base64": ({"invoiceFile": "!!!! not base64 ####"}, "invalid_base64"),
        "bad padding": ({"invoiceFile": "QUJD="}, "invalid_base64"),
        "missing field": ({"file": "QUJD"}, "missing_file"),
        "not a string": ({"invoiceFile": 12345}, "missing_file"),
        "a list": (["QUJD"], "missing_file"),
        "long filename": ({"invoiceFile": "JVBERi0=", "filename": "x" * 300}, "invalid_request"),
        "empty file": ({"invoiceFile": ""}, "empty_file"),
    }
    for name, (payload, code) in cases.items():
        assert_error(env.client.post(UPLOAD, json=payload, headers=sme), 422, code)
        assert name
    broken = env.client.post(UPLOAD, content=b'{"invoiceFile": ', headers={**sme, "Content-Type": "application/json"})
    assert_error(broken, 422, "invalid_json")
    no_file_part = env.client.post(UPLOAD, data={"note": "hello"}, files={"other": ("a", b"b")}, headers=sme)
    assert_error(no_file_part, 422, {"missing_file", "invalid_multipart"})
    bad_multipart = env.client.post(
        UPLOAD, content=b"--x\r\nnonsense", headers={**sme, "Content-Type": "multipart/form-data; boundary=x"}
    )
    assert bad_multipart.status_code == 422, bad_multipart.text
    assert documents.files() == []


def test_only_a_signed_in_sme_may_upload(env: ApiEnv, login: Login, documents: DocumentStore) -> None:
    _spec, pdf = invoice(env, 7007)
    assert_error(multipart(env, pdf, {}), 401, "unauthorized")
    assert_error(multipart(env, pdf, login(env.client, INVESTOR_ACCOUNT)), 403, "forbidden")
    assert_error(multipart(env, pdf, login(env.client, STRANGER)), 403, "forbidden")
    headers = login(env.client, SELLER)
    assert env.client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    assert_error(multipart(env, pdf, headers), 401, "session_revoked")
    assert documents.files() == []
