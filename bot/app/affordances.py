"""What Telegram shows of the bot before anyone writes to it: each audience's command menu, the
bot's descriptions and the menu button, in Chinese (Telegram's default) and English.

Set at every start. Telegram refusing one of them (or not answering) costs only that one: it is
logged and the bot starts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeChatAdministrators,
    BotCommandScopeUnion,
    MenuButtonCommands,
)

from bot.core import logs
from bot.core.render import Renderer, Translate
from bot.domain.chats import COMMITTEE, OFFICERS, SENSITIVE

log = logging.getLogger(__name__)
# The Chinese texts are what anyone whose Telegram speaks neither language sees.
LANGUAGES = (("zh_Hans", None), ("en", "en"))
# A Telegram that does not answer delays the start by this much, not by aiogram's minute.
REQUEST_TIMEOUT = 10


def students(_: Translate) -> list[BotCommand]:
    return _menu(
        ("new", _("Submit feedback")),
        ("my", _("My cases")),
        ("proposals", _("Congress proposals")),
        ("propose", _("Write a proposal (student representatives)")),
        ("board", _("Public concerns: Me too / +1")),
        ("mycollege", _("My college's cases (student representatives)")),
        ("onbehalf", _("Submit for a classmate (student representatives)")),
        ("review", _("My semester review ballot (review panel)")),
        ("townhall", _("Face-to-face town halls: sessions, questions, votes")),
        ("cancel", _("Cancel the current step")),
        ("help", _("Help")),
        ("language", _("Language")),
        ("college", _("Change college")),
        ("mydata", _("What is stored about me")),
        ("deleteme", _("Erase my data")),
    )


def officers(_: Translate) -> list[BotCommand]:
    return _menu(
        ("queue", _("Open cases, oldest first")),
        ("case", _("Open a case by its number")),
        ("find", _("Search the cases' texts")),
        ("audit", _("A case's log: /audit G2026-0042")),
        ("intake", _("Register a case received on paper, by mailbox, in person or by phone")),
        ("record", _("Record a department's answer sent on paper or by e-mail")),
        ("mute", _("Mute a case's author for a while, with a reason")),
        ("unmute", _("End a case author's mute; what was held arrives")),
        ("discard", _("Drop what a muted author sent, unread")),
        ("townhall", _("Town halls: create, moderate, answer, export")),
        ("cancel", _("Drop the text I was asked for")),
        ("help", _("Officers' commands")),
    )


def officers_admins(_: Translate) -> list[BotCommand]:
    """A chat's administrators see this menu instead of the chat's, so it repeats it."""
    return [
        *officers(_),
        *_menu(
            ("failed", _("Messages that could not be delivered (admins)")),
            ("roles", _("Who holds which role (admins)")),
            ("grant", _("Give a role: admin, officer, liaison, reader (admins)")),
            ("revoke", _("Take a role away (admins)")),
            ("officer", _("Give the officer role, in reply to a message (admins)")),
            ("unofficer", _("Take the officer role away (admins)")),
            ("liaison", _("Name a department's liaison (admins)")),
            ("unliaison", _("Take the liaison role away (admins)")),
            ("bind", _("Bind this chat to its purpose (admins)")),
        ),
    ]


def committee(_: Translate) -> list[BotCommand]:
    return _menu(
        ("digest", _("This week's digest so far")),
        ("review", _("Semester review: /review status or /review results")),
    )


def committee_admins(_: Translate) -> list[BotCommand]:
    return [*committee(_), *_menu(("bind", _("Bind this chat to its purpose (admins)")))]


def _menu(*items: tuple[str, str]) -> list[BotCommand]:
    return [BotCommand(command=command, description=text) for command, text in items]


@dataclass(frozen=True)
class Menu:
    audience: str  # for the log
    scope: BotCommandScopeUnion
    commands: Callable[[Translate], list[BotCommand]]


def menus(chats: Mapping[str, int]) -> list[Menu]:
    """The private chats' menu, and one for each bound chat and for its administrators."""
    found = [Menu("students'", BotCommandScopeAllPrivateChats(), students)]
    for purpose in (OFFICERS, SENSITIVE, COMMITTEE):
        chat_id = chats.get(purpose)
        if chat_id is None:
            continue
        members, admins = (
            (committee, committee_admins)
            if purpose == COMMITTEE
            else (
                officers,
                officers_admins,
            )
        )
        found.append(Menu(f"{purpose} chat's", BotCommandScopeChat(chat_id=chat_id), members))
        found.append(
            Menu(
                f"{purpose} chat administrators'",
                BotCommandScopeChatAdministrators(chat_id=chat_id),
                admins,
            )
        )
    return found


async def present(bot: Bot, renderer: Renderer, chats: Mapping[str, int]) -> None:
    """Every menu and description in both languages, and the menu button; asked side by side,
    so a Telegram that does not answer holds the start up for one timeout, not one each."""
    calls: list[tuple[str, Awaitable[bool]]] = []
    for locale, language in LANGUAGES:
        _ = renderer.translator(locale)
        for menu in menus(chats):
            call = bot.set_my_commands(
                menu.commands(_),
                scope=menu.scope,
                language_code=language,
                request_timeout=REQUEST_TIMEOUT,
            )
            calls.append((f"the {menu.audience} command menu ({locale})", call))
        description = bot.set_my_description(
            _(
                "StudentVoice, the student union's feedback and rights platform. Send a "
                "grievance or a suggestion, anonymously if you wish, and follow it through the "
                "university's departments until the answer reaches you; then rate it. Student "
                "representatives write congress proposals here, and every student can read, "
                "follow and support them."
            ),
            language_code=language,
            request_timeout=REQUEST_TIMEOUT,
        )
        calls.append((f"the description ({locale})", description))
        short = bot.set_my_short_description(
            _("The student union's feedback and rights platform: tell us, follow it, rate it."),
            language_code=language,
            request_timeout=REQUEST_TIMEOUT,
        )
        calls.append((f"the short description ({locale})", short))
    button = bot.set_chat_menu_button(
        menu_button=MenuButtonCommands(), request_timeout=REQUEST_TIMEOUT
    )
    calls.append(("the menu button", button))
    await asyncio.gather(*(_attempt(what, call) for what, call in calls))


async def _attempt(what: str, call: Awaitable[bool]) -> None:
    try:
        await call
    except Exception as exc:
        log.warning("%s could not be set: %s", what, logs.exception_text(exc))
