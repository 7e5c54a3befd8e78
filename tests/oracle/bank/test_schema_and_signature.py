"""Unit tests of the webhook grammar: the signature header and the notice fields, at their edges."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from oracle.bank.errors import InvalidPayment, SignatureExpired, SignatureInvalid, SignatureMalformed
from oracle.bank.intake import BankIntake
from oracle.bank.router import PATH, bank_router
from oracle.bank.schema import parse_notice
from oracle.bank.signature import HEADER, parse_header, sign_header, verify_header
from tests.oracle.bank.conftest import NOW, Directory, Sink

SECRET = b"s3cret-value"


def notice(raw: str, *, decimals: int = 6) -> object:
    return parse_notice(raw.encode(), now=NOW, tolerance=300, decimals=decimals)


def body(amount: str = '"1250.50"', paid_at: str = "1749996400") -> str:
    return f'{{"transactionId":"UTR1","invoiceNumber":"INV-1","amount":{amount},"status":"success","paidAt":{paid_at}}}'


def test_sign_header_is_hmac_sha256_of_timestamp_dot_body() -> None:
    header = sign_header(SECRET, b'{"a":1}', 1_700_000_000)

    expected = hmac.new(SECRET, b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert re.fullmatch(r"t=[0-9]+,v1=[0-9a-f]{64}", header)


def test_uppercase_hex_mac_is_the_same_mac() -> None:
    header = sign_header(SECRET, b"x", NOW)
    t, v1 = header.split(",")

    assert verify_header([SECRET], b"x", f"{t},v1={v1.removeprefix('v1=').upper()}", now=NOW) == NOW
    assert parse_header(f"{v1},{t}").timestamp == NOW  # part order is free


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_timestamps_within_the_tolerance_both_ways_are_accepted(skew: int) -> None:
    header = sign_header(SECRET, b"x", NOW + skew)

    assert verify_header([SECRET], b"x", header, now=NOW, tolerance=300) == NOW + skew


@pytest.mark.parametrize("skew", [-301, 301])
def test_timestamps_just_outside_the_tolerance_are_refused(skew: int) -> None:
    with pytest.raises(SignatureExpired):
        verify_header([SECRET], b"x", sign_header(SECRET, b"x", NOW + skew), now=NOW, tolerance=300)


def test_no_configured_secret_refuses_everything() -> None:
    with pytest.raises(SignatureInvalid, match="HUNDI_BANK_WEBHOOK_SECRET"):
        verify_header([], b"x", sign_header(SECRET, b"x", NOW), now=NOW)


def test_header_with_spaces_after_the_comma_is_malformed_not_guessed() -> None:
    with pytest.raises(SignatureMalformed):
        parse_header(sign_header(SECRET, b"x", NOW).replace(",", ", "))


def test_iso_timestamps_with_z_and_with_an_offset_are_the_same_instant() -> None:
    utc = notice(body(paid_at='"2025-06-15T14:00:00Z"'))
    ist = notice(body(paid_at='"2025-06-15T19:30:00.999+05:30"'))
    unix = notice(body(paid_at="1749996000"))

    assert utc.paid_at == ist.paid_at == unix.paid_at == 1_749_996_000  # type: ignore[attr-defined]


def test_json_number_amounts_are_read_from_their_literal_not_a_float() -> None:
    # 12345678901234567.89 is not a binary float: float() would give 12345678901234568.0.
    exact = notice(body(amount="12345678901234567.89"), decimals=18)

    assert exact.amount == "12345678901234567.89"  # type: ignore[attr-defined]
    assert exact.amount_units == 1234567890123456789 * 10**16  # type: ignore[attr-defined]


def test_string_and_number_amounts_and_trailing_zeros_mean_the_same_units() -> None:
    forms = ['"1250.5"', '"1250.50"', "1250.5", "1250.50"]

    assert {notice(body(amount=form)).amount_units for form in forms} == {1_250_500_000}  # type: ignore[attr-defined]


def test_zero_decimal_token_refuses_paise_it_cannot_carry() -> None:
    assert notice(body(amount='"10.00"'), decimals=0).amount_units == 10  # type: ignore[attr-defined]
    with pytest.raises(InvalidPayment) as refused:
        notice(body(amount='"10.50"'), decimals=0)
    assert "not representable" in refused.value.detail[0]["message"]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ('"-5"', "positive"),
        ('"0"', "positive"),
        ('"007"', "leading zeros"),
        ('"1.234"', "2 decimal places"),
        ("1e3", "exponent"),
        ('"1."', "decimal number"),
        ("null", "got null"),
    ],
)
def test_amount_problems_are_named(amount: str, message: str) -> None:
    with pytest.raises(InvalidPayment) as refused:
        notice(body(amount=amount))
    assert refused.value.status == 422
    (problem,) = refused.value.detail
    assert problem["field"] == "amount"
    assert message in problem["message"]


def test_intake_refuses_to_start_without_a_secret(tmp_path: object) -> None:
    engine: Engine = None  # type: ignore[assignment]  # never touched: the constructor refuses first
    with pytest.raises(ValueError, match="HUNDI_BANK_WEBHOOK_SECRET"):
        BankIntake(engine, Directory(), Sink(), [])
    with pytest.raises(ValueError, match="HUNDI_BANK_WEBHOOK_SECRET"):
        BankIntake(engine, Directory(), Sink(), [b""])


def test_openapi_documents_the_body_fields_and_the_signature_header() -> None:
    app = FastAPI()
    app.include_router(bank_router(BankIntake(None, Directory(), Sink(), [SECRET])))  # type: ignore[arg-type]

    operation = app.openapi()["paths"][PATH]["post"]

    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["transactionId", "invoiceNumber", "amount", "status", "paidAt"]
    assert schema["additionalProperties"] is False
    assert [p["name"] for p in operation["parameters"]] == [HEADER]
    assert {"200", "202", "401", "409", "413", "415", "422"} <= set(operation["responses"])
