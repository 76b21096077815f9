"""Starting `studentvoice run`: only a missing token or a database it cannot reach stop it (one
line naming the setting, exit code 2, no traceback); Telegram failing to answer what the bot
asks it at start-up is logged, and the bot starts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import socket
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.app.runtime import build_app, start_up
from bot.devkit.emulator import BotAPIEmulator, FaultPolicy
from bot.domain.chats import OFFICERS
from storage.crud import users as users_crud
from tests.support.harness import (
    IDENTITY_KEY,
    OFFICERS_CHAT,
    TOKEN,
    make_settings,
    reset_database,
    start_bot,
)

ROOT = Path(__file__).resolve().parents[2]
PROXY_PAGE = "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_command(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    clean |= {
        "TELEGRAM_API_BASE": f"http://127.0.0.1:{closed_port()}",
        "PYTHONPATH": str(ROOT),
        "IDENTITY_KEY": IDENTITY_KEY,
        **env,
    }
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        timeout=120,
    )


async def test_only_a_missing_token_or_an_unreachable_database_stops_it(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    attempts = [
        ("BOT_TOKEN", {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"}),
        (
            "DATABASE_URL",
            {
                "BOT_TOKEN": TOKEN,
                "DATABASE_URL": f"postgresql+asyncpg://sv:s3cret@127.0.0.1:{closed_port()}/sv",
            },
        ),
        (
            "DATABASE_URL",
            {"BOT_TOKEN": TOKEN, "DATABASE_URL": f"sqlite+aiosqlite:///{not_a_folder / 'b.db'}"},
        ),
    ]
    done = await asyncio.gather(*(run_command(tmp_path, **env) for _, env in attempts))
    for (named, _), result in zip(attempts, done, strict=True):
        said = result.stderr.decode()
        assert result.returncode == 2, said
        assert len(said.strip().splitlines()) == 1, said
        assert named in said and "Traceback" not in said
        assert "s3cret" not in said and TOKEN not in said


@pytest.mark.parametrize("failure", ["proxy page", "server error", "network"])
async def test_telegram_failing_at_start_up_is_logged_and_the_bot_starts(
    emulator: BotAPIEmulator, database_url: str, failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The officers' chat keeps what was learnt about it on an earlier start (a forum)."""
    engine = await reset_database(database_url)
    await engine.dispose()
    emulator.add_group(OFFICERS_CHAT, "权益部工作群", is_forum=True)
    async with start_bot(emulator, database_url):
        pass  # an earlier start that could ask Telegram

    base = emulator.base_url
    if failure == "network":
        base = f"http://127.0.0.1:{closed_port()}"
    else:
        page = PROXY_PAGE if failure == "proxy page" else None
        emulator.policy = (
            FaultPolicy()
            .fail("getChat", code=502, description="Bad Gateway", page=page)
            .fail("setMyCommands", code=500, description="Internal Server Error", page=page)
        )
    app = build_app(make_settings(base, database_url))
    try:
        with caplog.at_level(logging.WARNING, logger="bot.app"):
            await start_up(app)
        async with app.session_factory() as session:
            binding = await users_crud.get_binding(session=session, purpose=OFFICERS)
    finally:
        await app.bot.session.close()
        await app.engine.dispose()

    assert binding is not None and binding.chat_id == OFFICERS_CHAT
    assert binding.is_forum and binding.title == "权益部工作群"
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("bot.app.")]
    assert any("officers chat" in line and "could not be looked up" in line for line in logged)
    assert any("command menu (zh_Hans) could not be set" in line for line in logged)
    assert not any(r.exc_info for r in caplog.records)


async def test_run_says_when_it_starts_and_stops_at_the_default_log_level(
    emulator: BotAPIEmulator, tmp_path: Path
) -> None:
    """One line each, naming the version, the mode, the kind of database (not its URL), the
    chats bound and the instance, by the id the worker claims outbox rows with."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"
    engine = await reset_database(database_url)
    await engine.dispose()
    emulator.add_group(OFFICERS_CHAT, "权益部工作群")
    clean = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=clean
        | {
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE": emulator.base_url,
            "DATABASE_URL": database_url,
            "OFFICERS_CHAT_ID": str(OFFICERS_CHAT),
            "SCHEDULER_ENABLED": "false",
            "PYTHONPATH": str(ROOT),
            "LOG_FORMAT": "text",
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    said: list[str] = []
    try:
        while not said or " started: " not in said[-1]:
            line = (await process.stderr.readline()).decode()
            assert line, f"exited before starting: {said}"
            said.append(line)
    finally:
        with contextlib.suppress(ProcessLookupError):  # if it has exited, its output says why
            process.send_signal(signal.SIGTERM)
        # A bound, not a measurement: a polite stop with nothing in flight.
        _, after = await asyncio.wait_for(process.communicate(), timeout=30)
    rest = after.decode()
    assert process.returncode == 0, rest
    started = re.search(
        rf" INFO studentvoice (\S+): studentvoice {re.escape(version('studentvoice'))} started: "
        rf"polling, sqlite database, chats bound: {OFFICERS} {OFFICERS_CHAT}, "
        rf"instance (\S+:{process.pid}:\w+)$",
        said[-1],
    )
    assert started, said[-1]
    assert started.group(1) == started.group(2)  # every line names the instance so
    assert str(tmp_path) not in said[-1]
    stopped = [line for line in rest.splitlines() if " INFO studentvoice " in line]
    assert stopped == [stopped[0]] and stopped[0].endswith(
        f"studentvoice stopped: instance {started.group(2)}"
    ), rest
