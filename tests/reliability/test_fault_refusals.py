"""Calls Telegram refuses for good (400, 403) in the middle of a step: the step still took
effect exactly once, what was refused is not tried again, and whoever believes it arrived
hears that it did not."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.devkit.emulator import BotAPIEmulator
from bot.domain.workflow import State
from storage.crud.outbox import FAILED
from tests.support.fault_helpers import Faulty, faulty_harness
from tests.support.fault_steps import STEPS, Story, happened_once, one_card, told, told_once
from tests.support.officer_helpers import case_of, outbox, user_row
from tests.support.student_helpers import ANSWER_TEXT, db_cases

TOO_LONG = "Bad Request: message is too long"
NOT_DELIVERED = "您的消息未能送达该同学"


@pytest.fixture
async def world(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[Faulty]:
    async with faulty_harness(emulator, database_url) as faulty:
        yield faulty


async def step(world: Faulty, name: str) -> tuple[Story, int]:
    story = await STEPS[name].prepare(world.h)
    return story, len(world.h.emu.requests)


async def perform(world: Faulty, name: str, story: Story) -> None:
    await STEPS[name].perform(story)
    await world.h.driver.settle_all()


def tries(world: Faulty, mark: int, method: str, chat_id: int | None) -> int:
    return len(
        [r for r in world.h.emu.requests[mark:] if r.method == method and r.chat_id == chat_id]
    )


async def answered_but_not_delivered(world: Faulty, story: Story) -> str:
    """The answer is recorded once and the officers' note says it was sent; then the thread
    says it did not arrive (after the note, not before); the warning's text."""
    assert (await case_of(world.h, story.number)).state == State.ANSWERED
    await happened_once(story, "answer", ANSWER_TEXT)
    await happened_once(story, "delivery_failed")
    assert told(story, "student", ANSWER_TEXT) == []
    told_once(story, "officers", "已向同学发送答复")
    told_once(story, "officers", NOT_DELIVERED)
    warning = world.h.last(world.h.group).content
    assert story.number in warning and NOT_DELIVERED in warning
    return warning


async def test_an_answer_telegram_refuses_is_reported_in_its_thread(world: Faulty) -> None:
    story, mark = await step(world, "answer")
    student = story.chats["student"]
    world.faults.fail("sendMessage", chat_id=student, code=400, description=TOO_LONG)
    await perform(world, "answer", story)

    warning = await answered_but_not_delivered(world, story)
    assert "Telegram 未接受这条消息" in warning and TOO_LONG in warning
    assert tries(world, mark, "sendMessage", student) == 1  # not tried again
    # A refused message says nothing about the student: later messages still go to them.
    assert (await user_row(world.h, student)).unreachable_at is None  # type: ignore[union-attr]
    assert [r.status for r in await outbox(world.h, recipient_user_id=student)][-1] == FAILED


async def test_an_answer_that_never_gets_through_is_reported_when_retries_end(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    async with faulty_harness(emulator, database_url, delivery_retry_hours=0.001) as world:
        story, mark = await step(world, "answer")
        student = story.chats["student"]
        world.faults.fail("sendMessage", chat_id=student, code=502, times=100)
        await perform(world, "answer", story)

        warning = await answered_but_not_delivered(world, story)
        assert "Telegram 未接受这条消息" in warning and "Bad Gateway" in warning
        assert 1 < tries(world, mark, "sendMessage", student) < 100


async def test_an_answer_to_a_student_who_blocked_the_bot_is_reported(world: Faulty) -> None:
    story, mark = await step(world, "answer")
    student = story.chats["student"]
    world.faults.forbid(student)
    await perform(world, "answer", story)

    warning = await answered_but_not_delivered(world, story)
    assert "对方已屏蔽机器人或注销了账号" in warning
    assert tries(world, mark, "sendMessage", student) == 1
    assert (await user_row(world.h, student)).unreachable_at is not None  # type: ignore[union-attr]


async def test_a_refused_toast_loses_the_toast_and_nothing_else(world: Faulty) -> None:
    story, mark = await step(world, "accept")
    world.faults.fail(
        "answerCallbackQuery",
        code=400,
        description="Bad Request: query is too old and response timeout expired or query ID "
        "is invalid",
    )
    await perform(world, "accept", story)

    assert (await case_of(world.h, story.number)).state == State.ACCEPTED
    await happened_once(story, "accept")
    told_once(story, "student", "已由权益部受理")
    one_card(story, "已受理")
    assert story.queries[0] not in world.h.emu.callback_answers
    assert tries(world, mark, "answerCallbackQuery", story.chats["officers"]) == 1


async def test_a_preview_that_keeps_its_buttons_cannot_submit_twice(world: Faulty) -> None:
    """Removing 提交 from the preview is refused: the student can press it again, and it
    submits nothing more."""
    story, _ = await step(world, "submit")
    world.faults.fail("editMessageReplyMarkup", chat_id=story.chats["student"], code=400)
    await perform(world, "submit", story)

    talk = story.person
    preview = talk.message_with("提交前请确认")
    assert "✅ 提交" in [text for text, _ in preview.buttons()]
    again = await talk.press("✅ 提交", preview)
    assert again.alert and again.messages == []
    assert "/new" in (again.toast or "")
    assert len(await db_cases(world.h)) == 1
    await STEPS["submit"].verify(story)
