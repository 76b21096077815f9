"""Text for files a person opens in a spreadsheet program, and text read from them.

A cell that begins like a formula (OWASP's CSV injection list: = + - @ tab CR) is run by the
spreadsheet program when the file is opened: a roster name `=HYPERLINK(...)` becomes a live
link. Every writer goes through here, so such text stays text: an explicit string cell (with
Excel's quote prefix, so editing it keeps it text) in .xlsx, a leading ' in CSV. Control
characters are removed: .xlsx cannot hold most of them at all (openpyxl refuses the file) and
the rest (bidirectional overrides) make a cell read differently from what it holds.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel's limit; a longer cell makes it "repair" the workbook by emptying the cell.
XLSX_CELL_MAX = 32767
# C0 controls but tab and newline, DEL, C1 controls, bidirectional embeddings, overrides and
# isolates, lone surrogates, and the two non-characters XML refuses.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
_SPACES = re.compile(r"\s+")


def clean(value: object) -> str:
    """The text of a cell: newlines as \\n, tabs kept, no other control characters."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def single_line(value: object) -> str:
    """For a one-line field (a name, a number): any run of whitespace, tabs and newlines
    included, becomes one space."""
    return _SPACES.sub(" ", clean(value)).strip()


def looks_like_formula(text: str) -> bool:
    # Some programs skip leading spaces and newlines before they look for a formula.
    return text.startswith(FORMULA_START) or text.lstrip().startswith(FORMULA_START)


def csv_cell(value: object) -> str:
    text = clean(value)
    return "'" + text if looks_like_formula(text) else text


def write_csv(stream: IO[str], rows: Iterable[Iterable[object]]) -> None:
    """Every cell quoted, so a separator of another locale (;) inside a cell stays in it."""
    writer = csv.writer(stream, quoting=csv.QUOTE_ALL)
    writer.writerows([csv_cell(value) for value in row] for row in rows)


def append_row(sheet: Worksheet, values: Iterable[object]) -> None:
    """Numbers stay numbers; everything else is a string cell showing exactly its text."""
    row = [
        value
        if isinstance(value, int | float) and not isinstance(value, bool)
        else _xlsx_text(value)
        for value in values
    ]
    sheet.append(row)
    for cell, value in zip(sheet[sheet.max_row], row, strict=False):
        if isinstance(value, str):
            cell.data_type = "s"
            if looks_like_formula(value):
                cell.quotePrefix = True


def _xlsx_text(value: object) -> str:
    text = clean(value)
    return text if len(text) <= XLSX_CELL_MAX else text[: XLSX_CELL_MAX - 1] + "…"
