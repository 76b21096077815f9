"""Inline keyboards as Bot API dicts, so they can be stored in the outbox or sent at once."""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.utils.keyboard import InlineKeyboardBuilder


def as_dict(builder: InlineKeyboardBuilder) -> dict[str, Any]:
    return builder.as_markup().model_dump(mode="json", exclude_none=True)


def one_row(*buttons: tuple[str, CallbackData]) -> dict[str, Any]:
    """Buttons side by side, each (text, callback data): most prompts offer one or two."""
    kb = InlineKeyboardBuilder()
    for text, callback_data in buttons:
        kb.button(text=text, callback_data=callback_data)
    kb.adjust(len(buttons))
    return as_dict(kb)
