"""GSTIN validation: structure, state code, embedded PAN and the Luhn mod 36 check character.

A regular taxpayer's GSTIN (CBIC / GSTN format) is 15 characters::

    27  AAPFU0939F  1  Z  V
    |   |          |  |  check character: Luhn mod 36 over the first 14 (below)
    |   |          |  14th: 'Z' by default for regular taxpayers
    |   |          13th: entity number of this PAN in the state, 1-9 then A-Z
    |   PAN: 5 letters, 4 digits, 1 letter; its 4th letter is the holder type
    state code (Census 2011 codes as used by GSTN, plus 97 Other Territory and 99 Centre Jurisdiction)

Other registration kinds (TDS deductors carry 'D' and a TAN, e-commerce TCS collectors 'C', UIN holders and
OIDAR suppliers use other layouts) are reported invalid here: they cannot be parties to a financed invoice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hundi.gst.errors import InvalidGstin

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = {char: index for index, char in enumerate(ALPHABET)}

# GST state and UT codes (GSTN state code master, as printed in the e-invoice and e-way bill masters).
STATE_CODES: dict[str, str] = {
    "01": "Jammu and Kashmir",
    "02": "Himachal Pradesh",
    "03": "Punjab",
    "04": "Chandigarh",
    "05": "Uttarakhand",
    "06": "Haryana",
    "07": "Delhi",
    "08": "Rajasthan",
    "09": "Uttar Pradesh",
    "10": "Bihar",
    "11": "Sikkim",
    "12": "Arunachal Pradesh",
    "13": "Nagaland",
    "14": "Manipur",
    "15": "Mizoram",
    "16": "Tripura",
    "17": "Meghalaya",
    "18": "Assam",
    "19": "West Bengal",
    "20": "Jharkhand",
    "21": "Odisha",
    "22": "Chhattisgarh",
    "23": "Madhya Pradesh",
    "24": "Gujarat",
    "25": "Daman and Diu",
    "26": "Dadra and Nagar Haveli and Daman and Diu",
    "27": "Maharashtra",
    "28": "Andhra Pradesh (before division)",
    "29": "Karnataka",
    "30": "Goa",
    "31": "Lakshadweep",
    "32": "Kerala",
    "33": "Tamil Nadu",
    "34": "Puducherry",
    "35": "Andaman and Nicobar Islands",
    "36": "Telangana",
    "37": "Andhra Pradesh",
    "38": "Ladakh",
    "97": "Other Territory",
    "99": "Centre Jurisdiction",
}

# Codes still valid in existing GSTINs but no longer issued: worth a note, not a rejection.
LEGACY_STATE_CODES: dict[str, str] = {
    "25": "Daman and Diu merged into code 26 on 26 January 2020",
    "28": "new Andhra Pradesh registrations use code 37",
}

# Income Tax Department PAN holder types (the PAN's 4th character).
PAN_HOLDER_TYPES: dict[str, str] = {
    "P": "Individual",
    "C": "Company",
    "H": "Hindu Undivided Family",
    "F": "Firm / LLP",
    "A": "Association of Persons",
    "T": "Trust",
    "B": "Body of Individuals",
    "L": "Local Authority",
    "J": "Artificial Juridical Person",
    "G": "Government",
}

_OTHER_14TH = {
    "D": "a TDS deductor registration",
    "C": "an e-commerce TCS collector registration",
}
_WHITESPACE = re.compile(r"\s+")


def compute_check_char(first14: str) -> str:
    """The 15th character of a GSTIN: Luhn mod N with N = 36 over ``0-9A-Z``.

    From the right of the 14 characters, weights alternate 2, 1, 2, ...; each product is reduced to
    ``product // 36 + product % 36`` and summed; the check value is ``(36 - sum % 36) % 36``.
    """
    if len(first14) != 14:
        raise ValueError(f"need the first 14 characters of a GSTIN, got {len(first14)}")
    total = 0
    for position, char in enumerate(first14.upper()):
        if char not in _VALUE:
            raise ValueError(f"{char!r} is not in 0-9A-Z")
        product = _VALUE[char] * (2 if position % 2 else 1)  # position 13 (right-most) gets weight 2
        total += product // 36 + product % 36
    return ALPHABET[(36 - total % 36) % 36]


@dataclass(frozen=True)
class GstinCheck:
    """The outcome of :func:`validate_gstin`.

    Attributes:
        input: the text as given.
        gstin: the normalised text (whitespace removed, upper case) that was checked.
        valid: True when ``reasons`` is empty.
        reasons: why it is invalid, one human-readable sentence each.
        notes: things worth knowing that do not make it invalid (normalisation, legacy state code).
    """

    input: str
    gstin: str
    valid: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)
    state_code: str | None = None
    state_name: str | None = None
    pan: str | None = None
    holder_type: str | None = None


def validate_gstin(text: str) -> GstinCheck:
    """Check every rule a regular taxpayer's GSTIN must satisfy and say which ones fail."""
    notes: list[str] = []
    gstin = _WHITESPACE.sub("", text)
    if gstin != text:
        notes.append("removed whitespace")
    if gstin != gstin.upper():
        gstin = gstin.upper()
        notes.append("converted to upper case")
    reasons: list[str] = []

    if len(gstin) != 15:
        reasons.append(f"must be 15 characters, got {len(gstin)}")
    bad = [f"{i + 1} ({c!r})" for i, c in enumerate(gstin) if c not in _VALUE]
    if bad:
        reasons.append("only 0-9 and A-Z are allowed; bad character at position " + ", ".join(bad))
    if len(gstin) != 15:
        return GstinCheck(text, gstin, False, tuple(reasons), tuple(notes))

    state_code, pan, entity, default, check = gstin[:2], gstin[2:12], gstin[12], gstin[13], gstin[14]
    state_name = STATE_CODES.get(state_code)
    if state_name is None:
        reasons.append(f"state code {state_code!r} (positions 1-2) is not a GST state or territory code")
    elif state_code in LEGACY_STATE_CODES:
        notes.append(f"state code {state_code} is a legacy code: {LEGACY_STATE_CODES[state_code]}")

    if not re.fullmatch(r"[A-Z]{5}[0-9]{4}[A-Z]", pan):
        reasons.append(f"positions 3-12 ({pan!r}) are not a PAN: expected 5 letters, 4 digits, 1 letter")
    holder_type = PAN_HOLDER_TYPES.get(pan[3])
    if holder_type is None:
        reasons.append(f"PAN holder type {pan[3]!r} (position 6) is not one of {''.join(PAN_HOLDER_TYPES)}")

    if entity not in ALPHABET[1:]:
        reasons.append(f"entity number {entity!r} (position 13) must be 1-9 or A-Z")
    if default != "Z":
        kind = _OTHER_14TH.get(default)
        detail = f"; {default!r} marks {kind}, which cannot be an invoice party" if kind else ""
        reasons.append(f"position 14 must be 'Z' for a regular taxpayer, got {default!r}{detail}")

    if not bad:
        expected = compute_check_char(gstin[:14])
        if check != expected:
            reasons.append(f"check character (position 15) is {check!r}, expected {expected!r}")

    return GstinCheck(
        input=text,
        gstin=gstin,
        valid=not reasons,
        reasons=tuple(reasons),
        notes=tuple(notes),
        state_code=state_code if state_name else None,
        state_name=state_name,
        pan=pan,
        holder_type=holder_type,
    )


def require_valid_gstin(text: str) -> str:
    """Return the normalised GSTIN, or raise :class:`InvalidGstin` with every reason."""
    result = validate_gstin(text)
    if not result.valid:
        raise InvalidGstin(text, list(result.reasons))
    return result.gstin


def is_valid_gstin(text: str) -> bool:
    return validate_gstin(text).valid
