"""/intake in the officers' chat: a case received on paper, by the mailbox (意见箱), at a
face-to-face session (面对面座谈) or by phone, registered step by step with a preview; 登记
commits it, then its card appears and the officer gets the invite link for the student."""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.casework import chats
from bot.core.callbacks import IntakeCB
from bot.core.context import Turn
from bot.core.render import Translate
from bot.domain.intake import INVITE_DAYS, OFFLINE_SOURCES, day_problem, parse_day
from bot.domain.workflow import STUDENT_KINDS, Actor
from bot.intake.register import register
from bot.proposals.core import start_link
from handlers import drafts
from handlers.common import NOT_COMMAND, Handler, Refused, close_buttons, unless_refused
from handlers.drafts import Step
from handlers.officers import intake_steps as steps
from handlers.officers.chat import OFFICER_ROLES, OfficerChat, actor_of
from handlers.officers.intake_steps import Intake


class IntakeOfficers(BaseMiddleware):
    """Only officers register cases; anyone else in the chat is told so (not silently ignored:
    /intake looks like something anyone may try)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        turn: Turn = data["turn"]
        if turn.roles & OFFICER_ROLES:
            chat = event.chat.id if isinstance(event, Message) else _chat(event)
            data["actor"] = actor_of(turn.sender, turn.roles, chat)
            return await handler(event, data)
        _ = turn.translate
        refusal = _("Only rights officers can register cases received offline.")
        if isinstance(event, CallbackQuery):
            await event.answer(refusal, show_alert=True)
        elif isinstance(event, Message):
            await event.reply(refusal)
        return None


def _chat(event: TelegramObject) -> int | None:
    message = event.message if isinstance(event, CallbackQuery) else None
    return message.chat.id if message is not None else None


def build_router() -> Router:
    router = Router(name="officer_intake")
    router.message.filter(OfficerChat())
    router.callback_query.filter(OfficerChat())
    router.message.middleware(IntakeOfficers())
    router.callback_query.middleware(IntakeOfficers())
    router.message.register(start, Command("intake"))
    router.message.register(cancel, Command("cancel"), StateFilter(Intake))
    router.callback_query.register(cancel_button, IntakeCB.filter(F.step == "cancel"))
    router.callback_query.register(chose_source, Intake.source, IntakeCB.filter(F.step == "source"))
    router.callback_query.register(chose_day, Intake.day, IntakeCB.filter(F.step == "day"))
    router.message.register(typed_day, Intake.day, F.text, NOT_COMMAND)
    router.callback_query.register(chose_kind, Intake.kind, IntakeCB.filter(F.step == "kind"))
    router.callback_query.register(
        chose_category, Intake.category, IntakeCB.filter(F.step == "cat")
    )
    router.callback_query.register(
        chose_college, Intake.college, IntakeCB.filter(F.step == "college")
    )
    router.message.register(got_text, Intake.text, F.text, NOT_COMMAND)
    router.message.register(got_file, Intake.files, F.photo | F.document)
    router.callback_query.register(
        files_done, Intake.files, IntakeCB.filter(F.step == "files_done")
    )
    router.callback_query.register(
        chose_anonymity, Intake.anonymity, IntakeCB.filter(F.step == "anon")
    )
    router.callback_query.register(commit, Intake.preview, IntakeCB.filter(F.step == "register"))
    router.callback_query.register(stale, IntakeCB.filter())
    return router


async def start(message: Message, state: FSMContext, turn: Turn) -> None:
    await state.clear()
    await steps.ask_source(message, state, turn)


async def cancel(message: Message, state: FSMContext, _: Translate) -> None:
    await state.clear()
    await message.reply(_("Registration cancelled; nothing was registered."))


async def cancel_button(query: CallbackQuery, state: FSMContext, _: Translate) -> None:
    if await state.get_state() is None:
        await stale(query, _)
        return
    await state.clear()
    await close_buttons(query, _("Registration cancelled; nothing was registered."))


async def chose_source(
    query: CallbackQuery, callback_data: IntakeCB, state: FSMContext, turn: Turn
) -> None:
    value = callback_data.value
    await _chose(query, state, turn, "source", value, value in OFFLINE_SOURCES, steps.ask_day)


async def chose_day(
    query: CallbackQuery, callback_data: IntakeCB, state: FSMContext, turn: Turn
) -> None:
    # The button's day was today or yesterday when it was shown, which is checked again.
    day = parse_day(callback_data.value)
    if day is None or day_problem(day, steps.today(turn)) is not None:
        await query.answer(turn.translate("This step is over."), show_alert=True)
        return
    await state.update_data(day=day.isoformat())
    await close_buttons(query)
    await steps.ask_kind(query.message, state, turn)


async def typed_day(message: Message, state: FSMContext, turn: Turn) -> None:
    day = parse_day(message.text or "")
    reason = "format" if day is None else day_problem(day, steps.today(turn))
    if reason is not None:
        await message.reply(
            turn.render("group/intake_bad_day.html", reason=reason, today=steps.today(turn))
        )
        return
    assert day is not None
    await state.update_data(day=day.isoformat())
    await steps.ask_kind(message, state, turn)


async def chose_kind(
    query: CallbackQuery, callback_data: IntakeCB, state: FSMContext, turn: Turn
) -> None:
    value = callback_data.value
    await _chose(query, state, turn, "kind", value, value in STUDENT_KINDS, steps.ask_category)


async def chose_category(
    query: CallbackQuery, callback_data: IntakeCB, state: FSMContext, turn: Turn, _: Translate
) -> None:
    value = callback_data.value
    category = turn.services.org.category(value)
    if (
        category is not None
        and category.sensitive
        and query.message is not None
        and await chats.sensitive_kept_elsewhere(
            session=turn.session, chat_id=query.message.chat.id
        )
    ):
        # The form's text would be typed here, where a sensitive case's words must not be.
        await query.answer(
            _(
                "A sensitive case is registered in the sensitive cases' chat, so that its words "
                "never appear here: start /intake there."
            ),
            show_alert=True,
        )
        return
    await _chose(query, state, turn, "category", value, category is not None, steps.ask_college)


async def chose_college(
    query: CallbackQuery, callback_data: IntakeCB, state: FSMContext, turn: Turn
) -> None:
    value = callback_data.value
    known = turn.services.org.college(value) is not None
    await _chose(query, state, turn, "college", value, known, steps.ask_text)


async def _chose(
    query: CallbackQuery,
    state: FSMContext,
    turn: Turn,
    field: str,
    value: str,
    valid: bool,
    then: Step,
) -> None:
    """A button's choice kept as the form's `field`, then the next step; a button that names
    nothing valid (an old keyboard, a changed organisation file) is only acknowledged."""
    if not valid:
        await query.answer()
        return
    await state.update_data({field: value})
    await close_buttons(query)
    await then(query.message, state, turn)


async def got_text(message: Message, state: FSMContext, turn: Turn) -> None:
    text = message.text or ""
    refusal = drafts.text_refusal(turn, text)
    if refusal is not None:
        await message.reply(refusal)
        return
    await state.update_data(text=text.strip())
    await steps.ask_files(message, state, turn)


async def got_file(message: Message, state: FSMContext, turn: Turn) -> None:
    text, count = await drafts.file_answer(message, state, turn)
    await message.reply(text, reply_markup=steps.files_keyboard(turn, count))


async def files_done(query: CallbackQuery, state: FSMContext, turn: Turn) -> None:
    await close_buttons(query)
    await steps.ask_anonymity(query.message, state, turn)


async def chose_anonymity(
    query: CallbackQuery, callback_data: IntakeCB, state: FSMContext, turn: Turn
) -> None:
    await state.update_data(anonymous=callback_data.value != "0")
    await close_buttons(query)
    await steps.show_preview(query.message, state, turn)


async def commit(query: CallbackQuery, state: FSMContext, turn: Turn, actor: Actor) -> None:
    _ = turn.translate
    draft = steps.draft_of(await state.get_data())
    if draft is None:
        await stale(query, _)
        return
    registered = await unless_refused(
        query,
        _,
        register(session=turn.session, services=turn.services, registrar=actor, draft=draft),
    )
    if registered is Refused.REFUSED:
        return
    await state.clear()
    # Told once the transaction commits (`bot.delivery.deferred`), like the card itself.
    await close_buttons(query, _("Registered"))
    username = turn.services.settings.bot_username
    if username is None and query.bot is not None:
        username = (await query.bot.me()).username
    link = start_link(username, registered.payload or "")
    if isinstance(query.message, Message):
        await query.message.answer(
            turn.render(
                "group/intake_registered.html",
                case=registered.case,
                link=link,
                days=INVITE_DAYS,
            )
        )


async def stale(query: CallbackQuery, _: Translate) -> None:
    await query.answer(
        _("This step is no longer active. Send /intake to start again."), show_alert=True
    )
