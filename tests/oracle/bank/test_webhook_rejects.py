"""Every malformed, unauthenticated or invalid webhook is refused with the right status and code, and changes
nothing: no payment row, no report row, no directory lookup, no sink call. Run on SQLite and Postgres.

The invoice the bodies name exists and is Funded, so a case that slipped through would be reported (and fail).
These tests share one database per backend (`empty_harness`: checked empty before each test, wiped after), since
each of them must leave it empty anyway; that keeps some 140 cases fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from oracle.bank.signature import HEADER, compute_mac
from tests.oracle.bank.conftest import NOW, SECRET, Bank, Harness

Request = tuple[bytes, dict[str, str]]


@dataclass(frozen=True)
class Case:
    build: Callable[[Bank], Request]
    status: int
    code: str


def signed(**overrides: object) -> Callable[[Bank], Request]:
    """A correctly signed request whose body has these field overrides."""

    def build(bank: Bank) -> Request:
        body = bank.body(**overrides)
        return body, bank.headers(body)

    return build


def signed_raw(body: bytes, content_type: str | None = "application/json") -> Callable[[Bank], Request]:
    """These exact bytes, correctly signed."""

    def build(bank: Bank) -> Request:
        headers = bank.headers(body)
        if content_type is None:
            del headers["Content-Type"]
        else:
            headers["Content-Type"] = content_type
        return body, headers

    return build


def signed_object(document: object) -> Callable[[Bank], Request]:
    return signed_raw(json.dumps(document).encode())


def with_header(value: str | None) -> Callable[[Bank], Request]:
    """A valid body with this X-Bank-Signature value (None: no header)."""

    def build(bank: Bank) -> Request:
        body = bank.body()
        headers = {"Content-Type": "application/json"}
        if value is not None:
            headers[HEADER] = value.replace("{mac}", compute_mac(SECRET, body, NOW).hex())
        return body, headers

    return build


def signed_then_sent(mutate: Callable[[bytes], bytes]) -> Callable[[Bank], Request]:
    """Sign the valid body, then send `mutate(body)` with that signature."""

    def build(bank: Bank) -> Request:
        body = bank.body()
        return mutate(body), bank.headers(body)

    return build


def signed_at(timestamp: int, secret: bytes = SECRET) -> Callable[[Bank], Request]:
    def build(bank: Bank) -> Request:
        body = bank.body()
        return body, bank.headers(body, timestamp=timestamp, secret=secret)

    return build


def _reserialise(body: bytes) -> bytes:
    return json.dumps(json.loads(body), indent=1).encode()


def _reorder(body: bytes) -> bytes:
    return json.dumps(dict(reversed(list(json.loads(body).items()))), separators=(",", ":")).encode()


def _valid_document() -> dict[str, object]:
    document: dict[str, object] = json.loads(Bank().body())
    return document


def _without(name: str) -> dict[str, object]:
    document = _valid_document()
    del document[name]
    return document


CASES: dict[str, Case] = {
    # --- signature header
    "missing header": Case(with_header(None), 401, "signature_missing"),
    "empty header": Case(with_header("  "), 401, "signature_missing"),
    "bad hmac": Case(with_header(f"t={NOW},v1={'ab' * 32}"), 401, "signature_invalid"),
    "wrong secret": Case(signed_at(NOW, secret=b"not-the-bank-secret"), 401, "signature_invalid"),
    "mac of another timestamp": Case(with_header(f"t={NOW + 1},v1={{mac}}"), 401, "signature_invalid"),
    "stale timestamp": Case(signed_at(NOW - 301), 401, "signature_expired"),
    "future timestamp": Case(signed_at(NOW + 301), 401, "signature_expired"),
    "re-serialised body (whitespace)": Case(signed_then_sent(_reserialise), 401, "signature_invalid"),
    "re-serialised body (key order)": Case(signed_then_sent(_reorder), 401, "signature_invalid"),
    "one byte changed": Case(signed_then_sent(lambda b: b.replace(b"1250.50", b"1250.60")), 401, "signature_invalid"),
    "trailing newline added": Case(signed_then_sent(lambda b: b + b"\n"), 401, "signature_invalid"),
    "header without t": Case(with_header("v1={mac}"), 400, "signature_malformed"),
    "header without v1": Case(with_header(f"t={NOW}"), 400, "signature_malformed"),
    "v1 not hex": Case(with_header(f"t={NOW},v1={'zz' * 32}"), 400, "signature_malformed"),
    "v1 too short": Case(with_header(f"t={NOW},v1={'ab' * 31}"), 400, "signature_malformed"),
    "duplicate t": Case(with_header(f"t={NOW},t={NOW},v1={{mac}}"), 400, "signature_malformed"),
    "duplicate v1": Case(with_header(f"t={NOW},v1={{mac}},v1={'00' * 32}"), 400, "signature_malformed"),
    "unknown scheme": Case(with_header(f"t={NOW},v1={{mac}},v0=abc"), 400, "signature_malformed"),
    "t not decimal": Case(with_header("t=1e9,v1={mac}"), 400, "signature_malformed"),
    "t with leading zero": Case(with_header(f"t=0{NOW},v1={{mac}}"), 400, "signature_malformed"),
    "t negative": Case(with_header(f"t=-{NOW},v1={{mac}}"), 400, "signature_malformed"),
    "part without =": Case(with_header(f"t={NOW};v1={{mac}}"), 400, "signature_malformed"),
    "header too long": Case(with_header(f"t={NOW},v1={{mac}}" + "," * 300), 400, "signature_malformed"),
    # --- transport
    "body over 64 KiB": Case(signed_raw(b'{"pad":"' + b"x" * 65_536 + b'"}'), 413, "body_too_large"),
    "text/plain": Case(signed_raw(Bank().body(), "text/plain"), 415, "unsupported_media_type"),
    "form encoded": Case(signed_raw(b"amount=1", "application/x-www-form-urlencoded"), 415, "unsupported_media_type"),
    "no content type": Case(signed_raw(Bank().body(), None), 415, "unsupported_media_type"),
    "latin-1 charset": Case(
        signed_raw(Bank().body(), "application/json; charset=latin-1"), 415, "unsupported_media_type"
    ),
    # --- JSON
    "malformed json": Case(signed_raw(b'{"transactionId": "UTR1",'), 400, "malformed_json"),
    "empty body": Case(signed_raw(b""), 400, "malformed_json"),
    "json array": Case(signed_object([_valid_document()]), 400, "malformed_json"),
    "json string": Case(signed_object("UTR1"), 400, "malformed_json"),
    "json null": Case(signed_raw(b"null"), 400, "malformed_json"),
    "duplicate key": Case(
        signed_raw(Bank().body().replace(b'"amount":"1250.50"', b'"amount":"1.00","amount":"1250.50"')),
        400,
        "malformed_json",
    ),
    "NaN amount": Case(signed_raw(Bank().body().replace(b'"1250.50"', b"NaN")), 400, "malformed_json"),
    "not utf-8": Case(signed_raw(Bank().body().replace(b"INV", b"\xff\xfeV")), 400, "malformed_json"),
    "nested too deeply": Case(signed_raw(b"[" * 30_000 + b"]" * 30_000), 400, "malformed_json"),
    # --- fields
    "missing field": Case(signed_object(_without("paidAt")), 422, "invalid_payment"),
    "extra unknown field": Case(signed_object({**_valid_document(), "memo": "x"}), 422, "invalid_payment"),
    "negative amount": Case(signed(amount="-1250.50"), 422, "invalid_payment"),
    "negative amount as number": Case(
        signed_raw(Bank().body().replace(b'"1250.50"', b"-1250.5")), 422, "invalid_payment"
    ),
    "zero amount": Case(signed(amount="0.00"), 422, "invalid_payment"),
    "amount with 3 decimals": Case(signed(amount="1250.505"), 422, "invalid_payment"),
    "amount number with 3 decimals": Case(
        signed_raw(Bank().body().replace(b'"1250.50"', b"1250.505")), 422, "invalid_payment"
    ),
    "amount non-numeric": Case(signed(amount="twelve hundred"), 422, "invalid_payment"),
    "amount with comma grouping": Case(signed(amount="1,250.50"), 422, "invalid_payment"),
    "amount in exponent notation": Case(
        signed_raw(Bank().body().replace(b'"1250.50"', b"1.2505e3")), 422, "invalid_payment"
    ),
    "amount boolean": Case(signed_raw(Bank().body().replace(b'"1250.50"', b"true")), 422, "invalid_payment"),
    "amount overflowing uint128": Case(signed(amount="1" + "0" * 33), 422, "invalid_payment"),
    "amount with 300 digits": Case(signed(amount="9" * 300), 422, "invalid_payment"),
    "empty transactionId": Case(signed(transaction_id=""), 422, "invalid_payment"),
    "over-long transactionId": Case(signed(transaction_id="U" * 129), 422, "invalid_payment"),
    "transactionId with a space": Case(signed(transaction_id="UTR 1"), 422, "invalid_payment"),
    "transactionId as number": Case(
        signed_raw(Bank().body().replace(b'"UTR0000000001"', b"1")), 422, "invalid_payment"
    ),
    "empty invoiceNumber": Case(signed(invoice_number=""), 422, "invalid_payment"),
    "over-long invoiceNumber": Case(signed(invoice_number="I" * 65), 422, "invalid_payment"),
    "invoiceNumber with control character": Case(signed(invoice_number="INV\n42"), 422, "invalid_payment"),
    "unknown status": Case(signed(status="paid"), 422, "invalid_payment"),
    "status in other case": Case(signed(status="SUCCESS"), 422, "invalid_payment"),
    "paidAt garbage": Case(signed(paid_at="yesterday"), 422, "invalid_payment"),
    "paidAt without offset": Case(signed(paid_at="2025-06-15T10:00:00"), 422, "invalid_payment"),
    "paidAt in the future": Case(signed(paid_at=NOW + 301), 422, "invalid_payment"),
    "paidAt in milliseconds": Case(signed(paid_at=(NOW - 60) * 1000), 422, "invalid_payment"),
    "paidAt before 2000": Case(signed(paid_at=86_400), 422, "invalid_payment"),
    "paidAt fractional number": Case(
        signed_raw(Bank().body().replace(b"1749996400", b"1749996400.5")), 422, "invalid_payment"
    ),
}


def test_the_valid_request_the_cases_start_from_is_reported(empty_harness: Harness) -> None:
    """The control: without the defect each case introduces, the request goes through."""
    empty_harness.directory.add(7, "INV-2025-0042")
    body, headers = signed()(empty_harness.bank)

    response = empty_harness.post(body, headers)

    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "reported"
    assert empty_harness.counts() == (1, 1)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_webhook_is_refused_and_changes_nothing(empty_harness: Harness, name: str) -> None:
    case = CASES[name]
    empty_harness.directory.add(7, "INV-2025-0042")
    body, headers = case.build(empty_harness.bank)

    response = empty_harness.post(body, headers)

    assert response.status_code == case.status, response.text
    error = response.json()["error"]
    assert error["code"] == case.code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert set(error) == {"code", "message", "detail"}
    assert empty_harness.counts() == (0, 0)
    assert empty_harness.sink.calls == []
    assert empty_harness.directory.calls == []


def test_invalid_payment_lists_every_problem_by_field(empty_harness: Harness) -> None:
    body = json.dumps(
        {"transactionId": "", "invoiceNumber": "INV-1", "amount": "1.001", "status": "paid", "paidAt": "soon"}
    ).encode()

    response = empty_harness.post(body)

    assert response.status_code == 422
    fields = [problem["field"] for problem in response.json()["error"]["detail"]]
    assert fields == ["transactionId", "amount", "status", "paidAt"]


def test_duplicate_signature_headers_are_refused(empty_harness: Harness) -> None:
    empty_harness.directory.add(7, "INV-2025-0042")
    body = empty_harness.bank.body()
    good = empty_harness.bank.headers(body)[HEADER]
    headers = [("Content-Type", "application/json"), (HEADER, good), (HEADER, good)]

    response = empty_harness.client.post("/api/v1/webhooks/payment", content=body, headers=headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "signature_malformed"
    assert empty_harness.counts() == (0, 0)


def test_oversized_body_without_a_length_is_cut_off_while_streaming(empty_harness: Harness) -> None:
    empty_harness.directory.add(7, "INV-2025-0042")
    chunks = [b'{"pad":"', *([b"x" * 8192] * 9), b'"}']  # 73 KiB, sent chunked: no Content-Length to trust
    headers = {"Content-Type": "application/json", HEADER: "t=1,v1=" + "00" * 32}

    response = empty_harness.client.post("/api/v1/webhooks/payment", content=iter(chunks), headers=headers)

    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert empty_harness.counts() == (0, 0)
