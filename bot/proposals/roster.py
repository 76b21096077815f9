"""The representatives' roster of a congress session.

Imported from CSV or XLSX: every row is checked first and nothing is stored unless all are
good, so a file is either imported whole or not at all. Each entry gets a one-time invite code;
the representative opens t.me/<bot>?start=<code> and their Telegram account is linked to it.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import exports
from bot.core.config import College, Organisation
from storage.crud import proposals as crud
from storage.models import CongressSession, Representative, User

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "student_no": ("学号", "student_no", "student number", "student id"),
    "college": ("院系", "学院", "college"),
    "delegation": ("代表团/班级", "代表团", "班级", "delegation", "class"),
    "phone": ("联系电话", "电话", "手机", "phone"),
}
REQUIRED = ("name", "student_no", "college")
STUDENT_NO = re.compile(r"^[A-Za-z0-9-]{4,20}$")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")
# Characters per cell. A name and a delegation go into invites, cards and co-signing requests,
# where a long one would crowd out the rest; the others have their own formats anyway, but a
# long cell is refused before its text is quoted back in an error.
MAX_LENGTH = {"name": 40, "student_no": 20, "college": 60, "delegation": 60, "phone": 20}


class RosterFileError(Exception):
    """The file cannot be read as a table at all."""


@dataclass
class RosterRow:
    line: int
    name: str
    student_no: str
    college_code: str
    delegation: str = ""
    phone: str | None = None


@dataclass
class RosterCheck:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def read_table(path: Path) -> list[list[str]]:
    """The file's rows as text cells: the first sheet of an .xlsx, else CSV (UTF-8 or GB18030,
    as Chinese spreadsheet programs write it)."""
    if not path.is_file():
        raise RosterFileError(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFileError(f"{path}: not UTF-8 or GB18030 text")
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RosterFileError(f"{path}: not a readable .xlsx file ({exc})") from exc
    try:
        sheet = book.worksheets[0]
        return [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a student number typed as a number
    return str(value).strip()


def _column(key: str) -> str:
    return f"{COLUMNS[key][0]} ({key})"


def _college(org: Organisation, text: str) -> College | None:
    wanted = text.strip().lower()
    return next(
        (
            c
            for c in org.colleges
            if wanted in (c.code.lower(), c.name_zh.lower(), c.name_en.lower())
        ),
        None,
    )


def check(table: list[list[str]], org: Organisation, existing: set[str]) -> RosterCheck:
    """Every row checked; problems as (row number as the spreadsheet shows it, what is wrong)."""
    result = RosterCheck()
    # Names end up in invites and chat messages, every cell in an error line: one line each.
    table = [[exports.single_line(cell) for cell in row] for row in table]
    rows = [(number, row) for number, row in enumerate(table, start=1) if any(row)]
    if not rows:
        result.problems.append((1, "the file is empty"))
        return result
    header_line, header = rows[0]
    names = [cell.lower() for cell in header]
    index: dict[str, int] = {}
    for key, aliases in COLUMNS.items():
        found = next((i for i, name in enumerate(names) if name in aliases), None)
        if found is not None:
            index[key] = found
        elif key in REQUIRED:
            result.problems.append((header_line, f"missing column {aliases[0]} ({aliases[1]})"))
    if result.problems:
        return result
    first_seen: dict[str, int] = {}
    for number, row in rows[1:]:
        cells = {key: row[i] if i < len(row) else "" for key, i in index.items()}
        problems = [
            f"{_column(key)} is longer than {limit} characters"
            for key, limit in MAX_LENGTH.items()
            if len(cells.get(key, "")) > limit
        ]
        if problems:
            # Not checked further: its text is not quoted back in another error.
            result.problems += [(number, problem) for problem in problems]
            continue
        name, student_no, college_text = cells["name"], cells["student_no"], cells["college"]
        phone = cells.get("phone") or None
        for key in REQUIRED:
            if not cells[key]:
                problems.append(f"{_column(key)} is empty")
        if student_no and not STUDENT_NO.match(student_no):
            problems.append(f"student number {student_no!r} is not 4–20 letters or digits")
        college = _college(org, college_text) if college_text else None
        if college_text and college is None:
            problems.append(f"unknown college {college_text!r}")
        if phone is not None and not PHONE.match(phone):
            problems.append(f"phone {phone!r} is not a phone number")
        if student_no in first_seen:
            problems.append(f"student number {student_no} already in row {first_seen[student_no]}")
        elif student_no in existing:
            problems.append(f"student number {student_no} is already on this session's roster")
        if student_no:
            first_seen.setdefault(student_no, number)
        if problems:
            result.problems += [(number, problem) for problem in problems]
            continue
        assert college is not None
        result.rows.append(
            RosterRow(number, name, student_no, college.code, cells.get("delegation", ""), phone)
        )
    if not result.rows and not result.problems:
        result.problems.append((header_line, "no representatives below the header"))
    return result


def new_code() -> str:
    # "r" first: never mistaken for another deep link's payload (cosign_…).
    return "r" + secrets.token_urlsafe(12)


async def store(
    *, session: AsyncSession, session_id: int, rows: list[RosterRow]
) -> list[Representative]:
    return await crud.add_representatives(
        session=session,
        rows=[
            Representative(
                session_id=session_id,
                name=row.name,
                student_no=row.student_no,
                college_code=row.college_code,
                delegation=row.delegation,
                phone=row.phone,
                invite_code=new_code(),
            )
            for row in rows
        ],
    )


@dataclass
class Linking:
    outcome: str  # linked | already | taken | other_entry | invalid
    representative: Representative | None = None
    congress: CongressSession | None = None


async def link_invite(*, session: AsyncSession, user: User, code: str, now: datetime) -> Linking:
    """The one-time invite: the first account to open it becomes that representative."""
    representative = await crud.by_invite_code(session=session, code=code, for_update=True)
    if representative is None:
        return Linking("invalid")
    congress = await crud.get_session(session=session, session_id=representative.session_id)
    if representative.user_id == user.id:
        return Linking("already", representative, congress)
    if representative.user_id is not None:
        return Linking("taken", representative, congress)
    if await crud.representative_of(
        session=session, user_id=user.id, session_id=representative.session_id
    ):
        return Linking("other_entry", representative, congress)
    await crud.link(session=session, representative=representative, user_id=user.id, now=now)
    if user.college_code is None:
        # The roster knows the college; onboarding need not ask for it again.
        user.college_code = representative.college_code
        session.add(user)
    return Linking("linked", representative, congress)
