"""What a running release left behind works after an upgrade: the names it stored are written
out here as literals (conversation states in the FSM storage, button data on messages people
still have, outbox rows waiting), so moving or renaming the code behind them fails this test."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import update
from sqlmodel import col

from bot.devkit.emulator import BotAPIEmulator
from bot.domain.workflow import State
from storage.models import Case, OutboxMessage
from tests.support.officer_helpers import (
    card,
    case_of,
    forge,
    officer_harness,
    received,
    seed_case,
    seed_student,
)

TEXT = "食堂三楼的餐具消毒柜坏了两周，一直没有人修理。"


async def test_a_submission_half_way_through_goes_on(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    """A student who had chosen kind and category before the upgrade sends the text after it."""
    async with officer_harness(emulator, database_url) as h:
        assert h.app is not None
        student = await seed_student(h, 2001, "Alice")
        key = StorageKey(bot_id=h.app.bot.id, chat_id=student.id, user_id=student.id)
        storage = h.app.dispatcher.storage
        await storage.set_state(key, "NewCase:text")
        await storage.set_data(
            key, {"college": "clinical", "kind": "grievance", "category": "logistics"}
        )

        await student.send(TEXT)
        await h.settle()
        assert await storage.get_state(key) == "NewCase:files"
        await student.press(h.last(student), 0)  # no files
        await h.settle()
        await student.press(h.last(student), 0)  # not anonymous
        await h.settle()
        await student.press(h.last(student), 0)  # submit
        await h.settle()

        assert any("G2026-" in text for text in received(h, student))
        assert await storage.get_state(key) is None


async def test_buttons_and_queued_messages_of_the_old_release_still_work(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    """An officer presses a card's button as the old release wrote it ("cc:<action>:<case>"),
    and rows the old release queued ("send", "card") are delivered."""
    async with officer_harness(emulator, database_url) as h:
        assert h.app is not None and h.officer is not None
        student = await seed_student(h, 2002, "Bob")
        number = await seed_case(h, student)
        case = await case_of(h, number)
        assert case.id is not None

        await forge(h, h.officer, f"cc:accept:{case.id}", card(h, number))
        assert (await case_of(h, number)).state == State.ACCEPTED

        heard = len(received(h, student))
        async with h.app.session_factory.begin() as session:
            await session.execute(
                update(Case).where(col(Case.id) == case.id).values(card_message_id=None)
            )
            session.add_all(
                [
                    OutboxMessage(
                        kind="send",
                        method="sendMessage",
                        chat_id=student.id,
                        payload={"chat_id": student.id, "text": "升级前排队的消息"},
                    ),
                    OutboxMessage(kind="card", method="card", case_id=case.id, payload={}),
                ]
            )
        h.app.worker.wake()
        await h.settle()
        assert received(h, student)[heard:] == ["升级前排队的消息"]
        assert (await case_of(h, number)).card_message_id is not None
