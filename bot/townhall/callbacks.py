"""The town hall's buttons."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class TownHallCB(CallbackData, prefix="th"):
    action: str  # vote | approve | case
    question_id: int = 0
