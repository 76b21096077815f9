"""Inline keyboards as Bot API dicts, so they can be stored in the outbox or sent at once."""

from __future__ import annotations

from typing import Any

from aiogram.utils.keyboard import InlineKeyboardBuilder


def as_dict(builder: InlineKeyboardBuilder) -> dict[str, Any]:
    return builder.as_markup().model_dump(mode="json", exclude_none=True)
