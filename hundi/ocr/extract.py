"""Invoice field extraction from page lines (text layer or OCR), with validation-driven confidences.

The parser is label driven: it finds labels such as ``Invoice No``, ``Due Date`` or ``Grand Total`` and reads
the value in the same cell, in the next cell to the right, or in the cell below (grid layouts). GSTINs are
found anywhere and assigned to seller or buyer from their labels or the heading of their column. The fields
are then cross-checked against each other: GSTIN check characters, taxable + tax == total (and the amount in
words), and the printed IRN, which is SHA-256 over seller GSTIN, financial year, ``INV`` and the number, so it
confirms (or repairs) three fields at once.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from hundi.gst.errors import GstError
from hundi.gst.gstin import is_valid_gstin
from hundi.gst.irn import document_number_problems, financial_year_of, irn
from hundi.ocr.fields import InvoiceFields
from hundi.ocr.layout import Cell, Line, Word
from hundi.ocr.values import (
    DIGIT_LOOKALIKES,
    Amount,
    GstinRead,
    edit_distance,
    find_amounts,
    find_dates,
    gstin_candidates,
    hamming,
    hex_chars,
    parse_amount_in_words,
    read_gstin,
)

V = TypeVar("V")

# "No", "No.", "Number", "#", and OCR'd forms of "Number" ("Nuaber", "Nurnber").
_NO = r"n[o0]\.?|num(?:ber)?\.?|n[a-z]{2,4}er\b\.?|#"
# Labels per field with a priority (more specific labels win). Matched against lower-cased cell text in which
# common OCR slips in label words are normalised first (see _label_text).
_LABELS: dict[str, list[tuple[str, int]]] = {
    "invoice_number": [
        (rf"(?:tax\s*)?invoice\s*(?:{_NO})", 5),
        (rf"\binv\.?\s*(?:{_NO})", 5),
        (rf"\bbill\s*(?:{_NO})", 3),
        (rf"\b(?:document|doc)\.?\s*(?:{_NO})", 2),
    ],
    "issue_date": [
        (r"(?:invoice|inv|bill)\.?\s*date", 5),
        (r"date\s*of\s*(?:invoice|issue)", 5),
        (r"\bissue\s*date", 5),
        (r"\bdated\b", 3),
        (r"(?<!due\s)(?<!ack\s)(?<!ack\.\s)(?<!due)\b(?:dt|date)\b\.?", 1),
    ],
    "due_date": [
        (r"\bdue\s*date", 5),
        (r"\bpayment\s*due(?:\s*date)?", 5),
        (r"\bdue\s*(?:on|by)\b", 5),
        (r"\bdue\b", 3),
    ],
    "taxable_value": [
        (r"\btotal\s*taxable\s*(?:value|amount)?", 6),
        (r"\btaxable\s*(?:value|amount)", 5),
        (r"\bassessable\s*value", 4),
        (r"\bsub\s*-?\s*total", 3),
        (r"\btaxable\b", 3),
    ],
    "tax": [
        (r"\btotal\s*(?:tax|gst)(?:\s*amount)?\b", 6),
        (r"\b(?:tax|gst)\s*amount\b", 5),
        (r"\bgst\b(?!\s*(?:in|no|reg))", 2),
    ],
    "cgst": [(r"\bcgst\b", 5)],
    "sgst": [(r"\b(?:sgst|utgst)\b", 5)],
    "igst": [(r"\bigst\b", 5)],
    "cess": [(r"\bcess\b", 4)],
    "total": [
        (r"\bgrand\s*total\b", 7),
        (r"\btotal\s*(?:invoice\s*)?(?:amount|value)(?:\s*payable)?\b", 6),
        (r"\b(?:invoice|net)\s*(?:total|amount|value)\b", 6),
        (r"\b(?:total\s*|net\s*)?(?:amount\s*)?payable\b", 6),
        (r"\btotal\b(?!\s*(?:tax|gst|taxable|cgst|sgst|igst|qty|quantity|items?)\b)", 3),
    ],
    "irn": [(r"\birn\b\s*(?:no\.?)?", 5)],
    "words": [(r"\b(?:amount|total)\s*(?:chargeable\s*)?in\s*words\b", 5)],
}
_COMPILED = {name: [(re.compile(p), prio) for p, prio in specs] for name, specs in _LABELS.items()}
_ANY_LABEL = re.compile("|".join(f"(?:{p})" for specs in _LABELS.values() for p, _ in specs))

_SELLER_ROLE = re.compile(r"\b(?:seller|supplier|sold\s*by|billed\s*by|vendor|consignor|from)\b")
_BUYER_ROLE = re.compile(
    r"\b(?:buyer|recipient|bill(?:ed)?\s*to|customer|consignee|ship(?:ped)?\s*to|client|purchaser|sold\s*to)\b"
)
_GSTIN_TOKEN = re.compile(r"(?<![0-9A-Za-z|!])[0-9A-Za-z|!]{15,16}(?![0-9A-Za-z|!])")
_INVOICE_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9/\-]*(?:[.,:;][A-Za-z0-9/\-]+)*")
_PLAIN_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9/\-]*")
_IDENTIFIER_FIXES = str.maketrans({"$": "S", "§": "S", "@": "0"})

# Position penalties: a value right after its label is the most reliable, one below it the least.
_SAME, _RIGHT, _BELOW = 0.0, 0.05, 0.1


@dataclass(slots=True)
class Candidate(Generic[V]):
    """A candidate value for one field."""

    value: V
    conf: float
    source: str
    rank: float  # label priority minus position penalty; higher is better
    line: int = 0
    cell: Cell | None = None  # where the value was read (for a second read)
    snippet: str = ""  # the value's text as printed in that cell


@dataclass(slots=True)
class _Doc:
    lines: list[Line]
    reread: Rereader | None = None
    warnings: list[str] = field(default_factory=list)
    ocr: bool = False  # any line came from OCR, so OCR-confusion repairs apply

    def __post_init__(self) -> None:
        self.ocr = any(line.ocr for line in self.lines)


class Rereader(Protocol):
    """Reads a region of an OCR'd page again, restricted to ``charset``, as alternative readings (best first).

    Used when a value fails validation (a GSTIN whose check character does not match): a second, focused
    read of just that word usually fixes it, and the check character says whether it did.
    """

    def __call__(
        self, page: int, box: tuple[float, float, float, float], charset: str
    ) -> Iterator[tuple[str, float]]: ...


def _label_text(text: str) -> str:
    """Lower-case text with OCR slips in label words undone ("lnvoice", "1nvoice", "N0." ...)."""
    t = text.lower()
    t = re.sub(r"(?<![a-z0-9])[l1|]nv", "inv", t)
    t = re.sub(r"(?<![a-z0-9])[tj!]nvoice", "invoice", t)
    t = re.sub(r"(?<![a-z0-9])[l1|]rn\b", "irn", t)
    return t


def _round(x: float) -> float:
    return round(min(max(x, 0.0), 1.0), 4)


def _cells_below(doc: _Doc, index: int, cell: Cell) -> Iterator[tuple[int, Cell]]:
    """Cells on the next text line of the same page that sit under ``cell`` (grid layouts). Lines without a
    letter or digit (table rules, dust) are looked through."""
    line = doc.lines[index]
    height = max(line.height, 1.0)
    for j in range(index + 1, min(index + 5, len(doc.lines))):
        below = doc.lines[j]
        if below.page != line.page or below.top - line.bottom > 4 * height:
            return
        if not re.search(r"[0-9A-Za-z]{2}", below.text):
            continue
        for other in below.cells:
            overlap = min(other.right, cell.right) - max(other.left, cell.left)
            if overlap > 0 or abs(other.left - cell.left) < 2 * height:
                yield j, other
        return


def _value_texts(doc: _Doc, index: int, cell_index: int, end: int) -> Iterator[tuple[str, float, Cell, int]]:
    """Text after a label: (text, position penalty, cell, line) for the rest of the cell, the cells to the
    right that are not labels themselves, then the cells below."""
    line = doc.lines[index]
    cell = line.cells[cell_index]
    # "Inv #: X" read as "Inv #4: X": up to two stray characters before the colon belong to the label.
    rest = re.sub(r"^\s?[^\s:]{0,2}:", "", cell.text[end:])
    if rest.strip(" :.-#|"):
        yield rest, _SAME, cell, index
    for right in line.cells[cell_index + 1 :]:
        if _ANY_LABEL.match(_label_text(right.text)):
            break
        yield right.text, _RIGHT, right, index
    for j, below in _cells_below(doc, index, cell):
        if not _ANY_LABEL.match(_label_text(below.text)):
            yield below.text, _BELOW, below, j


def _value_words(cell: Cell, snippet: str) -> list[Word]:
    """The words of ``cell`` that make up ``snippet``: located by position in the cell's text (the value
    comes last when label and value share a cell), so a stray label character is never included."""
    text = cell.text
    start = text.rfind(snippet.split()[0]) if snippet.split() else -1
    if start < 0:
        return cell.words
    end = start + len(snippet)
    words, offset = [], 0
    for w in cell.words:
        if offset < end and offset + len(w.text) > start:
            words.append(w)
        offset += len(w.text) + 1
    return words or cell.words


def _value_conf(cell: Cell, snippet: str) -> float:
    """OCR confidence of a value: its least confident word (a label's confidence says nothing about it)."""
    return min(w.conf for w in _value_words(cell, snippet))


def _labelled(
    doc: _Doc, name: str, parse: Callable[[str], tuple[V, str, float] | None], prefer_last: bool = False
) -> list[Candidate[V]]:
    """Candidates for label ``name``: for every label occurrence, the first value text that parses.

    ``parse`` returns (value, snippet, confidence factor). For amounts the rightmost value on the label's line
    is wanted (``prefer_last``), e.g. ``CGST @ 9% on 1,00,000.00   9,000.00``.
    """
    out: list[Candidate[V]] = []
    for i, line in enumerate(doc.lines):
        for ci, cell in enumerate(line.cells):
            text = _label_text(cell.text)
            for pattern, prio in _COMPILED[name]:
                m = pattern.search(text)
                if m is None:
                    continue
                same_line: list[Candidate[V]] = []
                for value_text, penalty, value_cell, j in _value_texts(doc, i, ci, m.end()):
                    parsed = parse(value_text)
                    if parsed is None:
                        continue
                    value, snippet, factor = parsed
                    source = (
                        cell.text.strip() if penalty == _SAME else f"{cell.text.strip()} | {value_cell.text.strip()}"
                    )
                    conf = _value_conf(value_cell, snippet)
                    cand = Candidate(value, conf * factor, source, prio - penalty, j, value_cell, snippet)
                    if prefer_last and penalty != _BELOW:
                        same_line.append(cand)
                        continue
                    if same_line:
                        break
                    out.append(cand)
                    break
                if same_line:
                    out.append(same_line[-1])
                break  # one label pattern per cell: the most specific that matched
    return out


def _reread_labelled(
    doc: _Doc, name: str, parse: Callable[[str], tuple[V, str, float] | None], charset: str
) -> Candidate[V] | None:
    """A labelled value that did not parse, read again from the image (OCR documents only).

    The value is looked for where :func:`_labelled` looks (after the label in its cell, in the next cell,
    in the cell below); each region is read again with Tesseract restricted to ``charset``.
    """
    if doc.reread is None:
        return None
    for i, line in enumerate(doc.lines):
        for ci, cell in enumerate(line.cells):
            text = _label_text(cell.text)
            if not any(p.search(text) for p, _ in _COMPILED[name]):
                continue
            end = max(m.end() for p, _ in _COMPILED[name] if (m := p.search(text)))
            after, offset = [], 0
            for w in cell.words:
                if offset >= end:
                    after.append(w)
                offset += len(w.text) + 1
            regions = [(i, after)] if after else []
            regions += [(i, c.words) for c in line.cells[ci + 1 : ci + 2]]
            regions += [(j, c.words) for j, c in itertools.islice(_cells_below(doc, i, cell), 1)]
            for j, words in regions:
                box = (
                    min(w.left for w in words),
                    min(w.top for w in words),
                    max(w.right for w in words),
                    max(w.bottom for w in words),
                )
                for read, conf in doc.reread(doc.lines[j].page, box, charset):
                    parsed = parse(read)
                    if parsed is not None:
                        doc.warnings.append(f"{name.replace('_', ' ')} read a second time: {read!r}")
                        return Candidate(parsed[0], 0.6 * max(conf, 0.5), f"{cell.text.strip()} | {read}", 0, j)
    return None


def _best(cands: list[Candidate[V]]) -> Candidate[V] | None:
    return max(cands, key=lambda c: (c.rank, c.conf), default=None)


# ---------------------------------------------------------------------------------------------------------
# Field parsers: text -> (value, snippet, confidence factor)


def _parse_number(text: str, repair: bool = True) -> tuple[str, str, float] | None:
    """An invoice number at the start of ``text``: (value, text as printed, confidence factor).

    With ``repair`` (OCR text) the usual slips are undone, at a confidence cost that makes the number get a
    second read: '$' or '§' for S and '@' for 0, dust read as '.' or ',', a faint '/' read as ':', and an
    identifier split in two words ("GH/68 3/23").
    """
    printed = text.strip().lstrip(":.#-| ").strip()
    stripped = printed.translate(_IDENTIFIER_FIXES) if repair else printed
    m = (_INVOICE_NUMBER if repair else _PLAIN_NUMBER).match(stripped)
    if m is None:
        return None
    value, tail = m.group(0), stripped[m.end() :]
    factor = 1.0 if stripped == printed else 0.5
    span = m.end()
    # OCR splits identifiers: "INV/ 25-26/0042", "INV/25 - 26/7645", "GH/68 3/23". Following tokens join
    # while one side has a separator at the seam, or the token is digits and separators only.
    while repair and (glued := re.match(r"\s([A-Za-z0-9/\-]+)", tail)):
        nxt = glued.group(1)
        seam = value.endswith(("/", "-")) or nxt.startswith(("/", "-"))
        digits_only = re.fullmatch(r"[0-9][0-9/\-]*", nxt) is not None and "/" in value + nxt
        if not (seam or digits_only) or len(value + nxt) > 16:
            break
        value, tail, span = value + nxt, tail[glued.end() :], span + glued.end()
    if re.search(r"[.,:;]", value):
        # Dust between characters reads as '.' or ',', a faint '/' as ':': most likely a lost separator.
        separator = "/" if "/" in value else "-" if "-" in value else ""
        value, factor = re.sub(r"[.,:;]+", separator, value), 0.5
    value = value.rstrip("/-")
    # GST invoice numbers are at most 16 characters of letters, digits, '/' and '-' (CGST Rules, rule 46(b)).
    if not re.search(r"\d", value) or len(value) > 16:
        return None
    return value, stripped[:span], factor


def _parse_date(text: str, repair: bool = True) -> tuple[date, str, float] | None:
    dates = find_dates(text, repair)
    if not dates:
        return None
    d = dates[0]
    return d.value, d.text, 0.85 if d.repaired else 1.0


def _parse_amount(text: str, repair: bool = True) -> tuple[Amount, str, float] | None:
    amounts = find_amounts(text, repair)
    if not amounts:
        return None
    a = amounts[-1]
    return a, a.text, 0.8 if a.repaired else 1.0


# ---------------------------------------------------------------------------------------------------------
# GSTINs and roles


@dataclass(slots=True)
class _GstinHit:
    read: GstinRead
    line: int
    cell: int
    conf: float
    source: str
    role: str | None = None
    role_from_order: bool = False


def _role_in(text: str) -> str | None:
    t = _label_text(text)
    seller, buyer = _SELLER_ROLE.search(t), _BUYER_ROLE.search(t)
    if seller and buyer:  # both mentioned: the nearest to the GSTIN (the later one) wins
        return "seller" if seller.start() > buyer.start() else "buyer"
    if seller:
        return "seller"
    if buyer:
        return "buyer"
    return None


def _role_of(doc: _Doc, hit: _GstinHit, prefix: str) -> str | None:
    """Role from the text before the GSTIN in its cell or line, else from the heading of its column."""
    role = _role_in(prefix)
    if role:
        return role
    line = doc.lines[hit.line]
    cell = line.cells[hit.cell]
    for left in reversed(line.cells[: hit.cell]):
        role = _role_in(left.text)
        if role:
            return role
    for j in range(hit.line - 1, max(hit.line - 9, -1), -1):
        above = doc.lines[j]
        if above.page != line.page:
            break
        for other in above.cells:
            overlap = min(other.right, cell.right) - max(other.left, cell.left)
            if overlap <= 0 and abs(other.left - cell.left) > 2 * line.height:
                continue
            other_token = _GSTIN_TOKEN.search(other.text)
            if other_token and read_gstin(other_token.group(0), repair=False):
                return None  # reached the block of another GSTIN
            role = _role_in(other.text)
            if role:
                return role
    return None


GSTIN_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NUMBER_CHARSET = GSTIN_CHARSET + "/-"
DATE_CHARSET = "0123456789/-. ABCDEFGJLMNOPRSTUVYabcdeghilmnoprstuvy"  # digits, separators, month names


def _token_box(cell: Cell, token: str) -> tuple[float, float, float, float]:
    words = [w for w in cell.words if (t := re.sub(r"[^0-9A-Za-z]", "", w.text)) and (t in token or token in t)]
    words = words or cell.words
    return (
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.right for w in words),
        max(w.bottom for w in words),
    )


def _reread_gstin(
    doc: _Doc, page: int, box: tuple[float, float, float, float], first: str
) -> tuple[GstinRead, float] | None:
    """Settle a GSTIN that failed validation by reading it again and letting the reads vote.

    Each read (the first one included) proposes the valid GSTINs its repairs can reach, weighted by how
    cheap the repair is; independent reads that reach the same GSTIN add up. A candidate wins only when two
    reads or more reach it and it leads by a clear margin, so reads that disagree leave the GSTIN invalid
    rather than guessed.
    """
    if doc.reread is None:
        return None
    scores: dict[str, float] = {}
    votes: dict[str, int] = {}
    confs: list[float] = []

    def vote(text: str) -> None:
        compact = re.sub(r"[^0-9A-Z]", "", text.upper())
        proposals: dict[str, float] = {}
        for size in (15, 16):
            for start in range(0, len(compact) - size + 1):
                for value, (cost, _) in gstin_candidates(compact[start : start + size]).items():
                    proposals[value] = max(proposals.get(value, 0.0), 1.0 / (1.0 + cost))
        for value, weight in proposals.items():
            scores[value] = scores.get(value, 0.0) + weight
            votes[value] = votes.get(value, 0) + 1

    vote(first)
    for text, conf in doc.reread(page, box, GSTIN_CHARSET):
        confs.append(conf)
        read = next(
            (
                r
                for size in (15, 16)
                for start in range(0, max(0, len(text) - size + 1))
                if (r := read_gstin(text[start : start + size], search=False)) and r.valid
            ),
            None,
        )
        if read is not None and read.changes == 0:
            return read, conf  # a clean second read that validates as printed needs no vote
        vote(text)
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or votes[ranked[0][0]] < 2 or (len(ranked) > 1 and ranked[0][1] < 1.3 * ranked[1][1]):
        return None
    return GstinRead(ranked[0][0], True, 1), (min(confs) if confs else 0.0)


def _gstins(doc: _Doc) -> list[_GstinHit]:
    hits: list[_GstinHit] = []
    for i, line in enumerate(doc.lines):
        for ci, cell in enumerate(line.cells):
            # "GSTIN:27ABCDE1234F1Z5" is one OCR word: split on the colon first. OCR also breaks a GSTIN in
            # two words ("27ABCDE1234 F1Z5"), so adjacent word pairs are tried too (kept only if valid).
            text = re.sub(r"[:;]", " ", cell.text)
            # Specks stuck to a word come out as quotes, dots or dashes, at its ends or inside it; a closing
            # bracket at the end is how OCR renders a final J.
            tokens = [
                (m.start(), re.sub(r"[)\]}]$", "J", re.sub(r"[\"'`.,_~*^]", "", m.group(0)).strip("-")))
                for m in re.finditer(r"\S+", text)
            ]
            tokens = [(start, token) for start, token in tokens if token]
            singles = [(start, token, False) for start, token in tokens]
            pairs = [
                (a[0], a[1] + b[1], True) for a, b in itertools.pairwise(tokens) if not _GSTIN_TOKEN.fullmatch(a[1])
            ]
            labelled = "gst" in _label_text(cell.text)
            for start, token, is_pair in [*singles, *pairs]:
                near_miss = labelled and 13 <= len(token) <= 18 and not is_pair
                if not (_GSTIN_TOKEN.fullmatch(token) or near_miss):
                    continue
                # Repair in order of trust: as printed or with letters/digits put in their slots; then a
                # second OCR read of the word; only then look-alike substitutions the check character allows.
                read = read_gstin(token, repair=line.ocr, search=False)
                if is_pair and (read is None or not read.valid) and not (labelled and line.ocr and read):
                    continue  # a pair of words is only a GSTIN if it validates, or sits after a GSTIN label
                box = _token_box(cell, token)
                inside = [w.conf for w in cell.words if w.left >= box[0] and w.right <= box[2]]
                conf = min(inside) if inside else cell.conf
                if (read is None or not read.valid) and line.ocr:
                    second = _reread_gstin(doc, line.page, box, token)
                    if second is not None:
                        # Settled by a second read: trustworthy, but not as much as a clean first read.
                        read, conf = second[0], min(conf, max(second[1], 0.5), 0.8)
                    else:
                        guessed = read_gstin(token)
                        read = guessed if guessed is not None else read
                if read is None:
                    continue
                hit = _GstinHit(read, i, ci, conf, cell.text.strip())
                hit.role = _role_of(doc, hit, text[:start])
                hits.append(hit)
    return hits


def _gstin_conf(hit: _GstinHit) -> float:
    if not hit.read.valid:
        return 0.4 * hit.conf
    # A check character that validates leaves a 1-in-36 chance for a random misread, so a valid read is far
    # more trustworthy than the OCR word confidence alone; repairs cost a little.
    if hit.read.changes == 0:
        base = 0.97 + 0.03 * hit.conf
    elif hit.read.changes == 1:
        base = 0.85 + 0.1 * hit.conf
    else:
        base = 0.7 + 0.1 * hit.conf
    return base * (0.9 if hit.role_from_order else 1.0)


def _assign_gstins(doc: _Doc, hits: list[_GstinHit]) -> dict[str, _GstinHit]:
    # One entry per distinct GSTIN (a GSTIN repeated in a footer is the same party), keeping the best read.
    unique: dict[str, _GstinHit] = {}
    for hit in hits:
        known = unique.get(hit.read.value)
        if known is None:
            unique[hit.read.value] = hit
        else:
            known.role = known.role or hit.role
            if hit.read.valid and not known.read.valid:
                known.read = hit.read
    ordered = sorted(unique.values(), key=lambda h: (not h.read.valid, h.line))
    roles: dict[str, _GstinHit] = {}
    for hit in sorted(ordered, key=lambda h: h.line):
        if (
            hit.role
            and hit.role not in roles
            and (hit.read.valid or not any(h.role == hit.role and h.read.valid for h in ordered))
        ):
            roles[hit.role] = hit
    # Unlabelled GSTINs: a letterhead GSTIN comes first, so the first unassigned one is the seller's. When
    # the other party's GSTIN is labelled, the role follows by elimination and is as good as labelled.
    labelled_roles = set(roles)
    for hit in sorted(ordered, key=lambda h: h.line):
        if hit in roles.values():
            continue
        for role in ("seller", "buyer"):
            if role not in roles and hit.role in (None, role):
                hit.role_from_order = hit.role is None and not labelled_roles
                roles[role] = hit
                break
    return roles


# ---------------------------------------------------------------------------------------------------------
# Amounts


def _digit_variants(value: Decimal, printed: str = "") -> dict[Decimal, int]:
    """``value`` and what it may have been before OCR: one look-alike digit swapped, a leading digit dropped
    (a rupee sign read as 2 or 7), or a last paise digit OCR lost ("497.7"). Maps each variant to its number
    of repairs."""
    text = f"{value:.2f}"
    out = {value: 0}
    if re.search(r"[.,]\d$", printed.strip()):
        for d in "0123456789":
            out.setdefault(Decimal(text[:-1] + d), 1)
    for i, ch in enumerate(text):
        for alt in DIGIT_LOOKALIKES.get(ch, ""):
            out.setdefault(Decimal(text[:i] + alt + text[i + 1 :]), 1)
    if len(text) > 4:
        out.setdefault(Decimal(text[1:]), 1)
    return out


def _repair_amounts(
    t: Candidate[Decimal], x: Candidate[Decimal], g: Candidate[Decimal], words: Decimal | None
) -> tuple[Decimal, Decimal, Decimal, int] | None:
    """The cheapest look-alike digit repairs that make taxable + tax == total (== the amount in words, when
    printed). A repair costs more on a read OCR was confident about, so the doubtful read is the one fixed.
    None unless one answer is clearly cheapest."""
    totals = {words: 0} if words is not None else _digit_variants(g.value, g.snippet or g.source)
    costs: dict[tuple[Decimal, Decimal, Decimal], tuple[float, int]] = {}
    for tv, tn in _digit_variants(t.value, t.snippet or t.source).items():
        for xv, xn in _digit_variants(x.value, x.snippet or x.source).items():
            gn = totals.get(tv + xv)
            # Two repaired digits only against the total in words; otherwise one (more would let some
            # wrong combination add up by chance).
            if gn is None or tn + xn + gn > (2 if words is not None else 1):
                continue
            cost = tn * (0.5 + t.conf) + xn * (0.5 + x.conf) + gn * (0.5 + g.conf)
            key = (tv, xv, tv + xv)
            if key not in costs or cost < costs[key][0]:
                costs[key] = (cost, tn + xn + gn)
    ranked = sorted(costs.items(), key=lambda kv: kv[1][0])
    if not ranked or (len(ranked) > 1 and ranked[1][1][0] - ranked[0][1][0] < 0.1):
        return None
    (tv, xv, gv), (_, n) = ranked[0]
    return tv, xv, gv, n


def _consistent(
    taxable: list[Candidate[Decimal]], tax: list[Candidate[Decimal]], total: list[Candidate[Decimal]]
) -> tuple[Candidate[Decimal], Candidate[Decimal], Candidate[Decimal]] | None:
    """The best-ranked (taxable, tax, total) with taxable + tax == total, if any."""
    best: tuple[float, Candidate[Decimal], Candidate[Decimal], Candidate[Decimal]] | None = None
    for t, x, g in itertools.product(taxable, tax, total):
        if t.value + x.value == g.value:
            score = t.rank + x.rank + g.rank + t.conf + x.conf + g.conf
            if best is None or score > best[0]:
                best = (score, t, x, g)
    return best[1:] if best is not None else None


def _reread_amount(doc: _Doc, amount: Candidate[Decimal]) -> Iterator[Candidate[Decimal]]:
    """Second reads of an amount, Tesseract restricted to digits and separators (lazily, one per variant)."""
    if doc.reread is None or amount.cell is None:
        return
    words = _value_words(amount.cell, amount.snippet or str(amount.value))
    box = (
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.right for w in words),
        max(w.bottom for w in words),
    )
    for text, conf in doc.reread(doc.lines[amount.line].page, box, "0123456789,."):
        found = find_amounts(text)
        if found and found[-1].value != amount.value:
            yield Candidate(
                found[-1].value,
                min(amount.conf, max(conf, 0.5)),
                f"{amount.source} (read again: {text})",
                amount.rank - 0.5,
                amount.line,
            )


def _amount_fields(doc: _Doc) -> tuple[Candidate[Decimal] | None, Candidate[Decimal] | None, Candidate[Decimal] | None]:
    """Pick taxable value, tax and total so that taxable + tax == total when any reading allows it."""

    def amounts(name: str) -> list[Candidate[Decimal]]:
        out = []
        for c in _labelled(doc, name, lambda t: _parse_amount(t, doc.ocr), prefer_last=True):
            out.append(Candidate(c.value.value, c.conf, c.source, c.rank, c.line, c.cell, c.snippet))
        return out

    def tax_candidates() -> list[Candidate[Decimal]]:
        # Tax as printed, or as the sum of its components (CGST + SGST, or IGST, plus cess).
        tax = list(direct_tax)
        parts = [p for p in (_best(v) for v in components.values() if v) if p is not None]
        if parts:
            tax.append(
                Candidate(
                    sum((p.value for p in parts), Decimal(0)),
                    min(p.conf for p in parts),
                    " + ".join(p.source for p in parts),
                    min(p.rank for p in parts) - 1,
                    max(p.line for p in parts),
                )
            )
        return tax

    taxable, direct_tax, total = amounts("taxable_value"), amounts("tax"), amounts("total")
    components = {k: amounts(k) for k in ("cgst", "sgst", "igst", "cess")}
    # The amount in words is a second, independent reading of the total (words survive OCR slips that
    # digits do not: "Thousaiid" is still a thousand).
    words: list[Candidate[Decimal]] = []
    for c in _labelled(doc, "words", lambda t: (v, t.strip(), 1.0) if (v := parse_amount_in_words(t)) else None):
        words.append(Candidate(c.value, c.conf, c.source, 2, c.line))
    for i, line in enumerate(doc.lines):  # an unlabelled "Rupees ... Only" line
        value = parse_amount_in_words(line.text)
        if value is not None and not any(c.line == i for c in words):
            conf = sum(c.conf for c in line.cells) / len(line.cells)
            words.append(Candidate(value, conf, line.text.strip(), 2, i))
    total += words
    in_words = words[0].value if words else None

    tax = tax_candidates()
    best = _consistent(taxable, tax, total)
    if best is None and doc.reread is not None:
        # Nothing adds up: read the leading candidates again (digits only), the least confident first, and
        # stop as soon as the amounts add up (each second read is a Tesseract run).
        groups = [g for g in (taxable, direct_tax, *components.values()) if g]
        numeric_total = [c for c in total if c not in words]
        leads = [(_best(g), g) for g in groups] + ([(_best(numeric_total), total)] if numeric_total else [])
        for lead, group in sorted(((c, g) for c, g in leads if c is not None), key=lambda cg: cg[0].conf):
            for second in _reread_amount(doc, lead):
                group.append(second)
                tax = tax_candidates()
                best = _consistent(taxable, tax, total)
                if best is not None:
                    break
            if best is not None:
                break
    if best is not None:
        t, x, g = best
        for c in (t, x, g):
            # Three independent reads that add up are very unlikely to share an error.
            c.conf = 0.97 + 0.03 * c.conf
        if in_words == g.value:
            g.conf = max(g.conf, 0.99)
        return t, x, g

    numeric_totals = [c for c in total if c not in words]
    t_best, x_best, g_best = _best(taxable), _best(tax), _best(numeric_totals) or _best(words)
    if t_best and x_best and g_best:
        repaired = _repair_amounts(t_best, x_best, g_best, in_words) if doc.ocr else None
        if repaired is not None:
            tv, xv, gv, n = repaired
            doc.warnings.append(
                f"amounts read as {t_best.value} + {x_best.value} = {g_best.value} do not add up; {n} misread "
                f"digit(s) repaired to {tv} + {xv} = {gv}"
                + (" (the total as written in words)" if in_words is not None else "")
            )
            factor = 0.85 if in_words is not None else 0.7
            for c, v in ((t_best, tv), (x_best, xv), (g_best, gv)):
                if c.value != v:
                    c.value, c.conf, c.source = v, factor * c.conf, f"{c.source} (repaired)"
            return t_best, x_best, g_best
        doc.warnings.append(
            f"taxable value {t_best.value} + tax {x_best.value} != total {g_best.value}; check the amounts"
        )
        if in_words is not None and g_best.value == in_words:
            # Figures and words agree on the total: the part that disagrees is the misread one; take the one
            # with the weaker label (a column header beats nothing), then the weaker read. Only that much is
            # known, so the derived value keeps a modest confidence.
            weaker = min((t_best, x_best), key=lambda c: (c.rank, c.conf))
            other = x_best if weaker is t_best else t_best
            if g_best.value >= other.value:
                derived = g_best.value - other.value
                doc.warnings.append(
                    f"{weaker.value} replaced by {derived} (total in figures and words minus {other.value})"
                )
                weaker.value, weaker.conf = derived, 0.6 * min(other.conf, g_best.conf)
                weaker.source = f"{weaker.source} (derived from the total)"
                return t_best, x_best, g_best
        if in_words is not None and g_best.value != in_words:
            doc.warnings.append(f"the total in figures ({g_best.value}) differs from the total in words ({in_words})")
        for c in (t_best, x_best, g_best):
            c.conf *= 0.5
        return t_best, x_best, g_best
    # Two of the three: derive the third from the sum rule, at a lower confidence.
    if t_best and g_best and x_best is None and g_best.value >= t_best.value:
        x_best = Candidate(g_best.value - t_best.value, min(t_best.conf, g_best.conf) * 0.8, "total - taxable value", 0)
    elif t_best and x_best and g_best is None:
        g_best = Candidate(t_best.value + x_best.value, min(t_best.conf, x_best.conf) * 0.8, "taxable value + tax", 0)
    elif x_best and g_best and t_best is None and g_best.value >= x_best.value:
        t_best = Candidate(g_best.value - x_best.value, min(x_best.conf, g_best.conf) * 0.8, "total - tax", 0)
    return t_best, x_best, g_best


# ---------------------------------------------------------------------------------------------------------
# IRN


@dataclass(slots=True)
class _PrintedIrn:
    digits: str
    snippet: str
    conf: float
    regions: list[tuple[int, tuple[float, float, float, float]]]  # (page, box) of each printed part


def _box(cells: list[Cell]) -> tuple[float, float, float, float]:
    words = [w for c in cells for w in c.words]
    return (
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.right for w in words),
        max(w.bottom for w in words),
    )


def _hexish(text: str) -> bool:
    """A line that is mostly (OCR'd) hex digits: the continuation of a wrapped IRN."""
    chars = re.sub(r"\s", "", text)
    return len(hex_chars(chars)) >= 16 and len(hex_chars(chars)) >= 0.7 * len(chars)


def _irn_text(doc: _Doc) -> _PrintedIrn | None:
    """The printed IRN's hex digits (possibly wrapped over lines), with its snippet, confidence and where it
    is printed."""
    for i, line in enumerate(doc.lines):
        for ci, cell in enumerate(line.cells):
            m = _COMPILED["irn"][0][0].search(_label_text(cell.text))
            if m is None:
                continue
            value_cells = line.cells[ci:]
            parts = [cell.text[m.end() :]] + [c.text for c in line.cells[ci + 1 :]]
            confs = [c.conf for c in value_cells]
            regions = [(line.page, _box(value_cells))]
            digits = hex_chars(" ".join(parts))
            j = i + 1
            while len(digits) < 64 and j < len(doc.lines) and j <= i + 3 and _hexish(doc.lines[j].text):
                nxt = doc.lines[j]
                parts.append(nxt.text.strip())
                confs.append(sum(c.conf for c in nxt.cells) / len(nxt.cells))
                regions.append((nxt.page, _box(nxt.cells)))
                digits += hex_chars(nxt.text)
                j += 1
            if len(digits) >= 40:
                snippet = " ".join(p.strip() for p in parts).lstrip(":.- ")
                return _PrintedIrn(digits, snippet, min(confs), regions)
    return None


def _reread_irn(doc: _Doc, printed: _PrintedIrn) -> str | None:
    """The IRN's hex digits read again, Tesseract restricted to hex (first variant of each part)."""
    if doc.reread is None:
        return None
    digits = ""
    for page, box in printed.regions:
        read = next(doc.reread(page, box, "0123456789abcdef"), None)
        if read is None:
            return None
        digits += hex_chars(read[0])
    return digits


def _number_variants(number: str) -> Iterator[str]:
    """The number itself, then variants with common OCR confusions undone (at most two substitutions, or one
    stray character dropped)."""
    swaps = {
        "0": "OD",
        "O": "0D",
        "Q": "0O",
        "D": "0O",
        "1": "IL7",
        "I": "1L",
        "L": "I1",
        "5": "S",
        "S": "5",
        "8": "B",
        "B": "8",
        "2": "Z",
        "Z": "2",
        "6": "G",
        "G": "6",
        "l": "1I",
        "o": "0",
        "/": "1",
        "7": "/1",
    }
    yield number
    yield number.upper()
    for i in range(len(number)):
        yield number[:i] + number[i + 1 :]
    spots = [i for i, ch in enumerate(number) if ch in swaps]
    for k in (1, 2):
        for combo in itertools.combinations(spots, k):
            for replacement in itertools.product(*(swaps[number[i]] for i in combo)):
                chars = list(number)
                for i, ch in zip(combo, replacement, strict=True):
                    chars[i] = ch
                yield "".join(chars)


def _number_rereads(doc: _Doc, number: Candidate[str]) -> list[str]:
    """Second reads of the invoice number, restricted to the characters an e-invoice number may hold."""
    if doc.reread is None or number.cell is None:
        return []
    words = _value_words(number.cell, number.snippet or number.value)
    box = (
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.right for w in words),
        max(w.bottom for w in words),
    )
    page = doc.lines[number.line].page
    reads = []
    for text, _ in doc.reread(page, box, NUMBER_CHARSET):
        parsed = _parse_number(text)
        if parsed is not None:
            reads.append(parsed[0])
    return reads


def _settle_number(doc: _Doc, number: Candidate[str]) -> list[str]:
    """Read a doubtful invoice number again (OCR only); adopt the reading most reads agree on.

    Doubtful means a low OCR confidence or a number the IRP would refuse (lower case, a leading 0, a stray
    character): e-invoice numbers are upper case letters, digits, '/' and '-'. Returns the second reads, for
    the IRN check to try as well.
    """
    if not doc.ocr or (number.conf >= 0.8 and not document_number_problems(number.value)):
        return []
    reads = _number_rereads(doc, number)
    if not reads:
        return []
    counts = Counter(r for r in reads if not document_number_problems(r))
    if not counts:
        return reads
    # Most votes first; among equals, the reading closest to the first one (fewest characters changed).
    original = number.value.upper()
    best, n = min(counts.items(), key=lambda kv: (-kv[1], edit_distance(kv[0], original, 16)))
    # A cropped second read tends to lose a faint separator; OCR confusions swap letters and digits. So an
    # acceptable first read is only overruled by agreeing reads with the same separators.
    same_shape = re.sub(r"[^/\-]", "", best) == re.sub(r"[^/\-]", "", number.value)
    if best != number.value and ((n >= 2 and same_shape) or document_number_problems(number.value)):
        doc.warnings.append(f"invoice number read as {number.value!r}; a second read gives {best!r}")
        number.value = best
        number.conf = min(0.9, max(number.conf, 0.6 + 0.1 * n))
    return reads


# ---------------------------------------------------------------------------------------------------------


def _field(c: Candidate[V] | None, value: Callable[[V], object] | None = None) -> dict[str, object] | None:
    if c is None:
        return None
    return {"value": value(c.value) if value else c.value, "confidence": _round(c.conf), "source": c.source}


def extract_fields(lines: list[Line], reread: Rereader | None = None) -> tuple[InvoiceFields, list[str]]:
    """Extract the invoice fields from the lines of all pages, with confidences and warnings.

    ``reread`` (OCR pages only) lets validation failures be read again from the image.
    """
    doc = _Doc(lines, reread)

    number = _best(_labelled(doc, "invoice_number", lambda t: _parse_number(t, doc.ocr))) or _reread_labelled(
        doc, "invoice_number", _parse_number, NUMBER_CHARSET
    )
    issue = _best(_labelled(doc, "issue_date", lambda t: _parse_date(t, doc.ocr))) or _reread_labelled(
        doc, "issue_date", _parse_date, DATE_CHARSET
    )
    due = _best(_labelled(doc, "due_date", lambda t: _parse_date(t, doc.ocr))) or _reread_labelled(
        doc, "due_date", _parse_date, DATE_CHARSET
    )
    if issue is None or due is None:
        # A date without a (readable) label: fall back to the dates in reading order, skipping the one the
        # other label claimed; the issue date is the earliest, the due date a later one. Low confidence.
        loose = [(d, i) for i, line in enumerate(lines) for d in find_dates(line.text, doc.ocr)]
        if issue is None:
            earlier = [(d, i) for d, i in loose if due is None or d.value < due.value]
            if earlier:
                d, i = earlier[0]
                issue = Candidate(
                    d.value,
                    0.5 * sum(c.conf for c in lines[i].cells) / len(lines[i].cells),
                    lines[i].text.strip(),
                    0,
                    i,
                )
        if due is None:
            later = [(d, i) for d, i in loose if issue is not None and d.value > issue.value]
            if later:
                d, i = later[0]
                due = Candidate(
                    d.value,
                    0.5 * sum(c.conf for c in lines[i].cells) / len(lines[i].cells),
                    lines[i].text.strip(),
                    0,
                    i,
                )
    if issue and due and due.value < issue.value:
        doc.warnings.append(f"due date {due.value} is before issue date {issue.value}")
        issue.conf *= 0.6
        due.conf *= 0.6

    roles = _assign_gstins(doc, _gstins(doc))
    seller_hit, buyer_hit = roles.get("seller"), roles.get("buyer")
    for role, hit in (("seller", seller_hit), ("buyer", buyer_hit)):
        if hit is None:
            doc.warnings.append(f"no {role} GSTIN found")
        elif not hit.read.valid:
            doc.warnings.append(f"{role} GSTIN {hit.read.value} fails its check character")
    seller = Candidate(seller_hit.read.value, _gstin_conf(seller_hit), seller_hit.source, 0) if seller_hit else None
    buyer = Candidate(buyer_hit.read.value, _gstin_conf(buyer_hit), buyer_hit.source, 0) if buyer_hit else None

    taxable, tax, total = _amount_fields(doc)
    rereads = _settle_number(doc, number) if number is not None else []
    irn_field = _check_irn(doc, seller, number, issue, rereads)
    currency = _currency(doc, bool(seller or buyer))

    fields = InvoiceFields.model_validate(
        {
            "invoice_number": _field(number),
            "issue_date": _field(issue),
            "due_date": _field(due),
            "seller_gstin": _field(seller),
            "buyer_gstin": _field(buyer),
            "taxable_value": _field(taxable),
            "tax": _field(tax),
            "total": _field(total),
            "currency": _field(currency),
            "irn": _field(irn_field),
        }
    )
    for name in ("invoice_number", "issue_date", "due_date", "total"):
        if getattr(fields, name) is None:
            doc.warnings.append(f"{name.replace('_', ' ')} not found")
    return fields, doc.warnings


def _check_irn(
    doc: _Doc,
    seller: Candidate[str] | None,
    number: Candidate[str] | None,
    issue: Candidate[date] | None,
    rereads: list[str],
) -> Candidate[str] | None:
    """Read the printed IRN and check it against the IRN recomputed from seller GSTIN, year and number.

    A match confirms those three fields. A near match (a few misread hex digits) is snapped to the recomputed
    value, since a random 64-digit string lands within 10 digits of a SHA-256 output with negligible
    probability. When the number does not match as read, OCR-confusion variants of it are tried.
    """
    printed = _irn_text(doc)
    if printed is None:
        return None
    digits, snippet, conf = printed.digits, printed.snippet, printed.conf
    if seller is None or number is None or issue is None or not is_valid_gstin(seller.value):
        if len(digits) == 64:
            return Candidate(digits, 0.5 * conf, snippet, 0)
        return None
    fy = financial_year_of(issue.value)

    reads_cache: list[list[str]] = []

    def candidates() -> Iterator[str]:
        # A text layer is exact: only OCR reads get near matches, number variants and second reads.
        yield number.value
        if not doc.ocr:
            return
        seen = {number.value}
        if not reads_cache:
            reads_cache.append(rereads or _number_rereads(doc, number))
        reads = reads_cache[0]
        for base in [number.value, *reads]:
            for variant in itertools.islice(_number_variants(base), 400):
                if variant not in seen:
                    seen.add(variant)
                    yield variant

    def match(read: str) -> tuple[str, str, int] | None:
        for n, variant in enumerate(candidates()):
            try:
                expected = irn(seller.value, fy, "INV", variant)
            except GstError:  # not a number the IRP would accept, so it cannot be the one hashed
                continue
            if not doc.ocr:
                distance = 0 if read == expected else 99
            else:
                # OCR drops and splits hex digits as well as misreading them: the number as read is compared
                # by edit distance, its many variants by the cheaper Hamming distance.
                distance = edit_distance(read, expected, 12) if n == 0 else hamming(read[:64], expected)
            if distance <= (12 if n == 0 else 8):
                return variant, expected, distance
        return None

    found = match(digits)
    if found is None and doc.ocr:
        second = _reread_irn(doc, printed)
        found = match(second) if second else None
    if found is None:
        doc.warnings.append("printed IRN does not match seller GSTIN, financial year and invoice number")
        return Candidate(digits, 0.5 * conf, snippet, 0) if len(digits) == 64 else None
    variant, expected, distance = found
    if variant != number.value:
        doc.warnings.append(f"invoice number read as {number.value!r}; the printed IRN confirms {variant!r}")
        number.value = variant
    for c in (seller, number):
        c.conf = max(c.conf, 0.99)
    issue.conf = max(issue.conf, min(0.99, issue.conf + 0.1))
    return Candidate(expected, 1.0 if distance == 0 else 0.97, snippet, 0)


def _currency(doc: _Doc, gst_invoice: bool) -> Candidate[str] | None:
    for i, line in enumerate(doc.lines):
        text = line.text
        conf = sum(c.conf for c in line.cells) / len(line.cells)
        m = re.search(r"₹|\bINR\b|\bRs\b\.?|\bRupees\b", text, re.IGNORECASE)
        if m:
            return Candidate("INR", conf, text.strip(), 0, i)
        m = re.search(r"\bUSD\b|US\$", text)
        if m:
            return Candidate("USD", conf, text.strip(), 0, i)
    if gst_invoice:
        # A GST tax invoice is issued in rupees (CGST Rules, rule 46) even when no currency mark is printed.
        return Candidate("INR", 0.6, "GST invoice without a currency mark", 0)
    return None


def lines_text(lines: list[Line]) -> str:
    """Plain text of the lines, one per row (for debugging and the CLI's --text option)."""
    return "\n".join(line.text for line in lines)
