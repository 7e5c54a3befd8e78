"""GSTIN validation: structure, state codes, PAN, and the Luhn mod 36 check character."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hundi.gst.errors import InvalidGstin
from hundi.gst.gstin import (
    ALPHABET,
    PAN_HOLDER_TYPES,
    STATE_CODES,
    compute_check_char,
    is_valid_gstin,
    require_valid_gstin,
    validate_gstin,
)

# GSTINs printed in public material, valid with their check characters:
PUBLISHED = [
    "29AAFCC9980M1ZR",  # GSTZen, "E-Invoice - Invoice Reference Number" (IRN worked example)
    "27AAPFU0939F1ZV",  # the example GSTIN used throughout GST software documentation and tests
    "33AABCT3312J1ZP",  # buyer in a published NIC e-invoice sandbox request log
    "23AABCE9378F1ZK",  # buyer in a published e-invoice bulk-upload sample
]
# Built with compute_check_char in hundi/data/sandbox_taxpayers.json, across holder types and states.
SANDBOX = ["24BQRPP6021K1ZH", "27AABCS9036J2Z1", "07AAEFY5107D1ZE", "06AADCA2259B1Z8"]


def with_check(first14: str) -> str:
    """A GSTIN with a correct check character, so only the rule under test fails."""
    return first14 + compute_check_char(first14)


@pytest.mark.parametrize("gstin", PUBLISHED + SANDBOX)
def test_published_and_sandbox_gstins_are_valid(gstin: str) -> None:
    result = validate_gstin(gstin)
    assert result.valid, result.reasons
    assert result.reasons == ()
    assert compute_check_char(gstin[:14]) == gstin[14]


def test_valid_result_describes_the_parts() -> None:
    result = validate_gstin("27AAPFU0939F1ZV")
    assert (result.state_code, result.state_name) == ("27", "Maharashtra")
    assert (result.pan, result.holder_type) == ("AAPFU0939F", "Firm / LLP")


def test_check_char_hand_computed() -> None:
    # 27AAPFU0939F1Z: values 2,7,10,10,25,15,30,0,9,3,9,15,1,35 with weights 1,2,1,2,...; each product
    # p adds p // 36 + p % 36: 2+14+10+20+25+30+30+0+9+6+9+30+1+35 = 221 (70 -> 1+34 = 35 for the last).
    # (36 - 221 % 36) % 36 = (36 - 5) % 36 = 31 -> 'V'.
    assert compute_check_char("27AAPFU0939F1Z") == "V"


@pytest.mark.parametrize("bad", ["27AAPFU0939F1", "27AAPFU0939F1!", "27AAPFU0939F1ZV"])
def test_compute_check_char_needs_14_alphanumerics(bad: str) -> None:
    with pytest.raises(ValueError):
        compute_check_char(bad)


def test_case_and_whitespace_are_normalised_and_reported() -> None:
    result = validate_gstin(" 27aapfu0939f1zv\n")
    assert result.valid
    assert result.gstin == "27AAPFU0939F1ZV"
    assert result.notes == ("removed whitespace", "converted to upper case")


def test_inner_spaces_are_removed() -> None:
    assert validate_gstin("27 AAPFU 0939F 1ZV").gstin == "27AAPFU0939F1ZV"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "must be 15 characters, got 0"),
        ("27AAPFU0939F1Z", "must be 15 characters, got 14"),
        ("27AAPFU0939F1ZVV", "must be 15 characters, got 16"),
        ("27AAPFU0939F1Z@", "bad character at position 15"),
        ("27AAPFU-939F1ZV", "bad character at position 8"),
        (with_check("00AAPFU0939F1Z"), "state code '00'"),
        (with_check("39AAPFU0939F1Z"), "state code '39'"),
        (with_check("98AAPFU0939F1Z"), "state code '98'"),
        (with_check("AAAAPFU0939F1Z"), "state code 'AA'"),
        (with_check("27AAPF10939F1Z"), "not a PAN"),
        (with_check("27AAPFUA939F1Z"), "not a PAN"),
        (with_check("27AAPFU093911Z"), "not a PAN"),
        (with_check("27AAPXU0939F1Z"), "holder type 'X'"),
        (with_check("27AAPFU0939F0Z"), "entity number '0'"),
        (with_check("27AAPFU0939F1Y"), "position 14 must be 'Z'"),
        (with_check("27AAPFU0939F1D"), "TDS deductor"),
        (with_check("27AAPFU0939F1C"), "TCS collector"),
        ("27AAPFU0939F1ZW", "check character (position 15) is 'W', expected 'V'"),
        ("01AAAAA9999A19N", "position 14 must be 'Z'"),  # the NIC IRN page's placeholder GSTIN
    ],
    ids=[
        "empty",
        "too-short",
        "too-long",
        "symbol",
        "hyphen",
        "state-00",
        "state-39",
        "state-98",
        "state-letters",
        "pan-digit-in-letters",
        "pan-letter-in-digits",
        "pan-last-not-letter",
        "holder-type",
        "entity-zero",
        "14th-not-z",
        "tds-registration",
        "tcs-registration",
        "check-char",
        "nic-placeholder",
    ],
)
def test_malformed_gstin_is_invalid_with_reason(text: str, reason: str) -> None:
    result = validate_gstin(text)
    assert not result.valid
    assert any(reason in r for r in result.reasons), result.reasons


def test_all_failures_are_reported_not_just_the_first() -> None:
    result = validate_gstin("00AAPXU0939F0YA")
    joined = " | ".join(result.reasons)
    for fragment in ("state code", "holder type", "entity number", "position 14", "check character"):
        assert fragment in joined


@pytest.mark.parametrize("code", sorted(STATE_CODES))
def test_every_listed_state_code_is_accepted(code: str) -> None:
    first14 = f"{code}AAPFU0939F1Z"
    assert validate_gstin(first14 + compute_check_char(first14)).valid


@pytest.mark.parametrize("code", ["25", "28"])
def test_legacy_state_codes_are_valid_with_a_note(code: str) -> None:
    first14 = f"{code}AAPFU0939F1Z"
    result = validate_gstin(first14 + compute_check_char(first14))
    assert result.valid
    assert any("legacy" in note for note in result.notes)


def test_state_list_has_01_to_38_plus_97_and_99() -> None:
    assert set(STATE_CODES) == {f"{n:02d}" for n in range(1, 39)} | {"97", "99"}


@pytest.mark.parametrize("holder", sorted(PAN_HOLDER_TYPES))
def test_every_pan_holder_type_is_accepted(holder: str) -> None:
    first14 = f"29AAA{holder}B1234C1Z"
    assert validate_gstin(first14 + compute_check_char(first14)).valid


def test_require_valid_gstin_returns_normalised_or_raises_with_reasons() -> None:
    assert require_valid_gstin("27aapfu0939f1zv") == "27AAPFU0939F1ZV"
    with pytest.raises(InvalidGstin, match="check character") as info:
        require_valid_gstin("27AAPFU0939F1ZW")
    assert info.value.reasons == ["check character (position 15) is 'W', expected 'V'"]


# --- the check character's guarantees ---------------------------------------------------------------


def substitutions(gstin: str) -> list[str]:
    return [gstin[:i] + c + gstin[i + 1 :] for i in range(15) for c in ALPHABET if c != gstin[i]]


@pytest.mark.parametrize("gstin", PUBLISHED + SANDBOX)
def test_every_single_character_substitution_is_rejected(gstin: str) -> None:
    # Exhaustive: 15 positions x 35 other characters of 0-9A-Z.
    accepted = [s for s in substitutions(gstin) if is_valid_gstin(s)]
    assert accepted == []


def test_the_check_character_alone_catches_every_substitution() -> None:
    # Luhn mod N maps each position's value through a permutation of 0..35, so any one change moves the sum.
    gstin = "27AAPFU0939F1ZV"
    for i in range(14):
        for c in ALPHABET:
            if c != gstin[i]:
                changed = gstin[:i] + c + gstin[i + 1 : 14]
                assert compute_check_char(changed) != "V"


valid_gstins = st.builds(
    lambda state, pan1, holder, pan5, digits, last, entity: (lambda first14: first14 + compute_check_char(first14))(
        f"{state}{pan1}{holder}{pan5}{digits}{last}{entity}Z"
    ),
    st.sampled_from(sorted(STATE_CODES)),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
    st.sampled_from(sorted(PAN_HOLDER_TYPES)),
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    st.text("0123456789", min_size=4, max_size=4),
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    st.sampled_from(ALPHABET[1:]),
)


@pytest.mark.properties
@given(gstin=valid_gstins)
def test_generated_gstins_are_valid_and_no_substitution_is(gstin: str) -> None:
    assert is_valid_gstin(gstin)
    assert not any(is_valid_gstin(s) for s in substitutions(gstin))


def adjacent_transpositions(gstin: str) -> list[tuple[str, str]]:
    return [
        (gstin[:i] + gstin[i + 1] + gstin[i] + gstin[i + 2 :], gstin[i] + gstin[i + 1])
        for i in range(14)
        if gstin[i] != gstin[i + 1]
    ]


@pytest.mark.properties
@given(gstin=valid_gstins)
def test_adjacent_transpositions_are_rejected_except_the_0_z_blind_spot(gstin: str) -> None:
    # Luhn mod 36 catches a swap of neighbours a, b unless {a, b} = {0, Z}: with weights 1 and 2, 0 and Z
    # (35) contribute 0 + (70 // 36 + 70 % 36) = 35 either way. Every other swap changes the sum.
    for swapped, pair in adjacent_transpositions(gstin):
        if set(pair) != {"0", "Z"}:
            assert not is_valid_gstin(swapped), (gstin, swapped)


def test_0_z_swap_is_the_known_luhn_mod_36_blind_spot() -> None:
    assert compute_check_char("27AAPFU0939F0Z") == compute_check_char("27AAPFU0939FZ0")


@pytest.mark.parametrize("gstin", PUBLISHED + SANDBOX)
def test_every_adjacent_transposition_of_known_gstins_is_rejected(gstin: str) -> None:
    for swapped, pair in adjacent_transpositions(gstin):
        if set(pair) != {"0", "Z"}:
            assert not is_valid_gstin(swapped), swapped
