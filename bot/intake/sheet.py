"""A batch of cases received offline, from a spreadsheet (`studentvoice intake import`).

Every row is checked first, each problem named by its row and column; a file with any problem
registers nothing. The template (`studentvoice intake template`) has the header row and, on a
second sheet, the codes each column accepts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.cases.actions import Draft, check_text
from bot.core import exports
from bot.core.config import Organisation
from bot.domain import labels
from bot.domain.intake import OFFLINE_SOURCES, SOURCE_LABEL, day_problem, parse_day
from bot.domain.workflow import STUDENT_KINDS, TEXT_MAX, TEXT_MIN

# Column key: the header as the template writes it, then what else is accepted.
COLUMNS: dict[str, tuple[str, ...]] = {
    "source": ("来源", "source"),
    "received_on": ("收到日期", "received_on", "received", "date"),
    "kind": ("类型", "kind", "type"),
    "category": ("类别", "category"),
    "college": ("院系", "学院", "college"),
    "text": ("内容", "text"),
    "named": ("实名", "named"),
    "invite": ("邀请链接", "invite"),
}
REQUIRED = ("source", "received_on", "kind", "category", "college", "text")
SOURCE_ZH = {"paper": "纸质意见表", "mailbox": "意见箱", "session": "面对面座谈", "phone": "电话"}
KIND_ZH = {"grievance": "权益诉求", "suggestion": "意见建议"}
YES = frozenset({"是", "y", "yes", "1", "true", "实名"})
NO = frozenset({"", "否", "n", "no", "0", "false", "匿名"})
# How much of a bad cell an error line quotes.
QUOTE_MAX = 40


@dataclass
class IntakeRow:
    line: int
    draft: Draft
    invite: bool


@dataclass
class SheetCheck:
    rows: list[IntakeRow] = field(default_factory=list)
    # (row number as the spreadsheet shows it, column header, what is wrong)
    problems: list[tuple[int, str, str]] = field(default_factory=list)


def header(key: str) -> str:
    return f"{COLUMNS[key][0]} ({key})"


def _quote(text: str) -> str:
    line = exports.single_line(text)
    return repr(line if len(line) <= QUOTE_MAX else line[:QUOTE_MAX] + "…")


def _lookup(text: str, codes: dict[str, tuple[str, ...]]) -> str | None:
    wanted = text.strip().lower()
    return next((code for code, names in codes.items() if wanted in names), None)


def _codes(org: Organisation) -> dict[str, dict[str, tuple[str, ...]]]:
    """Per column, each code with every spelling it is accepted in (lower case)."""

    def named(items: Any) -> dict[str, tuple[str, ...]]:
        return {i.code: (i.code.lower(), i.name_zh.lower(), i.name_en.lower()) for i in items}

    return {
        "source": {s: (s, SOURCE_ZH[s], SOURCE_LABEL[s].lower()) for s in OFFLINE_SOURCES},
        "kind": {k.value: (k.value, KIND_ZH[k], labels.KIND[k].lower()) for k in STUDENT_KINDS},
        "category": named(org.categories),
        "college": named(org.colleges),
    }


def _day(text: str) -> date | None:
    # A date cell comes as "2026-12-01 00:00:00".
    return parse_day(text.strip().removesuffix(" 00:00:00"))


def check(table: list[list[str]], org: Organisation, today: date) -> SheetCheck:
    result = SheetCheck()
    rows = [(n, row) for n, row in enumerate(table, start=1) if any(c.strip() for c in row)]
    if not rows:
        result.problems.append((1, "-", "the file is empty"))
        return result
    header_line, names = rows[0][0], [exports.single_line(c).lower() for c in rows[0][1]]
    index: dict[str, int] = {}
    for key, aliases in COLUMNS.items():
        found = next(
            (i for i, name in enumerate(names) if name in aliases or name == header(key).lower()),
            None,
        )
        if found is not None:
            index[key] = found
        elif key in REQUIRED:
            result.problems.append((header_line, header(key), "this column is missing"))
    if result.problems:
        return result
    codes = _codes(org)
    for number, row in rows[1:]:
        cells = {key: row[i].strip() if i < len(row) else "" for key, i in index.items()}
        problems = _row_problems(cells, codes, today)
        if problems:
            result.problems += [(number, column, what) for column, what in problems]
            continue
        result.rows.append(_row(number, cells, codes))
    if not result.rows and not result.problems:
        result.problems.append((header_line, "-", "no cases below the header row"))
    return result


def _row_problems(
    cells: dict[str, str], codes: dict[str, dict[str, tuple[str, ...]]], today: date
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for key in REQUIRED:
        if not cells[key]:
            problems.append((header(key), "is empty"))
    for key in ("source", "kind", "category", "college"):
        if cells[key] and _lookup(cells[key], codes[key]) is None:
            problems.append((header(key), f"{_quote(cells[key])} is not a known code"))
    if cells["received_on"]:
        day = _day(cells["received_on"])
        if day is None:
            what = f"{_quote(cells['received_on'])} is not a date (YYYY-MM-DD)"
            problems.append((header("received_on"), what))
        elif (reason := day_problem(day, today)) is not None:
            what = "is in the future" if reason == "in_future" else "is more than a year ago"
            problems.append((header("received_on"), f"{day.isoformat()} {what}"))
    if cells["text"] and check_text(cells["text"]) is not None:
        length = len(cells["text"].strip())
        what = f"has {length} characters; {TEXT_MIN}–{TEXT_MAX} are needed"
        problems.append((header("text"), what))
    for key in ("named", "invite"):
        value = cells.get(key, "").lower()
        if value not in YES and value not in NO:
            problems.append((header(key), f"{_quote(cells[key])} is neither 是 (yes) nor 否 (no)"))
    return problems


def _row(
    number: int, cells: dict[str, str], codes: dict[str, dict[str, tuple[str, ...]]]
) -> IntakeRow:
    def code(key: str) -> str:
        found = _lookup(cells[key], codes[key])
        assert found is not None
        return found

    return IntakeRow(
        line=number,
        draft=Draft(
            kind=code("kind"),
            category=code("category"),
            text=exports.clean(cells["text"]).strip(),
            anonymous=cells.get("named", "").lower() not in YES,
            source=code("source"),
            received_on=_day(cells["received_on"]),
            college=code("college"),
        ),
        invite=cells.get("invite", "").lower() in YES,
    )


def template(org: Organisation) -> bytes:
    """The import template: the header row, and the accepted codes on a second sheet."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "cases"
    exports.append_row(sheet, [header(key) for key in COLUMNS])
    codes = book.create_sheet("codes")
    exports.append_row(codes, ["column", "code", "中文", "English"])
    for source in OFFLINE_SOURCES:
        exports.append_row(
            codes, [header("source"), source, SOURCE_ZH[source], SOURCE_LABEL[source]]
        )
    for kind in STUDENT_KINDS:
        exports.append_row(codes, [header("kind"), kind.value, KIND_ZH[kind], labels.KIND[kind]])
    for category in org.categories:
        exports.append_row(
            codes, [header("category"), category.code, category.name_zh, category.name_en]
        )
    for college in org.colleges:
        exports.append_row(
            codes, [header("college"), college.code, college.name_zh, college.name_en]
        )
    notes = [
        (
            header("received_on"),
            "YYYY-MM-DD",
            "收到日期，不晚于今天、不早于一年前",
            "the day received",
        ),
        (header("text"), f"{TEXT_MIN}–{TEXT_MAX}", "原文内容", "the text as written"),
        (
            header("named"),
            "是 / 否",
            "是：实名；否或留空：匿名",
            "yes: named; no or empty: anonymous",
        ),
        (header("invite"), "是 / 否", "是：生成学生邀请链接", "yes: make an invite link"),
    ]
    for note in notes:
        exports.append_row(codes, list(note))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def links_sheet(rows: list[tuple[int, str, str]]) -> bytes:
    """The registered rows: (row of the import file, case number, invite link or "")."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    exports.append_row(sheet, ["行 (row)", "编号 (number)", "邀请链接 (invite)"])
    for row in rows:
        exports.append_row(sheet, list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
