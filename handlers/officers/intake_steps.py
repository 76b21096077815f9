"""/intake's steps: how each question and the preview are asked (the router in
`handlers.officers.intake` decides which update leads where)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from bot.cases.actions import Draft
from bot.core.callbacks import IntakeCB
from bot.core.config import Category, College
from bot.core.context import Turn
from bot.core.markup import Keyboard
from bot.domain import labels
from bot.domain.intake import OFFLINE_SOURCES, SOURCE_LABEL
from bot.domain.workflow import MAX_ATTACHMENTS, STUDENT_KINDS, TEXT_MAX, TEXT_MIN, Kind
from handlers.drafts import Reply, ask

STEPS = 8


class Intake(StatesGroup):
    source = State()
    day = State()
    kind = State()
    category = State()
    college = State()
    text = State()
    files = State()
    anonymity = State()
    preview = State()


def draft_of(data: dict[str, Any]) -> Draft | None:
    if not {"source", "day", "kind", "category", "college", "text"} <= data.keys():
        return None
    return Draft(
        kind=data["kind"],
        category=data["category"],
        text=data["text"],
        # Anonymous unless the officer marked the form as signed.
        anonymous=data.get("anonymous", True),
        attachments=list(data.get("attachments", [])),
        source=data["source"],
        received_on=date.fromisoformat(data["day"]),
        college=data["college"],
    )


def today(turn: Turn) -> date:
    return turn.services.now().astimezone(turn.services.renderer.tz).date()


def _question(turn: Turn, step: str, **context: Any) -> str:
    return turn.render("group/intake_step.html", step=step, steps=STEPS, **context)


def _with_cancel(turn: Turn, kb: Keyboard, per_row: int) -> InlineKeyboardMarkup:
    kb.adjust(per_row)
    cancel = IntakeCB(step="cancel").pack()
    kb.row(InlineKeyboardButton(text=turn.translate("Cancel"), callback_data=cancel))
    return kb.as_markup()


async def ask_source(message: Reply, state: FSMContext, turn: Turn) -> None:
    _ = turn.translate
    await state.set_state(Intake.source)
    kb = Keyboard()
    for source in OFFLINE_SOURCES:
        kb.button(text=_(SOURCE_LABEL[source]), callback_data=IntakeCB(step="source", value=source))
    await ask(message, _question(turn, "source"), _with_cancel(turn, kb, 2))


async def ask_day(message: Reply, state: FSMContext, turn: Turn) -> None:
    _ = turn.translate
    await state.set_state(Intake.day)
    day = today(turn)
    kb = Keyboard()
    kb.button(text=_("Today"), callback_data=IntakeCB(step="day", value=day.isoformat()))
    yesterday = (day - timedelta(days=1)).isoformat()
    kb.button(text=_("Yesterday"), callback_data=IntakeCB(step="day", value=yesterday))
    await ask(message, _question(turn, "day", example=day.isoformat()), _with_cancel(turn, kb, 2))


async def ask_kind(message: Reply, state: FSMContext, turn: Turn) -> None:
    _ = turn.translate
    await state.set_state(Intake.kind)
    kb = Keyboard()
    for kind in STUDENT_KINDS:
        kb.button(text=_(labels.KIND[kind]), callback_data=IntakeCB(step="kind", value=kind))
    await ask(message, _question(turn, "kind"), _with_cancel(turn, kb, 2))


async def ask_category(message: Reply, state: FSMContext, turn: Turn) -> None:
    categories = turn.services.org.categories
    await _ask_among(message, state, turn, Intake.category, "cat", "category", categories)


async def ask_college(message: Reply, state: FSMContext, turn: Turn) -> None:
    colleges = turn.services.org.colleges
    await _ask_among(message, state, turn, Intake.college, "college", "college", colleges)


async def _ask_among(
    message: Reply,
    state: FSMContext,
    turn: Turn,
    step_state: State,
    step: str,
    question: str,
    entries: Iterable[Category | College],
) -> None:
    """A choice among the organisation file's categories or colleges, by name."""
    await state.set_state(step_state)
    kb = Keyboard()
    for entry in entries:
        kb.button(
            text=turn.services.renderer.name_of(entry, turn.locale),
            callback_data=IntakeCB(step=step, value=entry.code),
        )
    await ask(message, _question(turn, question), _with_cancel(turn, kb, 2))


async def ask_text(message: Reply, state: FSMContext, turn: Turn) -> None:
    await state.set_state(Intake.text)
    # A reply, so that a bot in privacy mode still hears it.
    await ask(
        message,
        _question(turn, "text", min=TEXT_MIN, max=TEXT_MAX),
        ForceReply(selective=True),
    )


async def ask_files(message: Reply, state: FSMContext, turn: Turn) -> None:
    await state.set_state(Intake.files)
    await ask(message, _question(turn, "files", max=MAX_ATTACHMENTS), files_keyboard(turn, 0))


def files_keyboard(turn: Turn, count: int) -> InlineKeyboardMarkup:
    _ = turn.translate
    kb = Keyboard()
    kb.button(
        text=_("Done") if count else _("No attachments"), callback_data=IntakeCB(step="files_done")
    )
    return _with_cancel(turn, kb, 1)


async def ask_anonymity(message: Reply, state: FSMContext, turn: Turn) -> None:
    _ = turn.translate
    await state.set_state(Intake.anonymity)
    kb = Keyboard()
    kb.button(text=_("Anonymous"), callback_data=IntakeCB(step="anon", value="1"))
    kb.button(text=_("Named"), callback_data=IntakeCB(step="anon", value="0"))
    await ask(message, _question(turn, "anonymity"), _with_cancel(turn, kb, 2))


async def show_preview(message: Reply, state: FSMContext, turn: Turn) -> None:
    _ = turn.translate
    await state.set_state(Intake.preview)
    data = await state.get_data()
    text = turn.render(
        "group/intake_preview.html",
        source_label=SOURCE_LABEL[data["source"]],
        day=data["day"],
        kind_label=labels.KIND[Kind(data["kind"])],
        category=turn.services.org.category(data["category"]),
        college=turn.services.org.college(data["college"]),
        anonymous=data.get("anonymous", True),
        attachments=len(data.get("attachments", [])),
        body=data["text"],
    )
    kb = Keyboard()
    kb.button(text=_("✅ Register"), callback_data=IntakeCB(step="register"))
    await ask(message, text, _with_cancel(turn, kb, 1))
