"""/new: a student's suggestion or grievance, step by step, with a preview before it is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessageUnion,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.actions import Draft, check_text, submit_case
from bot.core.callbacks import SubmitCB
from bot.core.context import Services
from bot.core.render import Renderer
from bot.domain import labels
from bot.domain.workflow import (
    MAX_ATTACHMENTS,
    STUDENT_KINDS,
    TEXT_MAX,
    TEXT_MIN,
    Kind,
)
from handlers.common import (
    MENU_NEW,
    close_buttons,
    college_keyboard,
    consented_router,
    finish_unless_refused,
    free_input,
    main_menu,
    menu_texts,
    say_unsupported,
)
from handlers.media import attachment_of
from storage.models import User

Translate = Callable[[str], str]
# Where the next step is asked: a button's message may be too old for the bot to reach.
Reply = MaybeInaccessibleMessageUnion | None


class NewCase(StatesGroup):
    kind = State()
    category = State()
    text = State()
    files = State()
    anonymity = State()
    preview = State()


async def new(
    message: Message,
    state: FSMContext,
    user: User,
    services: Services,
    locale: str,
) -> None:
    await state.clear()
    if services.org.college(user.college_code) is None:
        # Every case is routed by college, so there is none to submit without one.
        await message.answer(
            services.renderer.render(locale, "student/choose_college.html"),
            reply_markup=college_keyboard(services, locale),
        )
        return
    await state.update_data(college=user.college_code)
    await _ask_kind(message, state, services, locale)


async def cancel_button(
    query: CallbackQuery, state: FSMContext, services: Services, locale: str
) -> None:
    await state.clear()
    await close_buttons(query)
    if isinstance(query.message, Message):
        await query.message.answer(
            services.renderer.render(locale, "student/cancelled.html"),
            reply_markup=main_menu(services.renderer, locale),
        )


async def chose_kind(
    query: CallbackQuery,
    callback_data: SubmitCB,
    state: FSMContext,
    services: Services,
    locale: str,
) -> None:
    if callback_data.value not in STUDENT_KINDS:
        await query.answer()
        return
    await state.update_data(kind=callback_data.value)
    await close_buttons(query)
    if not await _back_to_preview(query.message, state, services, locale):
        await _ask_category(query.message, state, services, locale)


async def chose_category(
    query: CallbackQuery,
    callback_data: SubmitCB,
    state: FSMContext,
    services: Services,
    locale: str,
    _: Translate,
) -> None:
    if services.org.category(callback_data.value) is None:
        await query.answer(_("Please choose from the list."), show_alert=True)
        return
    await state.update_data(category=callback_data.value)
    await close_buttons(query)
    if not await _back_to_preview(query.message, state, services, locale):
        await _ask_text(query.message, state, services, locale)


async def got_text(message: Message, state: FSMContext, services: Services, locale: str) -> None:
    text = message.text or ""
    problem = check_text(text)
    if problem is not None:
        await message.answer(
            services.renderer.render(
                locale,
                "student/text_invalid.html",
                reason=problem,
                min=TEXT_MIN,
                max=TEXT_MAX,
                length=len(text.strip()),
            )
        )
        return
    await state.update_data(text=text.strip())
    if not await _back_to_preview(message, state, services, locale):
        await _ask_files(message, state, services, locale)


async def text_expected(message: Message, services: Services, locale: str) -> None:
    await say_unsupported(message, services, locale, "text")


async def button_expected(message: Message, services: Services, locale: str) -> None:
    await say_unsupported(message, services, locale, "buttons")


async def got_file(message: Message, state: FSMContext, services: Services, locale: str) -> None:
    files: list[dict[str, Any]] = list((await state.get_data()).get("attachments", []))
    if len(files) >= MAX_ATTACHMENTS:
        await message.answer(
            services.renderer.render(locale, "student/files_limit.html", max=MAX_ATTACHMENTS),
            reply_markup=_files_keyboard(services, locale, len(files)),
        )
        return
    files.append(attachment_of(message))
    await state.update_data(attachments=files)
    await message.answer(
        services.renderer.render(
            locale, "student/file_added.html", count=len(files), max=MAX_ATTACHMENTS
        ),
        reply_markup=_files_keyboard(services, locale, len(files)),
    )


async def file_expected(
    message: Message, state: FSMContext, services: Services, locale: str
) -> None:
    count = len((await state.get_data()).get("attachments", []))
    await message.answer(
        services.renderer.render(locale, "student/unsupported.html", expecting="files"),
        reply_markup=_files_keyboard(services, locale, count),
    )


async def files_done(
    query: CallbackQuery, state: FSMContext, services: Services, locale: str
) -> None:
    await close_buttons(query)
    if not await _back_to_preview(query.message, state, services, locale):
        await _ask_anonymity(query.message, state, services, locale)


async def chose_anonymity(
    query: CallbackQuery,
    callback_data: SubmitCB,
    state: FSMContext,
    services: Services,
    locale: str,
) -> None:
    await state.update_data(anonymous=callback_data.value == "1")
    await close_buttons(query)
    await _show_preview(query.message, state, services, locale)


async def edit(
    query: CallbackQuery,
    callback_data: SubmitCB,
    state: FSMContext,
    services: Services,
    locale: str,
    _: Translate,
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if not callback_data.value:
        await query.message.edit_reply_markup(reply_markup=_edit_keyboard(_))
        return
    await state.update_data(editing=True)
    await query.message.edit_reply_markup(reply_markup=None)
    step = _EDIT_STEPS.get(callback_data.value)
    if step is not None:
        await step(query.message, state, services, locale)


async def send(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    services: Services,
    _: Translate,
) -> None:
    draft = _draft_of(await state.get_data())
    if draft is None:
        # A second press that was already queued when the first one sent the case.
        await query.answer(
            _("This step is no longer active. Send /new to start again."), show_alert=True
        )
        return
    submitted = submit_case(session=session, services=services, submitter=user, draft=draft)
    await finish_unless_refused(query, state, _, submitted, _("Sent"))


async def stale(query: CallbackQuery, _: Translate) -> None:
    await query.answer(
        _("This step is no longer active. Send /new to start again."), show_alert=True
    )


def _draft_of(data: dict[str, Any]) -> Draft | None:
    if not {"kind", "category", "text"} <= data.keys():
        return None
    return Draft(
        kind=data["kind"],
        category=data["category"],
        text=data["text"],
        anonymous=bool(data.get("anonymous")),
        attachments=list(data.get("attachments", [])),
    )


async def _ask_kind(message: Reply, state: FSMContext, services: Services, locale: str) -> None:
    _ = services.renderer.translator(locale)
    await state.set_state(NewCase.kind)
    kb = InlineKeyboardBuilder()
    for kind in STUDENT_KINDS:
        kb.button(text=_(labels.KIND[kind]), callback_data=SubmitCB(step="kind", value=kind))
    kb.button(text=_("Cancel"), callback_data=SubmitCB(step="cancel"))
    kb.adjust(2, 1)
    if isinstance(message, Message):
        await message.answer(
            services.renderer.render(locale, "student/new_kind.html"), reply_markup=kb.as_markup()
        )


async def _ask_category(message: Reply, state: FSMContext, services: Services, locale: str) -> None:
    await state.set_state(NewCase.category)
    kb = InlineKeyboardBuilder()
    for category in services.org.categories:
        kb.button(
            text=services.renderer.name_of(category, locale),
            callback_data=SubmitCB(step="cat", value=category.code),
        )
    kb.adjust(2)
    if isinstance(message, Message):
        await message.answer(
            services.renderer.render(locale, "student/new_category.html"),
            reply_markup=kb.as_markup(),
        )


async def _ask_text(message: Reply, state: FSMContext, services: Services, locale: str) -> None:
    await state.set_state(NewCase.text)
    if isinstance(message, Message):
        await message.answer(
            services.renderer.render(locale, "student/new_text.html", min=TEXT_MIN, max=TEXT_MAX)
        )


async def _ask_files(message: Reply, state: FSMContext, services: Services, locale: str) -> None:
    await state.set_state(NewCase.files)
    if isinstance(message, Message):
        await message.answer(
            services.renderer.render(locale, "student/new_files.html", max=MAX_ATTACHMENTS),
            reply_markup=_files_keyboard(services, locale, 0),
        )


async def _ask_anonymity(
    message: Reply, state: FSMContext, services: Services, locale: str
) -> None:
    _ = services.renderer.translator(locale)
    await state.set_state(NewCase.anonymity)
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Under my name"), callback_data=SubmitCB(step="anon", value="0"))
    kb.button(text=_("Anonymously"), callback_data=SubmitCB(step="anon", value="1"))
    kb.adjust(2)
    if isinstance(message, Message):
        await message.answer(
            services.renderer.render(locale, "student/new_anonymity.html"),
            reply_markup=kb.as_markup(),
        )


async def _edit_files(message: Reply, state: FSMContext, services: Services, locale: str) -> None:
    await state.update_data(attachments=[])
    await _ask_files(message, state, services, locale)


async def _edit_anonymity(
    message: Reply, state: FSMContext, services: Services, locale: str
) -> None:
    await state.update_data(editing=False)
    await _ask_anonymity(message, state, services, locale)


def _files_keyboard(services: Services, locale: str, count: int) -> InlineKeyboardMarkup:
    _ = services.renderer.translator(locale)
    kb = InlineKeyboardBuilder()
    label = _("Done") if count else _("No attachments")
    kb.button(text=label, callback_data=SubmitCB(step="files_done"))
    return kb.as_markup()


def _edit_keyboard(_: Translate) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
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


async def _back_to_preview(
    message: Reply, state: FSMContext, services: Services, locale: str
) -> bool:
    """While editing from the preview, one changed field returns there."""
    if not (await state.get_data()).get("editing"):
        return False
    await _show_preview(message, state, services, locale)
    return True


async def _show_preview(message: Reply, state: FSMContext, services: Services, locale: str) -> None:
    await state.set_state(NewCase.preview)
    await state.update_data(editing=False)
    data = await state.get_data()
    _ = services.renderer.translator(locale)
    text = services.renderer.render(
        locale,
        "student/preview.html",
        kind_label=labels.KIND[Kind(data["kind"])],
        category=services.org.category(data["category"]),
        college=services.org.college(data.get("college")),
        anonymous=bool(data.get("anonymous")),
        attachments=len(data.get("attachments", [])),
        body=data["text"],
    )
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✅ Send"), callback_data=SubmitCB(step="send"))
    kb.button(text=_("✏️ Edit"), callback_data=SubmitCB(step="edit"))
    kb.button(text=_("Cancel"), callback_data=SubmitCB(step="cancel"))
    kb.adjust(1, 2)
    if isinstance(message, Message):
        await message.answer(text, reply_markup=kb.as_markup())


# The preview's "Edit": each field is asked again with `editing` set, so its answer returns to
# the preview (`_back_to_preview`); identity is the last step, which goes there anyway.
_EDIT_STEPS: dict[str, Callable[[Reply, FSMContext, Services, str], Awaitable[None]]] = {
    "back": _show_preview,
    "kind": _ask_kind,
    "cat": _ask_category,
    "text": _ask_text,
    "files": _edit_files,
    "anon": _edit_anonymity,
}


def build_router(renderer: Renderer) -> Router:
    router = consented_router("submit")
    free = free_input(renderer)
    router.message.register(new, F.text.in_(menu_texts(renderer, MENU_NEW)))
    router.message.register(new, Command("new"))
    router.callback_query.register(cancel_button, SubmitCB.filter(F.step == "cancel"))
    router.callback_query.register(chose_kind, NewCase.kind, SubmitCB.filter(F.step == "kind"))
    router.callback_query.register(
        chose_category, NewCase.category, SubmitCB.filter(F.step == "cat")
    )
    router.message.register(got_text, NewCase.text, F.text, free)
    router.message.register(text_expected, NewCase.text, free)
    router.message.register(
        button_expected,
        StateFilter(NewCase.kind, NewCase.category, NewCase.anonymity, NewCase.preview),
        free,
    )
    router.message.register(got_file, NewCase.files, F.photo | F.document)
    router.message.register(file_expected, NewCase.files, free)
    router.callback_query.register(
        files_done, NewCase.files, SubmitCB.filter(F.step == "files_done")
    )
    router.callback_query.register(
        chose_anonymity, NewCase.anonymity, SubmitCB.filter(F.step == "anon")
    )
    router.callback_query.register(edit, NewCase.preview, SubmitCB.filter(F.step == "edit"))
    router.callback_query.register(send, NewCase.preview, SubmitCB.filter(F.step == "send"))
    router.callback_query.register(stale, SubmitCB.filter())
    return router
