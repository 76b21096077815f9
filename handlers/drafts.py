"""What the step-by-step case dialogues share (a student's /new and 代提交, an officer's /intake,
a liaison's answer): how a step is asked, the check of the case's text, the files collected."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import (
    ForceReply,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessageUnion,
    Message,
)

from bot.cases.actions import check_text
from bot.core.context import Turn
from bot.domain.workflow import MAX_ATTACHMENTS, TEXT_MAX, TEXT_MIN
from handlers.media import attachment_of

# Where the next step is asked: a button's message may be too old for the bot to reach.
Reply = MaybeInaccessibleMessageUnion | None
# A step's question: asked in answer to `Reply`, the dialogue's state set to the step.
Step = Callable[[Reply, FSMContext, Turn], Awaitable[None]]


async def ask(
    message: Reply, text: str, markup: InlineKeyboardMarkup | ForceReply | None = None
) -> None:
    """A step's question, where there is a message to answer (see `Reply`)."""
    if isinstance(message, Message):
        await message.answer(text, reply_markup=markup)


def text_refusal(turn: Turn, text: str) -> str | None:
    """Why a case's text cannot be taken, in the sender's language; None when it can."""
    problem = check_text(text)
    if problem is None:
        return None
    return turn.render(
        "student/text_invalid.html",
        reason=problem,
        min=TEXT_MIN,
        max=TEXT_MAX,
        length=len(text.strip()),
    )


async def take_attachment(
    message: Message, state: FSMContext, *, key: str = "attachments"
) -> tuple[bool, int]:
    """The message's photo or document added to the files the dialogue keeps under `key`,
    unless there are MAX_ATTACHMENTS already: whether it was, and how many there are."""
    files: list[dict[str, Any]] = list((await state.get_data()).get(key, []))
    if len(files) >= MAX_ATTACHMENTS:
        return False, len(files)
    files.append(attachment_of(message))
    await state.update_data({key: files})
    return True, len(files)


async def file_answer(message: Message, state: FSMContext, turn: Turn) -> tuple[str, int]:
    """A case's file taken (see `take_attachment`): what to answer, and how many there are."""
    added, count = await take_attachment(message, state)
    if not added:
        return turn.render("student/files_limit.html", max=MAX_ATTACHMENTS), count
    return turn.render("student/file_added.html", count=count, max=MAX_ATTACHMENTS), count
