"""IRN, invoice key, financial year and buyer id, per the NIC e-invoice IRN rules and CONTRACTS.md."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from Crypto.Hash import keccak as pycryptodome_keccak

from hundi.gst.errors import InvalidDocument, InvalidGstin
from hundi.gst.irn import (
    buyer_id,
    document_number_problems,
    financial_year_of,
    invoice_key,
    invoice_key_for,
    irn,
    irn_payload,
    validate_doc_number,
    validate_financial_year,
)

# GSTZen, "E-Invoice - Invoice Reference Number": SHA256("29AAFCC9980M1ZR2019-20INV2019-20/KA/1").
GSTZEN_IRN = "23f498ee41441ecad30f72ba5b9907506c3df70a17b0e0dff46b76a786400662"


def test_irn_matches_the_published_worked_example() -> None:
    assert irn("29AAFCC9980M1ZR", "2019-20", "INV", "2019-20/KA/1") == GSTZEN_IRN


def test_irn_hashes_the_plain_concatenation_the_irp_documents() -> None:
    # NIC: "IRN is hash of Supplier GSTIN + Fin. Year + Doc Type + Doc Number", no separators.
    payload = irn_payload("29AAFCC9980M1ZR", "2019-20", "CRN", "A1")
    assert payload == "29AAFCC9980M1ZR2019-20CRNA1"
    assert irn("29AAFCC9980M1ZR", "2019-20", "CRN", "A1") == hashlib.sha256(payload.encode()).hexdigest()


def test_irn_is_64_lower_case_hex_characters() -> None:
    value = irn("27AAPFU0939F1ZV", "2024-25", "INV", "INV/24-25/0042")
    assert len(value) == 64
    assert value == value.lower()
    int(value, 16)


def test_invoice_key_is_the_irn_bytes() -> None:
    key = invoice_key("29AAFCC9980M1ZR", "2019-20", "INV", "2019-20/KA/1")
    assert key == bytes.fromhex(GSTZEN_IRN)
    assert len(key) == 32


def test_invoice_key_for_takes_the_financial_year_from_the_issue_date() -> None:
    assert invoice_key_for("29AAFCC9980M1ZR", date(2020, 3, 31), "2019-20/KA/1") == bytes.fromhex(GSTZEN_IRN)


def test_irn_normalises_the_supplier_gstin() -> None:
    assert irn(" 29aafcc9980m1zr", "2019-20", "INV", "2019-20/KA/1") == GSTZEN_IRN


def test_each_part_changes_the_irn() -> None:
    base = irn("29AAFCC9980M1ZR", "2019-20", "INV", "2019-20/KA/1")
    others = {
        irn("27AAPFU0939F1ZV", "2019-20", "INV", "2019-20/KA/1"),
        irn("29AAFCC9980M1ZR", "2020-21", "INV", "2019-20/KA/1"),
        irn("29AAFCC9980M1ZR", "2019-20", "DBN", "2019-20/KA/1"),
        irn("29AAFCC9980M1ZR", "2019-20", "INV", "2019-20/KA/2"),
    }
    assert base not in others
    assert len(others) == 4


def test_irn_refuses_an_invalid_supplier_gstin() -> None:
    with pytest.raises(InvalidGstin):
        irn("29AAFCC9980M1ZX", "2019-20", "INV", "1")


# --- financial year -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2020, 1, 3), "2019-20"),  # NIC's own example: 03.01.2020 is in 2019-20
        (date(2019, 12, 12), "2019-20"),
        (date(2024, 3, 31), "2023-24"),
        (date(2024, 4, 1), "2024-25"),
        (date(1999, 4, 1), "1999-00"),
        (date(2009, 6, 30), "2009-10"),
    ],
)
def test_financial_year_runs_april_to_march(day: date, year: str) -> None:
    assert financial_year_of(day) == year


@pytest.mark.parametrize("year", ["2019-20", "1999-00", "2024-25"])
def test_well_formed_financial_years_are_accepted(year: str) -> None:
    assert validate_financial_year(year) == year


@pytest.mark.parametrize(
    ("year", "reason"),
    [
        ("2019-2020", "look like"),
        ("2019/20", "look like"),
        ("19-20", "look like"),
        ("2019-21", "consecutive"),
        ("2019-19", "consecutive"),
        ("", "look like"),
    ],
)
def test_malformed_financial_year_is_rejected(year: str, reason: str) -> None:
    with pytest.raises(InvalidDocument, match=reason):
        irn("29AAFCC9980M1ZR", year, "INV", "1")


# --- document type and number -------------------------------------------------------------------------


@pytest.mark.parametrize("doc_type", ["INV", "CRN", "DBN"])
def test_irp_document_types_are_accepted(doc_type: str) -> None:
    assert len(irn("29AAFCC9980M1ZR", "2019-20", doc_type, "1")) == 64


@pytest.mark.parametrize("doc_type", ["inv", "BIL", "", "INVOICE"])
def test_unknown_document_type_is_rejected(doc_type: str) -> None:
    with pytest.raises(InvalidDocument, match="document type"):
        irn("29AAFCC9980M1ZR", "2019-20", doc_type, "1")


@pytest.mark.parametrize("number", ["1", "ABC01234", "2019-20/KA/1", "A" * 16, "9/-/-", "Z0"])
def test_document_numbers_the_irp_accepts(number: str) -> None:
    assert validate_doc_number(number) == number


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("", "empty"),
        ("A" * 17, "at most 16"),
        ("0123", "may not start with '0'"),
        ("/123", "may not start with '/'"),
        ("-123", "may not start with '-'"),
        ("inv/1", "lower-case"),
        ("INV 1", "not ' '"),
        ("INV_1", "not '_'"),
        ("INV#1", "not '#'"),
        ("\u0406NV1", "not '\u0406'"),  # Cyrillic capital I: looks like I, is not A-Z
    ],
    ids=[
        "empty",
        "17-chars",
        "leading-zero",
        "leading-slash",
        "leading-hyphen",
        "lower-case",
        "space",
        "underscore",
        "hash",
        "homoglyph",
    ],
)
def test_document_numbers_the_irp_rejects(number: str, reason: str) -> None:
    with pytest.raises(InvalidDocument, match=reason):
        validate_doc_number(number)
    with pytest.raises(InvalidDocument):
        irn("29AAFCC9980M1ZR", "2019-20", "INV", number)


def test_every_broken_document_number_rule_is_listed() -> None:
    problems = document_number_problems("0inv_number_that_is_long")
    assert len(problems) == 4  # length, lower case, '_', leading '0'


# --- buyer id -----------------------------------------------------------------------------------------


def keccak256(data: bytes) -> bytes:
    digest = pycryptodome_keccak.new(digest_bits=256)
    digest.update(data)
    return digest.digest()


def test_keccak_reference_is_keccak_not_sha3() -> None:
    # keccak256("") as Ethereum uses it (SHA3-256("") would be a7ffc6f8...).
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def test_buyer_id_is_keccak256_of_the_gstin_ascii() -> None:
    assert buyer_id("27AAPFU0939F1ZV") == keccak256(b"27AAPFU0939F1ZV")


def test_buyer_id_ignores_case_and_whitespace() -> None:
    assert buyer_id(" 27aapfu0939f1zv ") == buyer_id("27AAPFU0939F1ZV")


def test_buyer_ids_differ_per_registration() -> None:
    assert buyer_id("27AABCS9036J1Z2") != buyer_id("27AABCS9036J2Z1")


def test_buyer_id_refuses_an_invalid_gstin() -> None:
    with pytest.raises(InvalidGstin):
        buyer_id("27AAPFU0939F1ZW")
