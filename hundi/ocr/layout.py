"""Page geometry shared by the text-layer and OCR paths: words with boxes, grouped into lines and cells.

Both paths reduce a page to words with a box and a confidence, so one field parser serves both. A *line* is a
row of words at the same height across the whole page; a *cell* is a run of words in a line separated from
its neighbours by a wide gap (a table column, or the two halves of a two-column header).
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Word:
    """A word with its box (top-left origin, any unit) and a confidence in 0..1."""

    text: str
    left: float
    top: float
    right: float
    bottom: float
    conf: float = 1.0

    @property
    def height(self) -> float:
        """Box height."""
        return self.bottom - self.top

    @property
    def middle(self) -> float:
        """Vertical centre."""
        return (self.top + self.bottom) / 2


@dataclass(slots=True)
class Cell:
    """Adjacent words of one line."""

    words: list[Word]

    @property
    def text(self) -> str:
        """The words joined by single spaces."""
        return " ".join(w.text for w in self.words)

    @property
    def left(self) -> float:
        """Left edge."""
        return self.words[0].left

    @property
    def right(self) -> float:
        """Right edge."""
        return self.words[-1].right

    @property
    def conf(self) -> float:
        """Mean word confidence."""
        return sum(w.conf for w in self.words) / len(self.words)


@dataclass(slots=True)
class Line:
    """A row of cells, left to right, with its page number and vertical extent."""

    page: int
    top: float
    bottom: float
    cells: list[Cell] = field(default_factory=list)
    ocr: bool = False  # read by OCR (so values may carry OCR slips worth repairing)

    @property
    def text(self) -> str:
        """The cells joined by two spaces (so a snippet still shows the column break)."""
        return "  ".join(c.text for c in self.cells)

    @property
    def height(self) -> float:
        """Vertical extent."""
        return self.bottom - self.top


def build_lines(words: list[Word], page: int, *, ocr: bool = False, gap_factor: float = 1.6) -> list[Line]:
    """Group words into lines (by vertical overlap) and lines into cells (at gaps wider than ``gap_factor``
    times the typical word height), top to bottom.
    """
    words = [w for w in words if w.text.strip() and w.height > 0]
    if not words:
        return []
    typical = statistics.median(w.height for w in words)
    rows: list[list[Word]] = []
    row_mid = 0.0
    row_height = 0.0
    for w in sorted(words, key=lambda w: w.middle):
        # A word joins the current row when its centre is within half a word height of the row's centre;
        # rows are at least about 1.2 heights apart in print, so this never merges two printed lines.
        if rows and abs(w.middle - row_mid) <= 0.5 * max(min(row_height, w.height), 0.6 * typical):
            rows[-1].append(w)
            row_mid = statistics.median(x.middle for x in rows[-1])
            row_height = statistics.median(x.height for x in rows[-1])
        else:
            rows.append([w])
            row_mid, row_height = w.middle, w.height
    lines = []
    for row in rows:
        row.sort(key=lambda w: w.left)
        line = Line(page=page, top=min(w.top for w in row), bottom=max(w.bottom for w in row), ocr=ocr)
        cell = [row[0]]
        for prev, cur in itertools.pairwise(row):
            if cur.left - prev.right > gap_factor * max(typical, min(prev.height, cur.height)):
                line.cells.append(Cell(cell))
                cell = []
            cell.append(cur)
        line.cells.append(Cell(cell))
        lines.append(line)
    return lines
