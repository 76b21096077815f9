"""Telling a town hall refusal in the person's language."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from aiogram.types import CallbackQuery, Message

from bot.core.render import Translate
from bot.domain.townhall import REFUSALS, TownHallError
from bot.domain.workflow import TransitionError
from handlers.common import Refused, error_text

T = TypeVar("T")


def refusal(_: Translate, reason: str) -> str:
    return _(REFUSALS[reason])


async def unless_refused(
    event: CallbackQuery | Message, _: Translate, call: Awaitable[T]
) -> T | Refused:
    try:
        return await call
    except TownHallError as exc:
        text = refusal(_, exc.reason)
    except TransitionError as exc:
        text = error_text(_, exc)
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)
    return Refused.REFUSED
