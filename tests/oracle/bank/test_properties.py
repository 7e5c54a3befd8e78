"""Property tests of the bank intake's two exact-by-construction pieces: rupee amounts convert to base units with no
rounding, and a signature accepts exactly the bytes it signed.

| Property                                                                                 | Status  |
|------------------------------------------------------------------------------------------|---------|
| Any positive paise amount, written "X.YY", "X.Y" or "X", as a string or a JSON number,   | holds   |
| converts to exactly paise * 10**(decimals-2) base units (decimals 2..18), up to uint128. |         |
| The first amount above uint128 base units is refused.                                     | holds   |
| With 0 or 1 decimals, an amount is accepted exactly when the token can carry its paise.  | holds   |
| sign_header then verify_header accepts the signed body (any bytes, secret, timestamp).  | holds   |
| Changing any single byte of the body makes verification fail.                            | holds   |
| Verifying with any other secret fails.                                                    | holds   |
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from oracle.bank.errors import SignatureInvalid
from oracle.bank.schema import UINT128_MAX, JsonNumber, format_rupees, parse_rupees
from oracle.bank.signature import sign_header, verify_header

pytestmark = pytest.mark.properties


@st.composite
def rupee_texts(draw: st.DrawFn) -> tuple[int, int, str]:
    """(paise, decimals, one of the texts a bank may write for that amount)."""
    decimals = draw(st.integers(min_value=2, max_value=18))
    paise = draw(st.integers(min_value=1, max_value=UINT128_MAX // 10 ** (decimals - 2)))
    whole, fraction = divmod(paise, 100)
    texts = [f"{whole}.{fraction:02d}"]
    if fraction % 10 == 0:
        texts.append(f"{whole}.{fraction // 10}")
    if fraction == 0:
        texts.append(str(whole))
    return paise, decimals, draw(st.sampled_from(texts))


@given(rupee_texts(), st.booleans())
def test_rupee_amounts_convert_exactly_to_base_units(case: tuple[int, int, str], as_number: bool) -> None:
    paise, decimals, text = case
    value = JsonNumber(text) if as_number else text

    canonical, units = parse_rupees(value, decimals)

    assert units == paise * 10 ** (decimals - 2)
    with localcontext() as exact:
        exact.prec = 100  # beyond any uint128 amount: the comparison itself must not round
        assert Decimal(units) / Decimal(10) ** decimals == Decimal(text)
    assert canonical == format_rupees(paise)
    assert parse_rupees(canonical, decimals) == (canonical, units)  # the stored text round-trips too


@given(st.integers(min_value=2, max_value=18), st.integers(min_value=1, max_value=10**6))
def test_amounts_just_over_uint128_are_refused(decimals: int, excess: int) -> None:
    paise = UINT128_MAX // 10 ** (decimals - 2) + excess
    with pytest.raises(ValueError, match="uint128"):
        parse_rupees(format_rupees(paise), decimals)


@given(st.integers(min_value=0, max_value=1), st.integers(min_value=1, max_value=10**12))
def test_tokens_with_fewer_than_two_decimals_take_only_representable_amounts(decimals: int, paise: int) -> None:
    text = format_rupees(paise)
    if paise * 10**decimals % 100:
        with pytest.raises(ValueError, match="not representable"):
            parse_rupees(text, decimals)
    else:
        assert parse_rupees(text, decimals)[1] * 100 == paise * 10**decimals


signature_cases = st.tuples(
    st.binary(min_size=1, max_size=64),  # secret
    st.binary(min_size=1, max_size=2048),  # body
    st.integers(min_value=1, max_value=10**12 - 1),  # timestamp
)


@given(signature_cases)
def test_signature_accepts_exactly_the_signed_body(case: tuple[bytes, bytes, int]) -> None:
    secret, body, timestamp = case
    header = sign_header(secret, body, timestamp)

    assert verify_header([secret], body, header, now=timestamp) == timestamp


@given(signature_cases, st.data())
def test_signature_rejects_any_single_byte_change(case: tuple[bytes, bytes, int], data: st.DataObject) -> None:
    secret, body, timestamp = case
    header = sign_header(secret, body, timestamp)
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1), label="index")
    replacement = data.draw(st.integers(min_value=0, max_value=255), label="byte")
    assume(replacement != body[index])
    changed = body[:index] + bytes([replacement]) + body[index + 1 :]

    with pytest.raises(SignatureInvalid):
        verify_header([secret], changed, header, now=timestamp)


@given(signature_cases, st.binary(min_size=1, max_size=64))
def test_signature_rejects_any_other_secret(case: tuple[bytes, bytes, int], other: bytes) -> None:
    secret, body, timestamp = case
    assume(other != secret)

    with pytest.raises(SignatureInvalid):
        verify_header([other], body, sign_header(secret, body, timestamp), now=timestamp)
