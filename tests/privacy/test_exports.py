"""Exported files are inert: a roster name that looks like a formula, imported and then written
to the invite links CSV and the session report's .xlsx, opens as the text it is; a control
character in a title does not break the workbook; an over-long roster cell is refused."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bot.cli import main
from bot.core import exports
from bot.core.config import DEFAULT_ORG_FILE, load_organisation
from bot.proposals.roster import check
from tests.support.officer_helpers import OfficerHarness
from tests.support.proposal_helpers import (
    SESSION_NAME,
    seed_congress,
    seed_proposal,
)
from tests.support.roster_helpers import HEADER, roster_size, session_created_by_cli, write_csv
from tests.support.student_helpers import Talk

FORMULA_NAME = '=HYPERLINK("http://x","y")'
DELEGATION = "@临床2023级1班"
TITLE_TYPED = "+图书馆考试周\x07延长开放\x1b时间的提案"
TITLE_SHOWN = "+图书馆考试周延长开放时间的提案"
LINK = re.compile(r"https://t\.me/StudentVoiceBot\?start=(r[\w-]+)")


async def cli(*args: str) -> int:
    """`studentvoice …` beside the running bot, as an operator would run it."""
    return await asyncio.to_thread(main, list(args))


async def test_formula_names_and_control_characters_are_exported_as_text(
    harness: OfficerHarness, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    session_id = await seed_congress(h, cosigners=0)
    monkeypatch.setenv("DATABASE_URL", database_url)
    roster = write_csv(
        tmp_path / "roster.csv",
        [HEADER, [FORMULA_NAME, "2023777001", "临床医学院", DELEGATION, "+86 138-0000-0009"]],
    )
    links = tmp_path / "links.csv"
    imported = ["roster", "import", str(roster), "--session", str(session_id)]
    assert await cli(*imported, "--links", str(links), "--bot", "StudentVoiceBot") == 0

    with links.open(encoding="utf-8-sig", newline="") as f:
        header, row = list(csv.reader(f))
    assert header[0] == "姓名"
    # The leading ' keeps a spreadsheet program from running the cell; the rest is as typed.
    assert row[:4] == ["'" + FORMULA_NAME, "2023777001", "临床医学院", "'" + DELEGATION]
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in links.read_text(encoding="utf-8-sig")

    # The representative opens their invite: the name is shown as typed, not as markup.
    match = LINK.search(row[4])
    assert match is not None
    representative = Talk(h, h.emu.add_user(7001, "Rep", language_code="zh-hans"))
    welcome = await representative.send(f"/start {match.group(1)}")
    assert f"欢迎，{FORMULA_NAME} 代表！" in welcome.texts[0]
    assert f"代表团/班级: {DELEGATION}" in welcome.texts[0]

    number = await seed_proposal(h, representative.user, title=TITLE_TYPED)
    out = tmp_path / "report"
    assert await cli("report", "session", str(session_id), "--out", str(out)) == 0
    sheet = load_workbook(out.with_suffix(".xlsx")).active
    assert sheet is not None
    assert sheet["A1"].value == SESSION_NAME
    cells = {cell.column_letter: cell for cell in sheet[3]}
    assert cells["A"].value == number
    for column, shown in (("B", TITLE_SHOWN), ("C", FORMULA_NAME)):
        cell = cells[column]
        assert (cell.value, cell.data_type, cell.quotePrefix) == (shown, "s", True)
    assert not any(c.data_type == "f" for cells_of in sheet.iter_rows() for c in cells_of)


def test_an_over_long_cell_is_refused_with_its_row_and_nothing_is_stored(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    session_created_by_cli(database_url, monkeypatch)
    roster = write_csv(
        tmp_path / "long.csv",
        [
            HEADER,
            ["陈晓", "2023010101", "临床医学院", "", ""],
            ["刘" * 41, "2023020202", "nursing", "", ""],
            ["王芳", "2023030303", "临床医学院", "班" * 61, ""],
        ],
    )
    links = tmp_path / "links.csv"
    assert main(["roster", "import", str(roster), "--session", "1", "--links", str(links)]) == 1
    err = capsys.readouterr().err
    assert "row 3: 姓名 (name) is longer than 40 characters" in err
    assert "row 4: 代表团/班级 (delegation) is longer than 60 characters" in err
    assert "刘" * 41 not in err  # an over-long cell is not quoted back
    assert "nothing imported" in err and roster_size(database_url) == 0
    assert not links.exists()


def test_imported_cells_are_one_line_without_control_characters() -> None:
    org = load_organisation(DEFAULT_ORG_FILE)
    table = [
        HEADER,
        ["陈\x00晓\u202e", " 2023010101\t", "临床医学院", "临床2023级\r\n1班", "138\x0b0000 0001"],
        ["\x07\x1b", "2023020202", "nursing", "", ""],
    ]
    result = check(table, org, set())
    assert result.problems == [(3, "姓名 (name) is empty")]
    (row,) = check(table[:2], org, set()).rows
    assert (row.name, row.student_no, row.delegation, row.phone) == (
        "陈晓",
        "2023010101",
        "临床2023级 1班",
        "1380000 0001",
    )


def test_every_formula_start_is_neutralised_and_plain_text_is_left_alone() -> None:
    for start in ("=", "+", "-", "@", "\t"):
        assert exports.csv_cell(f"{start}1+1") == f"'{start}1+1"
    assert exports.csv_cell("\r=1+1") == "'\n=1+1"  # a CR is kept as a newline
    assert exports.csv_cell("  @SUM(A1)") == "'  @SUM(A1)"
    assert exports.csv_cell("陈晓 = 1") == "陈晓 = 1"
    assert exports.clean("a\x00b\x7fc\u2066d\r\ne") == "abcd\ne"

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    exports.append_row(sheet, ["-5", 7, "x" * (exports.XLSX_CELL_MAX + 10), None, "=A1"])
    buffer = io.BytesIO()
    book.save(buffer)
    loaded = load_workbook(buffer).active
    assert loaded is not None
    cells = loaded[1]
    assert [(c.value, c.data_type) for c in cells][:2] == [("-5", "s"), (7, "n")]
    assert len(cells[2].value) == exports.XLSX_CELL_MAX and cells[2].value.endswith("…")
    assert cells[4].value == "=A1" and cells[4].data_type == "s" and cells[4].quotePrefix
