"""The /new dialogue's steps: how each question and the preview are asked (the router in
`handlers.students.submit` decides which update leads where)."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup, Message

from bot.cases.actions import CLASSMATE_NAME_MAX, Draft
from bot.core.callbacks import SubmitCB
from bot.core.context import Turn
from bot.core.markup import Keyboard
from bot.core.render import Translate
from bot.domain import labels
from bot.domain.workflow import MAX_ATTACHMENTS, STUDENT_KINDS, TEXT_MAX, TEXT_MIN, Kind
from handlers.drafts import Reply, Step, ask


class NewCase(StatesGroup):
    kind = State()
    category = State()
    text = State()
    files = State()
    anonymity = State()
    # 代提交 only: the classmate's name, when they are named.
    classmate = State()
    preview = State()


def draft_of(data: dict[str, Any]) -> Draft | None:
    if not {"kind", "category", "text"} <= data.keys():
        return None
    return Draft(
        kind=data["kind"],
        category=data["category"],
        text=data["text"],
        anonymous=bool(data.get("anonymous")),
        attachments=list(data.get("attachments", [])),
        on_behalf=bool(data.get("on_behalf")),
        classmate_name=data.get("classmate_name"),
        public=bool(data.get("public")) and may_go_public(data, None),
    )


def may_go_public(data: dict[str, Any], turn: Turn | None) -> bool:
    """Whether the preview offers a public version: a student's own grievance or suggestion of
    a category that is not sensitive (a classmate's, 代提交, is not theirs to publish)."""
    if data.get("on_behalf"):
        return False
    if turn is None:
        return True
    category = turn.services.org.category(data.get("category"))
    return category is not None and not category.sensitive and data.get("kind") in STUDENT_KINDS


async def ask_kind(message: Reply, state: FSMContext, turn: Turn) -> None:
    _ = turn.translate
    await state.set_state(NewCase.kind)
    kb = Keyboard()
    for kind in STUDENT_KINDS:
        kb.button(text=_(labels.KIND[kind]), callback_data=SubmitCB(step="kind", value=kind))
    kb.button(text=_("Cancel"), callback_data=SubmitCB(step="cancel"))
    kb.adjust(2, 1)
    await ask(message, turn.render("student/new_kind.html"), kb.as_markup())


async def ask_category(message: Reply, state: FSMContext, turn: Turn) -> None:
    await state.set_state(NewCase.category)
    kb = Keyboard()
    for category in turn.services.org.categories:
        kb.button(
            text=turn.services.renderer.name_of(category, turn.locale),
            callback_data=SubmitCB(step="cat", value=category.code),
        )
    kb.adjust(2)
    await ask(message, turn.render("student/new_category.html"), kb.as_markup())


async def ask_text(message: Reply, state: FSMContext, turn: Turn) -> None:
    await state.set_state(NewCase.text)
    await ask(message, turn.render("student/new_text.html", min=TEXT_MIN, max=TEXT_MAX))


async def ask_files(message: Reply, state: FSMContext, turn: Turn) -> None:
    await state.set_state(NewCase.files)
    text = turn.render("student/new_files.html", max=MAX_ATTACHMENTS)
    await ask(message, text, files_keyboard(turn, 0))


async def ask_anonymity(message: Reply, state: FSMContext, turn: Turn) -> None:
    _ = turn.translate
    await state.set_state(NewCase.anonymity)
    on_behalf = bool((await state.get_data()).get("on_behalf"))
    kb = Keyboard()
    named = _("Name my classmate") if on_behalf else _("Under my name")
    kb.button(text=named, callback_data=SubmitCB(step="anon", value="0"))
    kb.button(text=_("Anonymously"), callback_data=SubmitCB(step="anon", value="1"))
    kb.adjust(2)
    template = (
        "representative/on_behalf_identity.html" if on_behalf else "student/new_anonymity.html"
    )
    await ask(message, turn.render(template), kb.as_markup())


async def ask_classmate(message: Reply, state: FSMContext, turn: Turn) -> None:
    await state.set_state(NewCase.classmate)
    await ask(
        message,
        turn.render("representative/on_behalf_name.html", max=CLASSMATE_NAME_MAX, again=False),
    )


async def edit_files(message: Reply, state: FSMContext, turn: Turn) -> None:
    await state.update_data(attachments=[])
    await ask_files(message, state, turn)


async def edit_anonymity(message: Reply, state: FSMContext, turn: Turn) -> None:
    await state.update_data(editing=False)
    await ask_anonymity(message, state, turn)


def files_keyboard(turn: Turn, count: int) -> InlineKeyboardMarkup:
    _ = turn.translate
    kb = Keyboard()
    label = _("Done") if count else _("No attachments")
    kb.button(text=label, callback_data=SubmitCB(step="files_done"))
    return kb.as_markup()


def edit_keyboard(_: Translate) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for field, label in (
        ("kind", _("Type")),
        ("cat", _("Category")),
        ("text", _("Text")),
        ("files", _("Attachments")),
        ("anon", _("Identity")),
    ):
        kb.button(text=label, callback_data=SubmitCB(step="edit", value=field))
    kb.button(text=_("Back"), callback_data=SubmitCB(step="edit", value="back"))
    kb.adjust(2, 2, 2)
    return kb.as_markup()


async def back_to_preview(message: Reply, state: FSMContext, turn: Turn) -> bool:
    """While editing from the preview, one changed field returns there."""
    if not (await state.get_data()).get("editing"):
        return False
    await show_preview(message, state, turn)
    return True


async def show_preview(message: Reply, state: FSMContext, turn: Turn) -> None:
    await state.set_state(NewCase.preview)
    await state.update_data(editing=False)
    data = await state.get_data()
    _ = turn.translate
    text = turn.render(
        "student/preview.html",
        kind_label=labels.KIND[Kind(data["kind"])],
        category=turn.services.org.category(data["category"]),
        college=turn.services.org.college(data.get("college")),
        anonymous=bool(data.get("anonymous")),
        attachments=len(data.get("attachments", [])),
        body=data["text"],
        on_behalf=bool(data.get("on_behalf")),
        classmate=data.get("classmate_name"),
        public=bool(data.get("public")),
    )
    kb = Keyboard()
    kb.button(text=_("✅ Send"), callback_data=SubmitCB(step="send"))
    kb.button(text=_("✏️ Edit"), callback_data=SubmitCB(step="edit"))
    kb.button(text=_("Cancel"), callback_data=SubmitCB(step="cancel"))
    layout = [1, 2]
    if may_go_public(data, turn):
        # 我也遇到: others may join it once the officers have worded it and the student agreed.
        label = (
            _("🌐 Public version: requested")
            if data.get("public")
            else _("🌐 Ask to make it public")
        )
        kb.button(text=label, callback_data=SubmitCB(step="public"))
        layout.append(1)
    kb.adjust(*layout)
    if isinstance(message, Message):
        await message.answer(text, reply_markup=kb.as_markup())


# The preview's "Edit": each field is asked again with `editing` set, so its answer returns to
# the preview (`back_to_preview`); identity is the last step, which goes there anyway.
EDIT_STEPS: dict[str, Step] = {
    "back": show_preview,
    "kind": ask_kind,
    "cat": ask_category,
    "text": ask_text,
    "files": edit_files,
    "anon": edit_anonymity,
}
