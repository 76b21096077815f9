"""`studentvoice digest` and `studentvoice bench digest` as an operator meets them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.devkit.bench.digest import run_digest_bench
from bot.devkit.emulator import BotAPIEmulator
from storage.db import create_session_factory
from tests.support.cli_runner import run_cli_in_process
from tests.support.digest_fixture import insert, two_weeks
from tests.support.harness import IDENTITY_KEY, TOKEN, reset_database
from tests.tooling.test_cli import run_cli


@pytest.mark.parametrize(
    ("period", "says"),
    [
        ("last-week", "'last-week' is not a period: use a week (2026-W47), a month (2026-11)"),
        ("2099-W01", "2099-W01 has not begun yet"),
    ],
)
def test_a_bad_period_is_one_clear_line(tmp_path: Path, period: str, says: str) -> None:
    result = run_cli(tmp_path, "digest", "--period", period)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("studentvoice digest: ") and says in line


async def prepare(database_url: str) -> None:
    engine = await reset_database(database_url)
    async with create_session_factory(engine).begin() as session:
        await insert(session, two_weeks())
    await engine.dispose()


def test_any_past_period_renders_from_the_stored_data(tmp_path: Path, database_url: str) -> None:
    asyncio.run(prepare(database_url))
    out = tmp_path / "w47.html"
    result = run_cli_in_process(
        tmp_path, "digest", "--period", "2026-W47", "--out", str(out), DATABASE_URL=database_url
    )
    assert result.returncode == 0, result.stderr
    assert "2026年第47周" in result.stdout and "新增 6 (+4)" in result.stdout
    assert "<b>" not in result.stdout  # plain text on a terminal
    report = out.read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and "G2026-0005" in report


def test_bench_digest_prints_its_figures_as_json_on_the_last_line(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "bench", "digest", "-n", "3000", "--json")
    assert result.returncode in (0, 1), result.stderr  # 1: over target on a busy machine
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["cases"] == 3000 and figures["events"] > 3000
    assert figures["digest_seconds"] > 0 and figures["peak_extra_mb"] >= 0
    assert figures["new_in_week"] > 0
    assert "digest of" in result.stdout and "peak memory" in result.stdout


async def test_bench_digest_refuses_a_silly_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_digest_bench(cases=5) == 2
    assert "at least 100" in capsys.readouterr().err


async def send_digest(
    tmp_path: Path, database_url: str, emulator: BotAPIEmulator, **settings: str
) -> tuple[int | None, str, str]:
    # In this process: the command's output and effects are the subject, not the process.
    result = await asyncio.to_thread(
        run_cli_in_process,
        tmp_path, "digest", "--period", "2026-W46", "--send",
        DATABASE_URL=database_url,
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=emulator.base_url,
        IDENTITY_KEY=IDENTITY_KEY,
        **settings,
    )  # fmt: skip
    return result.returncode, result.stdout, result.stderr


async def test_send_delivers_to_the_committee_chat(
    tmp_path: Path, database_url: str, emulator: BotAPIEmulator
) -> None:
    await prepare(database_url)
    emulator.add_group(chat_id=-1001000000077, title="校团委")
    code, stdout, stderr = await send_digest(
        tmp_path, database_url, emulator, COMMITTEE_CHAT_ID="-1001000000077"
    )
    assert code == 0, stderr
    assert "queued 3 messages (summary, chart, report) for the committee chat" in stdout
    assert "sent 3 of 3 messages to the committee chat -1001000000077" in stdout
    kinds = [m.kind for m in emulator.bot_messages(-1001000000077)]
    assert kinds == ["text", "photo", "document"]
    assert "2026年第46周" in (emulator.bot_messages(-1001000000077)[0].text or "")


async def test_send_without_a_committee_chat_sends_nothing_and_exits_1(
    tmp_path: Path, database_url: str, emulator: BotAPIEmulator
) -> None:
    await prepare(database_url)
    code, stdout, stderr = await send_digest(tmp_path, database_url, emulator)
    assert code == 1
    (line,) = stderr.strip().splitlines()
    assert line == (
        "studentvoice digest: nothing sent: no committee chat is bound (set COMMITTEE_CHAT_ID)"
    )
    assert "queued" not in stdout


async def test_send_that_reaches_nobody_says_so_and_exits_1(
    tmp_path: Path, database_url: str, emulator: BotAPIEmulator
) -> None:
    await prepare(database_url)
    # The bot is not in this chat: Telegram answers "chat not found" to every message.
    code, stdout, stderr = await send_digest(
        tmp_path, database_url, emulator, COMMITTEE_CHAT_ID="-1001000000078"
    )
    assert code == 1
    assert "queued 3 messages" in stdout
    line = stderr.strip().splitlines()[-1]  # after the worker's log of each failed send
    assert line.startswith("studentvoice digest: nothing sent: none of the 3 messages reached")
