"""Inline keyboards as Bot API dicts, so they can be stored in the outbox or sent at once."""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder


class Keyboard(InlineKeyboardBuilder):
    """aiogram's builder, without its deep copy of every button so far at each button added
    (`add` exports the markup, and `export` deep-copies it): that copying cost more than the
    rest of building a keyboard. Rows are still copied; buttons are never changed in place."""

    def export(self) -> list[list[InlineKeyboardButton]]:
        return [list(row) for row in self._markup]


def as_dict(builder: InlineKeyboardBuilder) -> dict[str, Any]:
    return builder.as_markup().model_dump(mode="json", exclude_none=True)


def one_row(*buttons: tuple[str, CallbackData]) -> dict[str, Any]:
    """Buttons side by side, each (text, callback data): most prompts offer one or two."""
    kb = Keyboard()
    for text, callback_data in buttons:
        kb.button(text=text, callback_data=callback_data)
    kb.adjust(len(buttons))
    return as_dict(kb)
