"""The roster: every row of a CSV/XLSX file checked, a malformed file refused whole with row
numbers; `studentvoice session|roster|report` from the command line."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.cli import main
from bot.core.config import DEFAULT_ORG_FILE, load_organisation
from bot.proposals.roster import check, read_table
from tests.support.proposal_helpers import SESSION_NAME
from tests.support.roster_helpers import HEADER, roster_size, session_created_by_cli, write_csv

GOOD = [
    ["陈晓", "2023010101", "临床医学院", "临床2023级1班", "13800000001"],
    ["刘洋", "2023020202", "nursing", "护理2023级", ""],
    ["Wang Fang", "2023030303", "School of Pharmacy", "", "+86 138-0000-0003"],
]


def test_every_bad_row_is_reported_with_its_number(tmp_path: Path) -> None:
    org = load_organisation(DEFAULT_ORG_FILE)
    table = read_table(
        write_csv(
            tmp_path / "roster.csv",
            [
                HEADER,
                GOOD[0],
                ["", "2023040404", "临床医学院", "", ""],  # row 3: no name
                ["赵磊", "2023050505", "牙医学院", "", ""],  # row 4: unknown college
                [],  # an empty line is skipped, not an error
                ["周敏", "2023010101", "临床医学院", "", ""],  # row 6: same number as row 2
                ["吴昊", "20@3", "临床医学院", "", "call me"],  # row 7: number and phone
                ["孙悦", "2023090909", "临床医学院", "", ""],  # row 8: already on the roster
            ],
        )
    )
    result = check(table, org, existing={"2023090909"})
    assert not result.ok
    assert [line for line, _ in result.problems] == [3, 4, 6, 7, 7, 8]
    messages = dict(result.problems)
    assert "姓名" in messages[3] and "牙医学院" in messages[4]
    assert "row 2" in messages[6] and "already on this session's roster" in messages[8]
    assert [row.name for row in result.rows] == ["陈晓"]


def test_a_missing_column_is_reported_on_the_header_row(tmp_path: Path) -> None:
    org = load_organisation(DEFAULT_ORG_FILE)
    table = read_table(write_csv(tmp_path / "r.csv", [["姓名", "院系"], ["陈晓", "临床医学院"]]))
    assert check(table, org, set()).problems == [(1, "missing column 学号 (student_no)")]


def test_xlsx_and_gb18030_rosters_are_read(tmp_path: Path) -> None:
    org = load_organisation(DEFAULT_ORG_FILE)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(["陈晓", 2023010101, "临床医学院", "临床2023级1班", None])  # a number cell
    book.save(tmp_path / "roster.xlsx")
    rows = check(read_table(tmp_path / "roster.xlsx"), org, set()).rows
    assert [(r.name, r.student_no, r.college_code) for r in rows] == [
        ("陈晓", "2023010101", "clinical")
    ]
    gbk = write_csv(tmp_path / "gbk.csv", [HEADER, GOOD[1]], encoding="gb18030")
    assert check(read_table(gbk), org, set()).rows[0].college_code == "nursing"


def test_the_command_line_imports_all_or_nothing(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    session_created_by_cli(database_url, monkeypatch, BOT_USERNAME="StudentVoiceBot")
    assert main(["session", "list"]) == 0
    listed = capsys.readouterr().out
    assert SESSION_NAME in listed and "2026-11-01 – 2026-11-30" in listed

    bad = write_csv(tmp_path / "bad.csv", [HEADER, GOOD[0], ["赵磊", "2023050505", "牙医学院"]])
    assert main(["roster", "import", str(bad), "--session", "1"]) == 1
    err = capsys.readouterr().err
    assert "row 3: unknown college '牙医学院'" in err and "nothing imported" in err
    assert roster_size(database_url) == 0

    good = write_csv(tmp_path / "good.csv", [HEADER, *GOOD])
    assert main(["roster", "import", str(good), "--session", "1", "--dry-run"]) == 0
    assert "3 representatives OK" in capsys.readouterr().out and roster_size(database_url) == 0

    links = tmp_path / "links.csv"
    imported = ["roster", "import", str(good), "--session", "1", "--links", str(links)]
    assert main(imported) == 0
    out = capsys.readouterr().out
    assert out.count("https://t.me/StudentVoiceBot?start=r") == 3 and roster_size(database_url) == 3
    with links.open(encoding="utf-8-sig") as f:
        written = list(csv.reader(f))
    assert written[0][0] == "姓名" and len({row[-1] for row in written[1:]}) == 3

    assert main(imported) == 1  # the same people again: refused, nothing doubled
    assert "already on this session's roster" in capsys.readouterr().err
    assert roster_size(database_url) == 3
    assert main(["roster", "import", str(good), "--session", "9"]) == 2

    assert main(["report", "session", "1", "--out", str(tmp_path / "report.html")]) == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert SESSION_NAME in html and (tmp_path / "report.xlsx").stat().st_size > 0
