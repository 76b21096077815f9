"""Callback data factories; each stays far below Telegram's 64-byte limit."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class StartCB(CallbackData, prefix="st"):
    action: str  # consent | decline | lang | college
    value: str = ""


class SubmitCB(CallbackData, prefix="sb"):
    step: str  # kind | cat | anon | done_files | preview | edit
    value: str = ""


class MyCaseCB(CallbackData, prefix="my"):
    action: str  # open | page | info | rate | skip
    case_id: int = 0
    value: int = 0


class CardCB(CallbackData, prefix="cc"):
    action: str
    case_id: int


class DeptCB(CallbackData, prefix="cd"):
    case_id: int
    dept: str
