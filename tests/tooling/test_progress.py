"""Progress bars are for a person at a terminal: shown on a terminal's stderr, and nothing that
looks like one anywhere else (a pipe, a log file, cron's mail, this test run)."""

from __future__ import annotations

import asyncio
import io
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.progress import progress
from bot.devkit.bench.history import seed
from storage.db import create_engine
from tests.support.roster_helpers import HEADER, session_created_by_cli, write_csv

ROWS = [
    HEADER,
    ["张伟", "2023010101", "临床医学院", "临床2023级1班", ""],
    ["李娜", "2023020202", "护理学院", "护理2023级2班", ""],
]
# What a bar leaves in its stream: carriage returns redrawing it, its gauge, its rate.
BAR_MARKS = ("\r", "%|", "it/s")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_is_drawn_on_a_terminal_only() -> None:
    piped, terminal = io.StringIO(), Terminal()
    for stream in (piped, terminal):
        with progress("seeding", 2, stream=stream) as advance:
            advance(1)
            advance(1)
    assert piped.getvalue() == ""
    # Drawn at most ten times a second: its total, not necessarily its end.
    assert "seeding:" in terminal.getvalue() and "/2 [" in terminal.getvalue()


def roster_and_report(tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", ROWS)
    assert main(["roster", "import", str(good), "--session", "1", "--bot", "SVBot"]) == 0
    assert main(["report", "session", "1", "--out", str(tmp_path / "report.html")]) == 0


@pytest.fixture
def congress(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    session_created_by_cli(database_url, monkeypatch)


@pytest.mark.usefixtures("congress")
def test_the_import_and_the_report_draw_nothing_without_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    roster_and_report(tmp_path)
    err = capsys.readouterr().err
    assert not [mark for mark in BAR_MARKS if mark in err], err


@pytest.mark.usefixtures("congress")
def test_the_import_and_the_report_show_progress_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    roster_and_report(tmp_path)
    shown = terminal.getvalue()
    assert "reading the roster" in shown and "importing" in shown
    assert "collecting the report" in shown and "writing the report" in shown


def test_seeding_the_bench_history_shows_its_cases_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)

    async def seeded() -> dict[str, int]:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}")
        try:
            return await seed(engine, 30, datetime(2026, 12, 1, tzinfo=UTC))
        finally:
            await engine.dispose()

    assert asyncio.run(seeded())["cases"] == 30
    assert "seeding the history" in terminal.getvalue() and "/30 [" in terminal.getvalue()
