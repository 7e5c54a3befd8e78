"""Value parsers of hundi.ocr: amounts (Indian and Western grouping), dates, amounts in words, GSTIN repair."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hundi.gst.gstin import compute_check_char
from hundi.ocr.values import (
    find_amounts,
    find_dates,
    hex_chars,
    parse_amount,
    parse_amount_in_words,
    read_gstin,
)
from tests.fixtures.invoices import amount_in_words, format_amount, make_gstin

amounts = st.decimals(
    min_value=Decimal("0.00"), max_value=Decimal("999999999999.99"), places=2, allow_nan=False, allow_infinity=False
)


@given(amounts)
def test_indian_grouping_parses_back_to_the_same_amount(value: Decimal) -> None:
    text = format_amount(value, "indian")  # e.g. 12,34,56,789.05
    parsed = parse_amount(text)
    assert parsed is not None and parsed.value == value
    assert parsed.grouping in ({"plain"} if value < 1000 else {"indian", "western"})
    if value >= 100_000:
        assert parsed.grouping == "indian"


@given(amounts, st.sampled_from(["₹", "₹ ", "Rs.", "Rs. ", "INR ", "Rs "]))
def test_western_grouping_with_a_currency_prefix_parses_back(value: Decimal, prefix: str) -> None:
    parsed = parse_amount(prefix + format_amount(value, "western"))
    assert parsed is not None and parsed.value == value


@given(st.integers(min_value=0, max_value=99_99_99_999), st.integers(min_value=0, max_value=99))
def test_amount_in_words_parses_back(rupees: int, paise: int) -> None:
    value = Decimal(rupees) + Decimal(paise) / 100
    assert parse_amount_in_words(amount_in_words(value)) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,00,000.00", Decimal("100000.00")),
        ("Rs.1,18,000", Decimal("118000.00")),
        ("₹ 12,34,567.8", Decimal("1234567.80")),
        ("INR 118,000.50", Decimal("118000.50")),
        ("9,943,94", Decimal("9943.94")),  # OCR read the decimal point as a comma
        ("82.866.20", Decimal("82866.20")),  # ... and the grouping commas as points
        ("1,81,.711.50", Decimal("181711.50")),  # dust doubled a separator
        ("I,OO,000.00", None),  # too many letters to be a misread number
        ("1,0,00.00", None),  # neither Indian nor Western grouping
        ("12%", None),
    ],
)
def test_parse_amount(text: str, expected: Decimal | None) -> None:
    parsed = parse_amount(text)
    assert (parsed.value if parsed else None) == expected


def test_find_amounts_skips_rates_and_identifiers_and_mends_split_numbers() -> None:
    assert [a.value for a in find_amounts("IGST @ 12%: 9,943.94")] == [Decimal("9943.94")]
    assert find_amounts("INV/25-26/4116 17/08/2025") == []
    assert [a.value for a in find_amounts("Total: Rs. 2,411, 442.92")] == [Decimal("2411442.92")]


def test_text_layer_amounts_are_not_repaired() -> None:
    assert parse_amount("1,2O0.00") is not None
    assert parse_amount("1,2O0.00", repair=False) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Invoice Date: 05/04/2025", date(2025, 4, 5)),
        ("Dt 05-04-2025", date(2025, 4, 5)),
        ("dated 5 Apr 2025", date(2025, 4, 5)),
        ("05-Apr-2025", date(2025, 4, 5)),
        ("2025-04-05", date(2025, 4, 5)),
        ("Sept 5, 2025", date(2025, 9, 5)),
        ("5th September 2025", date(2025, 9, 5)),
        ("O5/O4/2025", date(2025, 4, 5)),  # letters OCR read for digits
        ("43-09-2023", date(2023, 9, 13)),  # an impossible day with one misread digit
        ("02/02:2025", date(2025, 2, 2)),  # a separator misread
        ("14 Nav 2024", date(2024, 11, 14)),  # a misread month
    ],
)
def test_find_dates_reads_indian_date_formats(text: str, expected: date) -> None:
    assert [d.value for d in find_dates(text)] == [expected]


def test_numeric_dates_are_day_first_and_text_layers_are_not_repaired() -> None:
    assert find_dates("03/04/2025")[0].value == date(2025, 4, 3)
    assert find_dates("43-09-2023", repair=False) == []
    assert find_dates("31/02/2025", repair=False) == []


def _gstin(seed: int) -> str:
    return make_gstin(random.Random(seed), "27")


@given(st.integers(min_value=0, max_value=10_000), st.sampled_from([0, 1, 7, 8, 9, 10, 2, 3, 4, 5, 6, 11]))
def test_a_gstin_character_misread_across_classes_is_repaired(seed: int, position: int) -> None:
    gstin = _gstin(seed)
    look_alike = {
        "0": "O",
        "1": "I",
        "5": "S",
        "8": "B",
        "2": "Z",
        "6": "G",
        "O": "0",
        "I": "1",
        "S": "5",
        "B": "8",
        "Z": "2",
        "G": "6",
    }
    char = gstin[position]
    if char not in look_alike or (position in (2, 3, 4, 5, 6, 11)) == char.isdigit():
        return
    misread = gstin[:position] + look_alike[char] + gstin[position + 1 :]
    read = read_gstin(misread)
    assert read is not None and read.valid and read.value == gstin


def test_gstin_reads() -> None:
    assert read_gstin("27AAPFU0939F1ZV") == read_gstin("27aapfu0939f1zv")
    valid = _gstin(1)
    read = read_gstin(valid)
    assert read is not None and read.valid and read.changes == 0
    # A wrong check character on a text layer stays as printed, flagged invalid.
    wrong = valid[:14] + ("A" if valid[14] != "A" else "B")
    text_read = read_gstin(wrong, repair=False)
    assert text_read is not None and not text_read.valid and text_read.value == wrong
    # An extra character (OCR split a glyph) is dropped.
    split = valid[:5] + "1" + valid[5:]
    assert (r := read_gstin(split)) is not None and r.value == valid
    assert read_gstin("Original for Recipient") is None
    assert compute_check_char(valid[:14]) == valid[14]


def test_hex_chars_maps_ocr_look_alikes() -> None:
    assert hex_chars("8ed3O36 934l2 S") == "8ed3036934125"
