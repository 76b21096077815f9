"""`studentvoice review open|status|close`: a round set up from the command line; the panel's
links printed for those not yet linked; a bad file or a past deadline opens nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
from tests.support.roster_helpers import HEADER, session_created_by_cli, write_csv

REPS = [
    ["陈晓", "2023010101", "临床医学院", "", ""],
    ["刘洋", "2023020202", "nursing", "", ""],
]
LINK = re.compile(r"https://t\.me/sv_bot\?start=review_[\w-]+")


def test_a_round_opened_and_closed_from_the_command_line(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    session_created_by_cli(database_url, monkeypatch)
    roster = write_csv(tmp_path / "roster.csv", [HEADER, *REPS])
    assert main(["roster", "import", str(roster), "--session", "1"]) == 0
    people = write_csv(
        tmp_path / "reviewees.csv",
        [["姓名", "职务"], ["赵一鸣", "主席团成员"], ["钱二", "权益部部长"]],
    )
    opening = ["review", "open", "--semester", "2026-fall", "--reviewees", str(people)]
    rest = ["--staff", "王老师:学生工作部", "--staff", "李老师:团委", "--bot", "sv_bot"]
    capsys.readouterr()

    # Refused whole: a file without the post column, a deadline in the past, a bad quorum.
    bad = write_csv(tmp_path / "bad.csv", [["姓名"], ["赵一鸣"]])
    bad_open = ["review", "open", "--semester", "2026-fall", "--reviewees", str(bad)]
    assert main([*bad_open, "--deadline", "2099-01-10"]) == 1
    assert "职务" in capsys.readouterr().err
    assert main([*opening, *rest, "--deadline", "2001-01-10"]) == 1
    assert "already passed" in capsys.readouterr().err
    assert main([*opening, *rest, "--deadline", "2099-01-10", "--quorum", "3/2"]) == 1
    assert main(["review", "status", "--semester", "2026-fall"]) == 1  # nothing was opened

    assert main([*opening, *rest, "--deadline", "2099-01-10"]) == 0
    out = capsys.readouterr().out
    assert "2 reviewees" in out and len(LINK.findall(out)) == 4  # 2 unlinked reps, 2 staff
    assert "王老师\t学生工作部" in out and "李老师\t团委" in out
    assert main([*opening, *rest, "--deadline", "2099-01-10"]) == 1  # one round a semester
    assert main(["review", "status", "--semester", "2026-fall"]) == 0
    assert "0 of 4 voted, quorum 3" in capsys.readouterr().out
    assert main(["review", "close", "--semester", "2026-fall"]) == 0
    assert main(["review", "close", "--semester", "2026-fall"]) == 1
