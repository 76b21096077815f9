"""What Telegram shows of the bot, set at start-up: each audience's command menu (students in
private, the officers' and sensitive chats, the committee chat, and those chats' administrators),
the descriptions and the menu button, in Chinese (no language code) and English. One of them
refused is logged on one line and the rest are set."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app.runtime import App, build_app, start_up
from bot.devkit.emulator import BotAPIEmulator, FaultPolicy
from tests.support.harness import OFFICERS_CHAT, make_settings, reset_database

SENSITIVE_CHAT = -1001000000002
COMMITTEE_CHAT = -1001000000003
STUDENTS = [
    "new",
    "my",
    "proposals",
    "propose",
    "board",
    "mycollege",
    "onbehalf",
    "review",
    "townhall",
    "cancel",
    "help",
    "language",
    "college",
    "mydata",
    "deleteme",
]
OFFICERS = [
    "queue",
    "case",
    "find",
    "audit",
    "intake",
    "record",
    "mute",
    "unmute",
    "discard",
    "townhall",
    "cancel",
    "help",
]
OFFICERS_ADMINS = [
    *OFFICERS,
    "failed",
    "roles",
    "grant",
    "revoke",
    "officer",
    "unofficer",
    "liaison",
    "unliaison",
    "bind",
]


@pytest.fixture
async def app(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[App]:
    engine = await reset_database(database_url)
    await engine.dispose()
    emulator.add_group(OFFICERS_CHAT, "权益部工作群", is_forum=True)
    emulator.add_group(SENSITIVE_CHAT, "权益部（敏感）")
    emulator.add_group(COMMITTEE_CHAT, "团委")
    settings = make_settings(
        emulator.base_url,
        database_url,
        sensitive_chat_id=SENSITIVE_CHAT,
        committee_chat_id=COMMITTEE_CHAT,
    )
    built = build_app(settings)
    try:
        yield built
    finally:
        await built.bot.session.close()
        await built.engine.dispose()


def menus(emulator: BotAPIEmulator) -> dict[tuple[str, str | None], dict[str, str]]:
    """What setMyCommands was asked, by (scope, language code): command → description."""
    found: dict[tuple[str, str | None], dict[str, str]] = {}
    for request in emulator.requests_for("setMyCommands"):
        if not request.ok:
            continue
        params = request.params
        scope = _decoded(params["scope"])
        key = scope["type"] + (f" {scope['chat_id']}" if "chat_id" in scope else "")
        commands = _decoded(params["commands"])
        found[key, params.get("language_code")] = {c["command"]: c["description"] for c in commands}
    return found


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def language_codes(emulator: BotAPIEmulator, method: str) -> set[str | None]:
    return {r.params.get("language_code") for r in emulator.requests_for(method) if r.ok}


async def test_each_audience_gets_its_menu_in_both_languages(
    emulator: BotAPIEmulator, app: App
) -> None:
    await start_up(app)
    got = menus(emulator)

    expected = {
        "all_private_chats": STUDENTS,
        f"chat {OFFICERS_CHAT}": OFFICERS,
        f"chat_administrators {OFFICERS_CHAT}": OFFICERS_ADMINS,
        f"chat {SENSITIVE_CHAT}": OFFICERS,
        f"chat_administrators {SENSITIVE_CHAT}": OFFICERS_ADMINS,
        f"chat {COMMITTEE_CHAT}": ["digest", "review"],
        f"chat_administrators {COMMITTEE_CHAT}": ["digest", "review", "bind"],
    }
    assert set(got) == {(scope, language) for scope in expected for language in (None, "en")}
    for (scope, _), commands in got.items():
        assert list(commands) == expected[scope], scope

    private = "all_private_chats"
    assert got[private, None]["mydata"] == "查看我的数据"
    assert got[private, None]["deleteme"] == "删除我的数据"
    assert got[private, "en"]["deleteme"] == "Erase my data"
    assert got[f"chat {OFFICERS_CHAT}", None]["queue"] == "待办案件（最早的在前）"
    assert got[f"chat {COMMITTEE_CHAT}", "en"]["digest"] == "This week's digest so far"

    descriptions = emulator.world.descriptions
    assert "学生之声" in descriptions["description", ""]
    assert descriptions["description", "en"].startswith("StudentVoice, the student union's")
    assert "权益" in descriptions["short_description", ""]
    assert len(descriptions["short_description", "en"]) <= 120
    assert language_codes(emulator, "setMyDescription") == {None, "en"}
    assert language_codes(emulator, "setMyShortDescription") == {None, "en"}
    (button,) = emulator.requests_for("setChatMenuButton")
    assert "chat_id" not in button.params
    assert _decoded(button.params["menu_button"]) == {"type": "commands"}


async def test_a_refused_menu_is_logged_on_one_line_and_the_rest_is_set(
    emulator: BotAPIEmulator, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.policy = FaultPolicy().fail(
        "setMyCommands", code=400, description="Bad Request: BOT_COMMAND_INVALID"
    )
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        await start_up(app)

    refused = [r for r in emulator.requests_for("setMyCommands") if not r.ok]
    assert len(refused) == 1
    assert len(menus(emulator)) == 2 * 7 - 1
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].exc_info is None
    said = warnings[0].getMessage()
    assert "command menu" in said and "could not be set" in said and "\n" not in said
    assert "BOT_COMMAND_INVALID" in said
    assert language_codes(emulator, "setMyDescription") == {None, "en"}
    assert emulator.requests_for("setChatMenuButton")[0].ok
