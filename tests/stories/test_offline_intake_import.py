"""`studentvoice intake import|template`: a paper collection from a spreadsheet, checked row by
row; a file with any bad row registers nothing."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from bot.cli import main
from storage.db import create_engine
from storage.models import Case, IntakeInvite, OutboxMessage
from tests.support.harness import reset_database

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()
HEADER = ["来源", "收到日期", "类型", "类别", "院系", "内容", "实名", "邀请链接"]
GOOD = [
    [
        "paper",
        YESTERDAY,
        "权益诉求",
        "后勤餐饮",
        "临床医学院",
        "食堂二楼的饭菜连续一周偏咸，希望改进。",
        "",
        "是",
    ],
    [
        "意见箱",
        YESTERDAY,
        "suggestion",
        "logistics",
        "nursing",
        "建议图书馆延长周末开放时间到晚上十点。",
        "否",
        "",
    ],
    [
        "面对面座谈",
        YESTERDAY,
        "意见建议",
        "后勤餐饮",
        "临床医学院",
        "希望宿舍区增设自行车停放棚，雨天方便。",
        "是",
        "否",
    ],
]


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def rows_of(url: str, model: Any) -> list[Any]:
    async def run() -> list[Any]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(select(model))).all())
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.fixture
def db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    async def fresh() -> None:
        await (await reset_database(database_url)).dispose()

    asyncio.run(fresh())
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BOT_USERNAME", "StudentVoiceBot")
    return database_url


def test_the_template_documents_the_codes(tmp_path: Path, db: str) -> None:
    path = tmp_path / "template.xlsx"
    assert main(["intake", "template", str(path)]) == 0
    book = load_workbook(path)
    header = [cell.value for cell in book.worksheets[0][1]]
    assert header[:6] == [
        "来源 (source)",
        "收到日期 (received_on)",
        "类型 (kind)",
        "类别 (category)",
        "院系 (college)",
        "内容 (text)",
    ]
    codes = [[cell.value for cell in row] for row in book.worksheets[1].iter_rows()]
    assert ["来源 (source)", "paper", "纸质意见表", "Paper form"] in codes
    assert any(row[:3] == ["类别 (category)", "logistics", "后勤餐饮"] for row in codes)
    # The template's own header is accepted by the import (nothing below it: refused).
    assert main(["intake", "import", str(path), "--dry-run"]) == 1


def test_a_dry_run_changes_nothing(
    tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_xlsx(tmp_path / "batch.xlsx", [HEADER, *GOOD])
    assert main(["intake", "import", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "3 cases OK; dry run, nothing registered" in out
    assert "row 2: paper" in out and "row 3: mailbox" in out and "row 4: session" in out
    assert rows_of(db, Case) == [] and rows_of(db, OutboxMessage) == []


def test_a_bad_row_is_named_and_nothing_is_registered(
    tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = [
        ["paper", "2026-13-40", "权益诉求", "后勤餐饮", "牙医学院", "太短", "", ""],
        [
            "传真",
            YESTERDAY,
            "权益诉求",
            "后勤餐饮",
            "临床医学院",
            "食堂二楼的饭菜连续一周偏咸。",
            "也许",
            "",
        ],
    ]
    path = write_xlsx(tmp_path / "batch.xlsx", [HEADER, GOOD[0], *bad, GOOD[1]])
    assert main(["intake", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "row 3, column 收到日期 (received_on): '2026-13-40' is not a date" in err
    assert "row 3, column 院系 (college): '牙医学院' is not a known code" in err
    assert "row 3, column 内容 (text): has 2 characters" in err
    assert "row 4, column 来源 (source): '传真' is not a known code" in err
    assert "row 4, column 实名 (named)" in err
    assert "row 2" not in err and "row 5" not in err
    assert "nothing registered" in err
    assert rows_of(db, Case) == [] and rows_of(db, IntakeInvite) == []

    missing = write_xlsx(tmp_path / "missing.xlsx", [HEADER[:5], GOOD[0][:5]])
    assert main(["intake", "import", str(missing)]) == 1
    assert "row 1, column 内容 (text): this column is missing" in capsys.readouterr().err


def test_a_good_file_registers_every_row(
    tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_xlsx(tmp_path / "batch.xlsx", [HEADER, *GOOD])
    out_path = tmp_path / "links.xlsx"
    assert main(["intake", "import", str(path), "--out", str(out_path)]) == 0
    out = capsys.readouterr().out
    assert "3 cases registered" in out
    cases = sorted(rows_of(db, Case), key=lambda c: c.id)
    assert [(c.source, c.kind, c.college_code, c.anonymous) for c in cases] == [
        ("paper", "grievance", "clinical", True),
        ("mailbox", "suggestion", "nursing", True),
        ("session", "suggestion", "clinical", False),
    ]
    assert all(c.received_on == date.fromisoformat(YESTERDAY) for c in cases)
    assert all(c.submitter_id is None and c.author_sealed is None for c in cases)
    # The cards wait in the outbox for the bot.
    cards = [row for row in rows_of(db, OutboxMessage) if row.kind == "card"]
    assert sorted(row.case_id for row in cards) == [c.id for c in cases]
    # One link, for the row that asked for it.
    assert len(rows_of(db, IntakeInvite)) == 1
    first = cases[0].number
    assert f"row 2: {first}\thttps://t.me/StudentVoiceBot?start=intake_" in out
    written = [[c.value for c in row] for row in load_workbook(out_path).worksheets[0].iter_rows()]
    assert len(written) == 4 and str(written[1][2]).startswith("https://t.me/StudentVoiceBot")
    assert written[2][2] in (None, "")
