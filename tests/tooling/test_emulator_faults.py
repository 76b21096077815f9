"""The emulator's scripted faults, met by a real aiogram Bot over HTTP: the Nth call of a
method, a chosen code, a call to one chat, a timeout that was never carried out, 403 to a chat."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramServerError

from bot.devkit.emulator import BotAPIEmulator, FaultPolicy, Injection

ALICE, BOB = 1001, 1002


@pytest.fixture
async def emu() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator() as emulator:
        emulator.add_user(ALICE, "Alice", started=True)
        emulator.add_user(BOB, "Bob", started=True)
        yield emulator
        assert emulator.internal_errors == []


@pytest.fixture
async def bot(emu: BotAPIEmulator) -> AsyncIterator[Bot]:
    tg = Bot("123:ABC", session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
    yield tg
    await tg.session.close()


@pytest.fixture
def faults(emu: BotAPIEmulator) -> FaultPolicy:
    emu.policy = FaultPolicy()
    return emu.policy


def texts(emu: BotAPIEmulator, chat_id: int) -> list[str | None]:
    return [m.text for m in emu.bot_messages(chat_id)]


async def test_the_nth_call_of_a_method_fails_once(
    emu: BotAPIEmulator, bot: Bot, faults: FaultPolicy
) -> None:
    faults.fail("sendMessage", nth=2, code=502)
    assert faults.pending("sendmessage") == 1
    await bot.send_message(ALICE, "1")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(ALICE, "2")
    await bot.send_message(ALICE, "3")
    await bot.get_me()  # other methods are not counted

    assert texts(emu, ALICE) == ["1", "3"]
    assert [r.error_code for r in emu.requests_for("sendMessage")] == [None, 502, None]
    assert faults.injected == [("sendMessage", 502)]
    assert faults.records == [Injection("sendMessage", 502, ALICE, 0.0)]
    assert faults.pending("sendMessage") == 0


async def test_scripts_continue_after_what_is_scripted(
    emu: BotAPIEmulator, bot: Bot, faults: FaultPolicy
) -> None:
    """Each fault is scripted after those already there: here the 1st and the 3rd call."""
    faults.fail("sendMessage", code=500).fail("sendMessage", nth=2, code=403)
    outcomes = []
    for text in "abcd":
        try:
            await bot.send_message(ALICE, text)
            outcomes.append("ok")
        except (TelegramServerError, TelegramForbiddenError) as exc:
            outcomes.append(type(exc).__name__)
    assert outcomes == ["TelegramServerError", "ok", "TelegramForbiddenError", "ok"]
    assert texts(emu, ALICE) == ["b", "d"]


async def test_each_code_becomes_the_error_telegram_would_give(
    bot: Bot, faults: FaultPolicy
) -> None:
    faults.fail("sendMessage", code=400).fail("sendMessage", code=403)
    faults.fail("sendMessage", code=500).fail("sendMessage", code=400, description="Bad Request: x")
    with pytest.raises(TelegramBadRequest, match="injected fault"):
        await bot.send_message(ALICE, "a")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(ALICE, "b")
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(ALICE, "c")
    with pytest.raises(TelegramBadRequest, match="Bad Request: x"):
        await bot.send_message(ALICE, "d")
    assert faults.injected == [("sendMessage", c) for c in (400, 403, 500, 400)]


async def test_a_chat_of_its_own_counts_its_calls_alone(
    emu: BotAPIEmulator, bot: Bot, faults: FaultPolicy
) -> None:
    faults.fail("sendMessage", chat_id=BOB, nth=2, code=500)
    await bot.send_message(BOB, "b1")
    await bot.send_message(ALICE, "a1")  # not Bob's: neither counted nor failed
    with pytest.raises(TelegramServerError):
        await bot.send_message(BOB, "b2")
    await bot.send_message(BOB, "b3")
    assert (texts(emu, ALICE), texts(emu, BOB)) == (["a1"], ["b1", "b3"])
    assert faults.records == [Injection("sendMessage", 500, BOB, 0.0)]


async def test_a_timed_out_call_was_never_carried_out(
    emu: BotAPIEmulator, bot: Bot, faults: FaultPolicy
) -> None:
    """Held longer than the client waits: the client sees a timeout; whoever waits longer gets
    504; either way nothing happened, and the next call goes through."""
    faults.timeout("sendMessage", hold=0.3, times=2)
    url = f"{emu.base_url}/bot123:ABC/sendMessage"
    async with aiohttp.ClientSession() as http:
        with pytest.raises(TimeoutError):
            await http.post(
                url,
                json={"chat_id": ALICE, "text": "impatient"},
                timeout=aiohttp.ClientTimeout(total=0.05),
            )
    with pytest.raises(TelegramServerError, match="Gateway Timeout"):
        await bot.send_message(ALICE, "patient")
    await bot.send_message(ALICE, "after")

    assert texts(emu, ALICE) == ["after"]
    assert faults.records == [Injection("sendMessage", 504, ALICE, 0.3)] * 2


async def test_one_chat_is_forbidden_until_allowed(
    emu: BotAPIEmulator, bot: Bot, faults: FaultPolicy
) -> None:
    faults.forbid(ALICE)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(ALICE, "a")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(ALICE, "again")
    assert (await bot.get_chat(ALICE)).id == ALICE  # reading about the chat still works
    await bot.send_message(BOB, "b")
    faults.allow(ALICE)
    await bot.send_message(ALICE, "c")

    assert (texts(emu, ALICE), texts(emu, BOB)) == (["c"], ["b"])
    assert faults.injected == [("sendMessage", 403)] * 2


async def test_clear_forgets_what_is_scripted(
    emu: BotAPIEmulator, bot: Bot, faults: FaultPolicy
) -> None:
    faults.fail("sendMessage", times=3, code=500).forbid(BOB)
    faults.clear()
    assert faults.pending("sendMessage") == 0
    await bot.send_message(ALICE, "a")
    await bot.send_message(BOB, "b")
    assert faults.injected == []
    with pytest.raises(ValueError, match="count calls from 1"):
        faults.fail("sendMessage", nth=0)
