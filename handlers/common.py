"""What several routers share: the main menu, the consent gate, telling a refusal, the small
steps of a dialogue (its stored id, what it expects, ending it), admin commands' target."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar

from aiogram import BaseMiddleware, F, Router
from aiogram.dispatcher.flags import get_flag
from aiogram.filters import Command, Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    TelegramObject,
)
from magic_filter import MagicFilter

from bot.core.callbacks import StartCB
from bot.core.context import Turn
from bot.core.i18n import LOCALES
from bot.core.markup import Keyboard
from bot.core.render import Renderer, Translate
from bot.domain import labels
from bot.domain.text import N_
from bot.domain.workflow import TransitionError
from bot.privacy import consent

# Commands leave whatever step a person is in, so no step may swallow them as input.
NOT_COMMAND = ~F.text.startswith("/")

T = TypeVar("T")

MENU_NEW = N_("📝 New feedback")
MENU_MY = N_("📂 My cases")
MENU_HELP = N_("❓ Help")


def menu_texts(renderer: Renderer, label: str) -> set[str]:
    """A menu button's text in every language, so a button from before a language switch works."""
    return {renderer.gettext(locale, label) for locale in LOCALES}


def menu_command(
    router: Router,
    handler: Callable[..., Awaitable[None]],
    renderer: Renderer,
    label: str,
    name: str,
    flags: dict[str, Any] | None = None,
) -> None:
    """The menu's button does what its command does."""
    router.message.register(handler, Command(name), flags=flags)
    router.message.register(handler, F.text.in_(menu_texts(renderer, label)), flags=flags)


def free_input(renderer: Renderer) -> MagicFilter:
    """Input a step may take: the persistent menu's buttons act like commands, so they are not."""
    menus = set().union(*(menu_texts(renderer, label) for label in (MENU_NEW, MENU_MY, MENU_HELP)))
    return NOT_COMMAND & ~F.text.in_(menus)


def main_menu(turn: Turn) -> ReplyKeyboardMarkup:
    _ = turn.translate
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_(MENU_NEW)), KeyboardButton(text=_(MENU_MY))],
            [KeyboardButton(text=_(MENU_HELP))],
        ],
        resize_keyboard=True,
        is_persistent=True,
    )


def start_buttons(*buttons: tuple[str, StartCB]) -> InlineKeyboardMarkup:
    """The onboarding and privacy dialogues' choices, two a row."""
    kb = Keyboard()
    for text, data in buttons:
        kb.button(text=text, callback_data=data)
    kb.adjust(2)
    return kb.as_markup()


async def ask_college(message: Message, turn: Turn) -> None:
    """Every case is routed by college: onboarding asks for one, and so does /new without one."""
    name_of = turn.services.renderer.name_of
    await message.answer(
        turn.render("student/choose_college.html"),
        reply_markup=start_buttons(
            *(
                (name_of(college, turn.locale), StartCB(action="college", value=college.code))
                for college in turn.services.org.colleges
            )
        ),
    )


async def send_privacy_notice(
    message: Message, turn: Turn, *, changed: bool = False, buttons: bool = True
) -> None:
    """The privacy notice with its agree / do not agree buttons: using the bot begins here,
    and goes on after every change of the notice (`changed`). The buttons name the version
    they answer, so a press on an older notice cannot agree to a newer one."""
    _ = turn.translate
    org_name = turn.services.org.name_en if turn.locale == "en" else turn.services.org.name_zh
    version = turn.services.org.privacy.notice_version
    await message.answer(
        turn.render(
            "student/privacy.html",
            org_name=org_name,
            changed=changed,
            version=version,
            asked=buttons,
            user=turn.user,
            retention_days=turn.services.settings.retention_days,
            per_day=turn.services.settings.limit_submissions_per_day,
            per_minute=turn.services.settings.limit_messages_per_minute,
        ),
        reply_markup=start_buttons(
            (_("I agree"), StartCB(action="consent", value=version)),
            (_("I do not agree"), StartCB(action="decline", value=version)),
        )
        if buttons
        else None,
    )


def error_text(_: Translate, error: TransitionError) -> str:
    return _(labels.TRANSITION_ERROR.get(error.reason, labels.TRANSITION_ERROR["invalid"]))


class Refused(Enum):
    """What `unless_refused` gives back when the service said no; the person was told why."""

    REFUSED = "refused"


async def unless_refused(
    event: CallbackQuery | Message, _: Translate, call: Awaitable[T]
) -> T | Refused:
    """Await one service call; a refusal is told to whoever pressed (as an alert) or wrote."""
    try:
        return await call
    except TransitionError as exc:
        if isinstance(event, CallbackQuery):
            await event.answer(error_text(_, exc), show_alert=True)
        else:
            await event.answer(error_text(_, exc))
        return Refused.REFUSED


async def finish_unless_refused(
    query: CallbackQuery,
    state: FSMContext,
    _: Translate,
    call: Awaitable[object],
    toast: str | None = None,
) -> None:
    """A dialogue's last press: once the service agreed, the dialogue ends and its buttons go."""
    if await unless_refused(query, _, call) is Refused.REFUSED:
        return
    await state.clear()
    await close_buttons(query, toast)


async def done_unless_refused(query: CallbackQuery, _: Translate, call: Awaitable[object]) -> None:
    """An officer's button whose service either did it ("Done") or said why not."""
    if await unless_refused(query, _, call) is not Refused.REFUSED:
        await query.answer(_("Done"))


# What a router's middleware passes the update on to.
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ConsentGate(BaseMiddleware):
    """Students who have not agreed to the privacy notice may only read /help and /start."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        turn: Turn = data["turn"]
        if turn.user is not None and turn.user.consent_at is not None:
            return await handler(event, data)
        text = turn.render("student/need_consent.html")
        if isinstance(event, Message):
            await event.answer(text)
        elif isinstance(event, CallbackQuery):
            await event.answer(text[:200], show_alert=True)
        return None


class NoticeChanged(BaseMiddleware):
    """A student who agreed to an earlier privacy notice and has not answered the one in force
    is shown it with its buttons on their next message, which is then handled as usual: what
    only reads goes on working, what submits is refused by `SubmitGate` until they agree."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        turn: Turn = data["turn"]
        if (
            isinstance(event, Message)
            and event.chat.type == "private"
            and not (event.text or "").startswith("/privacy")
            and turn.user is not None
            and turn.user.consent_at is not None
            and not consent.is_current(turn.user, turn.services.org.privacy.notice_version)
            and await consent.standing(
                session=turn.session,
                user=turn.user,
                version=turn.services.org.privacy.notice_version,
            )
            is consent.Standing.ASK
        ):
            await send_privacy_notice(event, turn, changed=True)
        return await handler(event, data)


# A handler that submits something new (a case, information, a rating, a proposal, a 附议, a
# +1) is registered with these flags: `SubmitGate` lets it run only for the notice in force.
SUBMITS = {"submits": True}


class SubmitGate(BaseMiddleware):
    """Nothing new is submitted by a student who has not agreed to the privacy notice in force;
    they are told why, with a button to read it again."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        turn: Turn = data["turn"]
        user, version = turn.user, turn.services.org.privacy.notice_version
        # Someone who never agreed is not a student here (staff), or is stopped before this.
        agreed_before = user is not None and user.consent_at is not None
        if not get_flag(data, "submits") or not agreed_before or consent.is_current(user, version):
            return await handler(event, data)
        _ = turn.translate
        text = turn.render("student/consent_needed_to_submit.html")
        review = start_buttons((_("Read the privacy notice"), StartCB(action="notice")))
        if isinstance(event, CallbackQuery):
            await event.answer()
            if isinstance(event.message, Message):
                await event.message.answer(text, reply_markup=review)
        elif isinstance(event, Message):
            await event.answer(text, reply_markup=review)
        return None


# What someone may do before agreeing to the privacy notice: read it (again), answer it, get help.
BEFORE_CONSENT_COMMANDS = frozenset({"start", "help", "privacy"})
BEFORE_CONSENT_BUTTONS = frozenset({"consent", "decline", "notice"})


class NeedsConsent(Filter):
    """A person who has not agreed yet, doing anything other than /start, /help or answering.

    Staff (officers, liaisons) are let through: their private chats are not students' ones.
    """

    async def __call__(self, event: TelegramObject, turn: Turn) -> bool:
        if turn.roles or (turn.user is not None and turn.user.consent_at is not None):
            return False
        if isinstance(event, CallbackQuery):
            try:
                action = StartCB.unpack(event.data or "").action
            except (TypeError, ValueError):
                return True
            return action not in BEFORE_CONSENT_BUTTONS
        if isinstance(event, Message):
            text = event.text or ""
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
                return command not in BEFORE_CONSENT_COMMANDS
            return text not in menu_texts(turn.services.renderer, MENU_HELP)
        return False


async def stored_id(state: FSMContext, key: str) -> int:
    """The id of what a dialogue is about, kept in the FSM data by an earlier step."""
    return int((await state.get_data())[key])


async def end_dialogue(state: FSMContext, key: str) -> int:
    """A dialogue's last step: it ends here, leaving the id of what it was about."""
    found = await stored_id(state, key)
    await state.clear()
    return found


async def say_unsupported(message: Message, turn: Turn, expecting: str) -> None:
    """Tell what the current step takes (`expecting`: text, files, buttons, or "" for none)."""
    await message.answer(turn.render("student/unsupported.html", expecting=expecting))


async def close_buttons(query: CallbackQuery, toast: str | None = None) -> None:
    """Answer the press and take its message's buttons away: an old step cannot be pressed again."""
    await query.answer(toast)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)


async def show_in_place(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Answer the press and turn its message into the next page, rather than sending another."""
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)


def private_router(name: str) -> Router:
    """A router that hears only private chats with the bot."""
    router = Router(name=name)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    return router


def consented_router(name: str) -> Router:
    """A private chats' router for students who have agreed to the privacy notice; its
    handlers flagged `SUBMITS` need the version in force."""
    router = private_router(name)
    router.message.middleware(ConsentGate())
    router.callback_query.middleware(ConsentGate())
    gate_submissions(router)
    return router


def gate_submissions(router: Router) -> None:
    router.message.middleware(SubmitGate())
    router.callback_query.middleware(SubmitGate())


def replied_person(message: Message) -> tuple[int, str] | None:
    """The person (not a bot) whose message an admin's command replies to: (id, name)."""
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and not reply.from_user.is_bot:
        return reply.from_user.id, reply.from_user.full_name
    return None


def shown_name(name: str) -> str:
    # A Telegram name is user text, sent as HTML.
    return html.escape(name, quote=False)


async def admins_only(message: Message, turn: Turn) -> bool:
    """True for an admin; anyone else is told the command is not theirs."""
    _ = turn.translate
    if "admin" in turn.roles:
        return True
    await message.reply(_("Only admins can do this."))
    return False
