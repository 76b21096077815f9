"""The officers' chat: card buttons, the texts they ask for, replies relayed to students."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.cases import actions, conversation, levels, officer_views, recategorise
from bot.casework.keyboards import DELEGATE, ESCALATE, RECATEGORISE
from bot.core.callbacks import CardCB, DeptCB, LevelCB, RecatCB
from bot.core.context import Turn
from bot.core.render import Translate
from bot.domain.workflow import TEXT_REQUIRED, Action, Actor, TransitionError
from handlers.common import NOT_COMMAND, Refused, done_unless_refused, error_text, unless_refused
from handlers.officers import lookup, mutes, prompts, publication, queue, record
from handlers.officers.chat import (
    ask_case_text,
    case_of_message,
    officers_router,
    replace_buttons,
)

ASKS_TEXT = [*(a.value for a in TEXT_REQUIRED | {Action.MERGE}), ESCALATE]
# What an officer may post in a case's thread that is not passed on to the student.
NOT_RELAYED = frozenset(
    {"sticker", "voice", "video", "video_note", "audio", "animation", "location", "contact"}
)


def build_router() -> Router:
    router = officers_router("officers")
    # Replies to the bot's prompts first: whatever they say, they are never relayed.
    router.include_routers(
        prompts.build_router(),
        lookup.build_router(),
        mutes.build_router(),
        publication.build_router(),
        queue.build_router(),
        record.build_router(),
        _build_cards_router(),
    )
    return router


def _build_cards_router() -> Router:
    router = Router(name="officer_cards")
    router.callback_query.register(accept, CardCB.filter(F.action == Action.ACCEPT))
    router.callback_query.register(
        departments_or_card, CardCB.filter(F.action.in_([Action.FORWARD, "cancel"]))
    )
    router.callback_query.register(forward, DeptCB.filter())
    router.callback_query.register(categories, CardCB.filter(F.action == RECATEGORISE))
    router.callback_query.register(recategorise_to, RecatCB.filter())
    router.callback_query.register(ask_case_text, CardCB.filter(F.action.in_(ASKS_TEXT)))
    router.callback_query.register(colleges, CardCB.filter(F.action == DELEGATE))
    router.callback_query.register(delegate_to, LevelCB.filter())
    router.message.register(officer_help, Command("help"))
    router.message.register(relay, F.text | F.photo | F.document, NOT_COMMAND)
    router.message.register(not_relayed, F.content_type.in_(NOT_RELAYED))
    return router


async def accept(query: CallbackQuery, callback_data: CardCB, turn: Turn, actor: Actor) -> None:
    await _act(query, turn, callback_data.case_id, Action.ACCEPT, actor)


async def departments_or_card(
    query: CallbackQuery, callback_data: CardCB, turn: Turn, actor: Actor, _: Translate
) -> None:
    """转办 shows the departments on the card; their 取消 brings its buttons back."""
    choosing = callback_data.action == Action.FORWARD
    buttons = officer_views.card_buttons(
        session=turn.session,
        services=turn.services,
        actor=actor,
        case_id=callback_data.case_id,
        departments=choosing,
    )
    markup = await unless_refused(query, _, buttons)
    if markup is Refused.REFUSED:
        return
    await query.answer(_("Choose the department") if choosing else None)
    await replace_buttons(query, markup)


async def forward(query: CallbackQuery, callback_data: DeptCB, turn: Turn, actor: Actor) -> None:
    case_id, department = callback_data.case_id, callback_data.dept
    await _act(query, turn, case_id, Action.FORWARD, actor, department)


async def categories(
    query: CallbackQuery, callback_data: CardCB, turn: Turn, actor: Actor, _: Translate
) -> None:
    """重新分类 shows the categories on the card; their 取消 brings its buttons back."""
    buttons = officer_views.category_buttons(
        session=turn.session, services=turn.services, actor=actor, case_id=callback_data.case_id
    )
    await _show_choices(query, _, buttons, _("Choose the new category"))


async def _show_choices(
    query: CallbackQuery, _: Translate, buttons: Awaitable[dict[str, Any]], prompt: str
) -> None:
    """A card's buttons replaced by a choice (the presser allowed), with the toast saying what
    to choose."""
    markup = await unless_refused(query, _, buttons)
    if markup is Refused.REFUSED:
        return
    await query.answer(prompt)
    await replace_buttons(query, markup)


async def recategorise_to(
    query: CallbackQuery, callback_data: RecatCB, turn: Turn, actor: Actor
) -> None:
    moved = recategorise.recategorise(
        session=turn.session,
        services=turn.services,
        actor=actor,
        case_id=callback_data.case_id,
        category=callback_data.category,
    )
    await done_unless_refused(query, turn.translate, moved)


async def colleges(
    query: CallbackQuery, callback_data: CardCB, turn: Turn, actor: Actor, _: Translate
) -> None:
    """下派 shows the colleges on the card; their 取消 brings its buttons back."""
    buttons = officer_views.level_buttons(
        session=turn.session, services=turn.services, actor=actor, case_id=callback_data.case_id
    )
    await _show_choices(query, _, buttons, _("Choose the college union"))


async def delegate_to(
    query: CallbackQuery, callback_data: LevelCB, turn: Turn, actor: Actor
) -> None:
    moved = levels.delegate(
        session=turn.session,
        services=turn.services,
        actor=actor,
        case_id=callback_data.case_id,
        college=callback_data.college,
    )
    await done_unless_refused(query, turn.translate, moved)


async def officer_help(message: Message, turn: Turn) -> None:
    await message.answer(
        turn.services.renderer.render(
            turn.services.group_locale,
            "group/officer_help.html",
            marker=turn.services.org.internal_marker,
        )
    )


async def relay(message: Message, turn: Turn, actor: Actor, _: Translate) -> None:
    case = await case_of_message(turn.session, message)
    if case is None or case.id is None:
        return
    attached = message.photo or message.document
    try:
        await conversation.officer_reply(
            session=turn.session,
            services=turn.services,
            case_id=case.id,
            actor=actor,
            text=message.text or message.caption,
            copy_from=(message.chat.id, message.message_id) if attached else None,
        )
    except TransitionError as exc:
        await message.reply(error_text(_, exc))


async def not_relayed(message: Message, turn: Turn, _: Translate) -> None:
    # Said in a case's thread, it looks sent; say that it was not.
    case = await case_of_message(turn.session, message)
    if case is not None:
        await message.reply(_("Only text, photos and files reach the student; not sent."))


async def _act(
    query: CallbackQuery,
    turn: Turn,
    case_id: int,
    action: Action,
    actor: Actor,
    department: str | None = None,
) -> None:
    # Through the module, not an imported name: tests/reliability/test_errors.py replaces it there.
    applied = actions.apply_action(
        session=turn.session,
        services=turn.services,
        case_id=case_id,
        action=action,
        actor=actor,
        department=department,
    )
    await done_unless_refused(query, turn.translate, applied)
