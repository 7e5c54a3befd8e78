"""Parsers for the values printed on Indian invoices, tolerant of the usual OCR confusions.

Each parser takes a snippet of text and returns the normalised value or ``None``. They never guess silently:
an OCR correction is reported back so that the caller can lower the confidence.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from hundi.gst.gstin import STATE_CODES, compute_check_char, validate_gstin

PAISE = Decimal("0.01")

# Characters Tesseract confuses with digits, and the digit it most likely meant.
_TO_DIGIT = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "Q": "0",
        "D": "0",
        "U": "0",
        "I": "1",
        "l": "1",
        "i": "1",
        "|": "1",
        "J": "1",
        "!": "1",
        "Z": "2",
        "z": "2",
        "S": "5",
        "s": "5",
        "§": "5",
        "B": "8",
        "G": "6",
        "b": "6",
        "T": "7",
        "A": "4",
        "g": "9",
        "q": "9",
    }
)

# ---------------------------------------------------------------------------------------------------------
# Amounts


@dataclass(frozen=True, slots=True)
class Amount:
    """A parsed amount: rupees with paise, how it was grouped, and whether OCR digits had to be repaired."""

    value: Decimal
    grouping: str  # "indian", "western", "plain" or "irregular"
    repaired: bool
    text: str


_CURRENCY_PREFIX = re.compile(
    r"(?:₹|\brs\b[.,]?|\brs(?=[.,]?\d)[.,]?|\binr\b|\binr(?=\d)|\brupees\b)\s*", re.IGNORECASE
)


def _grouping(groups: list[str]) -> str:
    if len(groups) == 1:
        return "plain"
    head, *middle, tail = groups
    if len(tail) != 3 or not 1 <= len(head) <= 3:
        return "irregular"
    if all(len(g) == 3 for g in middle):
        if len(head) <= 2 and all(len(g) == 2 for g in middle) and middle:
            return "indian"
        return "western"
    if len(head) <= 2 and all(len(g) == 2 for g in middle):
        return "indian"
    return "irregular"


def parse_amount(text: str, repair: bool = True) -> Amount | None:
    """Parse ``1,18,000.50``, ``118,000.50``, ``Rs. 1,18,000``, ``₹ 1,18,000.50`` or ``INR 500.5``.

    A separator followed by one or two final digits is the decimal point, whichever mark OCR made of it; the
    others are grouping separators, in Indian (lakh/crore) or Western (thousands) style. Letters that OCR
    substitutes for digits (O, l, S, B) are repaired only inside a token that is otherwise clearly a number,
    and only when ``repair`` is set (OCR text; a text layer says what it says).
    """
    raw = _CURRENCY_PREFIX.sub("", text.strip()).strip().strip("()[]").rstrip(".,:;-/ ").lstrip(":;-/ ")
    if repair:
        # A rupee sign OCR'd as '%' or '=' stuck to the figures; a comma read as ';'.
        raw = raw.lstrip("%=").replace(";", ",")
    # Dust doubles separators ("1,81,.711.50"); an apostrophe is a comma's ghost.
    raw = re.sub(r"([,.])[,.]+", r"\1", raw.replace(" ", "").replace("'", ","))
    if not raw or not re.search(r"\d", raw):
        return None
    fixed = raw.translate(_TO_DIGIT) if repair else raw
    repairs = sum(a != b for a, b in zip(raw, fixed, strict=True))
    if repairs and (sum(c.isdigit() for c in raw) < 2 or repairs > max(1, len(raw) // 4)):
        return None
    m = re.fullmatch(r"([0-9][0-9,.]*?)(?:[.,]([0-9]{1,2}))?", fixed)
    if m is None:
        return None
    whole, fraction = m.group(1), m.group(2) or ""
    groups = re.split(r"[,.]", whole)
    if any(not g for g in groups):
        return None
    grouping = _grouping(groups)
    if grouping == "irregular":
        return None
    value = Decimal(f"{''.join(groups)}.{fraction.ljust(2, '0')}")
    return Amount(value.quantize(PAISE), grouping, repairs > 0, text.strip())


def find_amounts(text: str, repair: bool = True) -> list[Amount]:
    """Every amount in ``text``, left to right, skipping percentages, dates and identifiers."""
    out = []
    text = _CURRENCY_PREFIX.sub(" ", text)
    # OCR puts stray spaces next to separators inside an amount: "2,296,612. 30", "2,411, 442.92".
    text = re.sub(r"(?<=\d[.,])\s(?=\d)|(?<=\d)\s(?=[.,]\d)", "", text)
    for token in text.split():
        token = token.strip("()[]:|")
        if not token or token.endswith("%") or "/" in token or re.search(r"\d-\d", token):
            continue
        amount = parse_amount(token, repair)
        if amount is not None:
            out.append(amount)
    return out


# ---------------------------------------------------------------------------------------------------------
# Amount in words (Indian numbering: crore, lakh, thousand)

_WORD_VALUES = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {
    "hundred": 100,
    "thousand": 1000,
    "lakh": 100_000,
    "lakhs": 100_000,
    "lac": 100_000,
    "crore": 10_000_000,
    "crores": 10_000_000,
    "million": 1_000_000,
}
_VOCAB = [*_WORD_VALUES, *_SCALES, "and", "paise", "only", "rupees", "rupee"]


def _word_number(words: list[str]) -> int | None:
    total, current = 0, 0
    seen = False
    for w in words:
        if w in _WORD_VALUES:
            current += _WORD_VALUES[w]
            seen = True
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w in _SCALES:
            total += max(current, 1) * _SCALES[w]
            current = 0
            seen = True
        elif w != "and":
            return None
    return total + current if seen else None


def parse_amount_in_words(text: str) -> Decimal | None:
    """Parse ``Rupees One Lakh Eighteen Thousand and Fifty Paise Only``; OCR-misspelt words are snapped to the
    closest number word."""
    m = re.search(r"(?:rupees|rupee|inr|rs\.?)\s+(.+?)\s+only\b", text, re.IGNORECASE)
    if m is None:
        return None
    tokens = []
    for raw in re.findall(r"[A-Za-z]+", m.group(1).lower()):
        if raw in _VOCAB:
            tokens.append(raw)
            continue
        close = difflib.get_close_matches(raw, _VOCAB, n=1, cutoff=0.75)
        if not close:
            return None
        tokens.append(close[0])
    if "paise" in tokens:
        cut = tokens.index("paise")
        rupee_words, paise_words = tokens[:cut], tokens[cut + 1 :]
        # "... and Fifty Paise": the paise number precedes the word "paise".
        if rupee_words and "and" in rupee_words:
            last_and = len(rupee_words) - 1 - rupee_words[::-1].index("and")
            paise_words = rupee_words[last_and + 1 :] + paise_words
            rupee_words = rupee_words[:last_and]
    else:
        rupee_words, paise_words = tokens, []
    rupees = _word_number([w for w in rupee_words if w not in ("rupees", "rupee")])
    paise = _word_number(paise_words) if paise_words else 0
    if rupees is None or paise is None or paise >= 100:
        return None
    return (Decimal(rupees) + Decimal(paise) / 100).quantize(PAISE)


# ---------------------------------------------------------------------------------------------------------
# Dates

_MONTHS = {
    m: i
    for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)
}
_NUMERIC_DATE = re.compile(
    r"(?<![\w])([0-9OoIlSB]{1,2})\s?([/.\-])\s?([0-9OoIlSB]{1,2})\s?([/.\-:])\s?([0-9OoIlSB]{4}|[0-9]{2})(?![\w])"
)
_ISO_DATE = re.compile(r"(?<![\w])([0-9OoIlSB]{4})\s?-\s?([0-9OoIlSB]{2})\s?-\s?([0-9OoIlSB]{2})(?![\w])")
_TEXT_DATE = re.compile(
    r"(?<![\w])([0-9OoIlSB]{1,2})(?:st|nd|rd|th)?[\s\-.,]*([A-Za-z]{3,9})\.?[\s\-,]*([0-9OoIlSB]{4})(?![\w])"
)
_TEXT_DATE_US = re.compile(r"(?<![\w])([A-Za-z]{3,9})\.?\s+([0-9OoIlSB]{1,2}),?\s+([0-9OoIlSB]{4})(?![\w])")


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A parsed date, the text it came from, and whether OCR digits had to be repaired."""

    value: date
    text: str
    repaired: bool


_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def _month(name: str) -> int | None:
    """Month number of an English month name or abbreviation ("Sep", "Sept", "September"), allowing an OCR
    slip: a full name one letter off, or an abbreviation with its first letter and one other right ("Nav")."""
    key = name.lower().rstrip(".")
    for i, full in enumerate(_MONTH_NAMES, start=1):
        if len(key) >= 3 and full.startswith(key):
            return i
    close = difflib.get_close_matches(key, list(_MONTH_NAMES), n=1, cutoff=0.75)
    if close:
        return _MONTH_NAMES.index(close[0]) + 1
    if len(key) == 3:
        near = [m for m in _MONTHS if m[0] == key[0] and (m[1] == key[1]) + (m[2] == key[2]) == 1]
        if len(near) == 1:
            return _MONTHS[near[0]]
    return None


def _digits(s: str) -> tuple[int, bool]:
    fixed = s.translate(_TO_DIGIT)
    return int(fixed), fixed != s


def _repair_day_month(year: int, day: str, month: str) -> date | None:
    """An impossible day or month ("43-09-2023") with one digit misread: the unique look-alike that makes
    the date valid, else None."""
    found = set()
    for which, text in (("day", day), ("month", month)):
        for i, ch in enumerate(text):
            for alt in _SAME_CLASS.get(ch, ""):
                fixed = text[:i] + alt + text[i + 1 :]
                d, mo = (fixed, month) if which == "day" else (day, fixed)
                value = _make_date(year, int(mo), int(d))
                if value is not None:
                    found.add(value)
    return found.pop() if len(found) == 1 else None


def _year(text: str, repair: bool) -> tuple[int, bool]:
    """A year, with one misread digit repaired when that alone brings it into 1990-2100 ("2625")."""
    value, repaired = _digits(text)
    if repair and len(text) == 4 and not 1990 <= value <= 2100:
        digits = text.translate(_TO_DIGIT)
        fixed = {
            int(digits[:i] + alt + digits[i + 1 :])
            for i, ch in enumerate(digits)
            for alt in _SAME_CLASS.get(ch, "")
            if alt.isdigit() and 1990 <= int(digits[:i] + alt + digits[i + 1 :]) <= 2100
        }
        if len(fixed) == 1:
            return fixed.pop(), True
    return value, repaired


def _make_date(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000
    if not 1990 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str, repair: bool = True) -> list[ParsedDate]:
    """Every date in ``text``, left to right. Numeric dates are day-month-year, as printed in India.

    With ``repair`` (OCR text), letters read for digits and one misread digit in an impossible day or month
    are repaired; without it such dates are not dates.
    """
    found: list[tuple[int, ParsedDate]] = []
    for m in _ISO_DATE.finditer(text):
        (y, r1), (mo, r2), (d, r3) = _year(m.group(1), repair), _digits(m.group(2)), _digits(m.group(3))
        value = _make_date(y, mo, d)
        if value and (repair or not (r1 or r2 or r3)):
            found.append((m.start(), ParsedDate(value, m.group(0), r1 or r2 or r3)))
    for m in _NUMERIC_DATE.finditer(text):
        if any(start <= m.start() < start + len(p.text) for start, p in found):
            continue
        (d, r1), (mo, r2), (y, r3) = _digits(m.group(1)), _digits(m.group(3)), _year(m.group(5), repair)
        value = _make_date(y, mo, d)
        # Mixed separators ("02/02:2025") are an OCR slip: a repair, not a date format.
        repaired = r1 or r2 or r3 or m.group(2) != m.group(4)
        if value is None and repair:
            value, repaired = (
                _repair_day_month(y, m.group(1).translate(_TO_DIGIT), m.group(3).translate(_TO_DIGIT)),
                True,
            )
        if value and (repair or not repaired):
            found.append((m.start(), ParsedDate(value, m.group(0), repaired)))
    for m in _TEXT_DATE.finditer(text):
        month = _month(m.group(2))
        if month is None:
            continue
        (d, r1), (y, r2) = _digits(m.group(1)), _year(m.group(3), repair)
        value = _make_date(y, month, d)
        repaired = r1 or r2 or not _MONTH_NAMES[month - 1].startswith(m.group(2).lower())
        if value and (repair or not repaired):
            found.append((m.start(), ParsedDate(value, m.group(0), repaired)))
    for m in _TEXT_DATE_US.finditer(text):
        month = _month(m.group(1))
        if month is None:
            continue
        (d, r1), (y, r2) = _digits(m.group(2)), _year(m.group(3), repair)
        value = _make_date(y, month, d)
        if value and (repair or not (r1 or r2)):
            found.append((m.start(), ParsedDate(value, m.group(0), r1 or r2)))
    return [p for _, p in sorted(found, key=lambda t: t[0])]


# ---------------------------------------------------------------------------------------------------------
# GSTINs

# GSTIN layout (CBIC): 2-digit state code, 10-character PAN (5 letters, 4 digits, 1 letter), entity number
# (1-9 then A-Z), 'Z', then the Luhn mod-36 check character.
_DIGIT_POS = frozenset((0, 1, 7, 8, 9, 10))
_ALPHA_POS = frozenset((2, 3, 4, 5, 6, 11))
# Look-alikes Tesseract produces, most likely first: digit -> letters it is read as / meant, and back.
_DIGIT_AS_LETTERS = {
    "0": "ODQCU",
    "1": "ILTJ",
    "2": "Z",
    "3": "B",
    "4": "A",
    "5": "S",
    "6": "GB",
    "7": "TZ",
    "8": "B",
    "9": "GS",
}
_LETTER_AS_DIGITS = {
    "O": "0",
    "D": "0",
    "Q": "0",
    "U": "0",
    "C": "0",
    "I": "1",
    "L": "1",
    "J": "1",
    "T": "71",
    "Z": "27",
    "B": "83",
    "A": "4",
    "S": "59",
    "G": "69",
    "Y": "7",
    "E": "3",
}
# Confusions within a class.
_SAME_CLASS = {
    "0": "869",
    "1": "74",
    "2": "7",
    "3": "85",
    "4": "1",
    "5": "63",
    "6": "580",
    "7": "12",
    "8": "360",
    "9": "80",
    "C": "GO",
    "G": "CO",
    "O": "QDC",
    "Q": "O",
    "D": "O",
    "E": "FB",
    "F": "EP",
    "P": "F",
    "B": "ER",
    "M": "N",
    "N": "MH",
    "H": "N",
    "K": "X",
    "X": "K",
    "V": "Y",
    "Y": "V",
    "U": "V",
    "I": "LT",
    "Z": "",
    "S": "",
    "R": "BK",
    "W": "VM",
    "L": "I",
    "T": "I",
    "A": "",
    "J": "I",
}
# Digit look-alikes as Tesseract confuses them (dotted and slashed zeros read as 6, 8 or 9, ...).
DIGIT_LOOKALIKES = {d: "".join(a for a in alts if a.isdigit()) for d, alts in _SAME_CLASS.items() if d.isdigit()}


@dataclass(frozen=True, slots=True)
class GstinRead:
    """A GSTIN read: the (possibly repaired) value, whether it validates, and how many characters changed."""

    value: str
    valid: bool
    changes: int


def _slot_options(i: int, ch: str) -> list[tuple[str, float]] | None:
    """Characters slot ``i`` may hold given that OCR printed ``ch``, with a cost (0 = as printed); the first
    option is the default reading."""
    if i in _DIGIT_POS or i in _ALPHA_POS:
        want_digit = i in _DIGIT_POS
        if ch.isdigit() == want_digit:
            same = [a for a in _SAME_CLASS.get(ch, "") if a.isdigit() == want_digit]
            return [(ch, 0.0)] + [(a, 1.0) for a in same]
        cross = (_LETTER_AS_DIGITS if want_digit else _DIGIT_AS_LETTERS).get(ch, "")
        if not cross:
            return None
        return [(cross[0], 0.3)] + [(a, 0.6) for a in cross[1:]]
    if i == 13:  # 'Z' for every regular taxpayer
        return [("Z", 0.0 if ch == "Z" else 0.3)]
    if i == 12 and ch == "0":  # entity numbers run 1-9 then A-Z; never 0
        return [("O", 0.3), ("D", 0.6), ("Q", 0.6)]
    alts: list[tuple[str, float]] = [(a, 1.0) for a in _SAME_CLASS.get(ch, "")]
    if i == 12 and ch.isalpha():
        # Most taxpayers hold one registration per state, so the entity number is nearly always a digit
        # (usually 1): a letter there is more likely a misread digit than a 10th+ registration.
        alts = [(a, 0.4) for a in _LETTER_AS_DIGITS.get(ch, "")] + alts
    else:
        alts += [(a, 0.8) for a in (_LETTER_AS_DIGITS.get(ch, "") + _DIGIT_AS_LETTERS.get(ch, ""))]
    return [(ch, 0.0), *alts]


def _repairs(raw: str, search: bool = True) -> list[tuple[float, str, int]]:
    """Valid GSTINs reachable from a 15-character OCR token: (cost, value, characters changed). Without
    ``search`` only the class-coerced reading is tried."""
    options = [_slot_options(i, ch) for i, ch in enumerate(raw)]
    if any(o is None for o in options):
        return []
    slots: list[list[tuple[str, float]]] = [o for o in options if o is not None]
    if slots[0][0][0] + slots[1][0][0] not in STATE_CODES:
        # An impossible state code proves a misread there; any digit is a candidate (the state code list
        # then constrains the repair far more than the look-alike table could).
        for i in (0, 1):
            slots[i] = slots[i] + [(d, 0.9) for d in "0123456789" if all(d != c for c, _ in slots[i])]
    base = [o[0][0] for o in slots]
    base_cost = sum(o[0][1] for o in slots)
    out = []

    def consider(chars: list[str], cost: float) -> None:
        first14 = "".join(chars[:14])
        if compute_check_char(first14) == chars[14]:
            value = "".join(chars)
            if validate_gstin(value).valid:
                out.append((cost, value, sum(a != b for a, b in zip(raw, value, strict=True))))

    consider(base, base_cost)
    if not search:
        return out
    singles = [(i, ch, cost - slots[i][0][1]) for i in range(15) for ch, cost in slots[i][1:]]
    for i, ch, extra in singles:
        trial = base.copy()
        trial[i] = ch
        consider(trial, base_cost + extra + 0.5)
    # Two substitutions only where OCR demonstrably slipped (a character of the wrong class for its slot):
    # unconstrained pairs would let roughly one random pair in 36 pass the check character.
    suspect = {i for i, ch in enumerate(raw) if slots[i][0][0] != ch}
    if raw[:2] not in STATE_CODES:
        suspect |= {0, 1}
    for (i, ci, ei), (j, cj, ej) in itertools.combinations(singles, 2):
        if i != j and (i in suspect or j in suspect):
            trial = base.copy()
            trial[i], trial[j] = ci, cj
            consider(trial, base_cost + ei + ej + 1.0)
    return out


def _looks_like_gstin(raw: str) -> bool:
    """Nearly every character fits its slot, as printed or as a look-alike (O for 0): repairs are for
    misread GSTINs, not for any 15 letters (enough repairs would make random text pass the check)."""
    best = 0
    for start in range(len(raw) - 14):
        window = raw[start : start + 15]
        fits = sum(window[i].isdigit() or window[i] in _LETTER_AS_DIGITS for i in _DIGIT_POS)
        fits += sum(window[i].isalpha() or window[i] in _DIGIT_AS_LETTERS for i in _ALPHA_POS)
        best = max(best, fits)
    return best >= 11 and sum(c.isdigit() for c in raw) >= 4


def gstin_candidates(token: str, search: bool = True) -> dict[str, tuple[float, int]]:
    """Valid GSTINs an OCR token may stand for: value -> (repair cost, characters changed)."""
    raw = re.sub(r"[^0-9A-Za-z]", "", token.replace("|", "I").replace("!", "I")).upper()
    if len(raw) not in (15, 16) or not _looks_like_gstin(raw):
        return {}
    variants = [(raw, 0.0)] if len(raw) == 15 else [(raw[:i] + raw[i + 1 :], 1.0) for i in range(16)]
    found: dict[str, tuple[float, int]] = {}
    for variant, extra in variants:
        for cost, value, changes in _repairs(variant, search):
            if value not in found or cost + extra < found[value][0]:
                found[value] = (cost + extra, changes + (1 if extra else 0))
    return found


def read_gstin(token: str, repair: bool = True, search: bool = True) -> GstinRead | None:
    """Read a GSTIN from an OCR token, repairing OCR confusions that the check character confirms.

    Each character is first mapped to the class of its slot (a letter in a digit slot becomes the digit it
    resembles); then up to two look-alike substitutions are tried. Candidates that validate are ranked by how
    plausible their substitutions are, and the best is accepted only if no other candidate is as plausible: a
    mod-36 check character catches any single error, but two different repairs can both satisfy it. A 16
    character token (OCR split a glyph in two) is tried with each character dropped. Returns ``None`` for a
    token that cannot be a GSTIN, and an invalid read when no repair is unambiguous. Without ``repair``
    (text-layer input) the token is only validated; without ``search`` only class coercion is applied (the
    caller may prefer a second OCR read to guessing substitutions).
    """
    raw = re.sub(r"[^0-9A-Za-z]", "", token.replace("|", "I").replace("!", "I")).upper()
    if len(raw) == 15 and validate_gstin(raw).valid:
        return GstinRead(raw, True, 0)
    if not repair:
        shaped = len(raw) == 15 and re.fullmatch(r"\d{2}[A-Z]{5}\d{4}[A-Z][0-9A-Z]{3}", raw)
        return GstinRead(raw, False, 0) if shaped else None
    found = gstin_candidates(raw, search)
    if found:
        ranked = sorted(found.items(), key=lambda kv: kv[1][0])
        best_value, (best_cost, changes) = ranked[0]
        if len(ranked) == 1 or ranked[1][1][0] - best_cost > 0.19:
            return GstinRead(best_value, True, changes)
    if len(raw) != 15:
        return None
    default = [o[0][0] for o in (_slot_options(i, ch) or [(ch, 0.0)] for i, ch in enumerate(raw))]
    value = "".join(default)
    if not re.fullmatch(r"\d{2}[A-Z]{5}\d{4}[A-Z][0-9A-Z]Z[0-9A-Z]", value):
        return None
    return GstinRead(value, False, sum(a != b for a, b in zip(raw, value, strict=True)))


# ---------------------------------------------------------------------------------------------------------
# Hex (IRN)

_TO_HEX = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "Q": "0",
        "D": "d",
        "I": "1",
        "l": "1",
        "i": "1",
        "|": "1",
        "S": "5",
        "s": "5",
        "Z": "2",
        "z": "2",
        "G": "6",
        "g": "9",
        "B": "b",
        "A": "a",
        "C": "c",
        "E": "e",
        "F": "f",
        "T": "7",
        "t": "f",
        "J": "1",
    }
)


def hex_chars(text: str) -> str:
    """The hex digits of ``text`` after mapping OCR look-alikes (O -> 0, l -> 1, ...), in lower case."""
    return re.sub(r"[^0-9a-f]", "", text.translate(_TO_HEX).lower())


def hamming(a: str, b: str) -> int:
    """Number of differing positions (plus the length difference)."""
    return sum(x != y for x, y in zip(a, b, strict=False)) + abs(len(a) - len(b))


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or ``limit + 1`` as soon as it is known to exceed ``limit`` (banded, O(n*limit))."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [limit + 1] * len(b)
        lo, hi = max(1, i - limit), min(len(b), i + limit)
        for j in range(lo, hi + 1):
            cost = 0 if ca == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        if min(current[max(0, lo - 1) : hi + 1]) > limit:
            return limit + 1
        previous = current
    return min(previous[len(b)], limit + 1)
