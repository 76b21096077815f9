"""Admins: /roles (who holds what), /grant and /revoke, in private or in a group."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.core.context import Turn
from bot.core.render import Translate
from bot.domain.text import N_
from bot.privacy import roles
from handlers.common import Refused, shown_name, unless_refused

ROLE_NAME = {
    "admin": N_("admin"),
    "officer": N_("rights officer"),
    "liaison": N_("department liaison"),
    "reader": N_("committee reader"),
}


def build_router() -> Router:
    router = Router(name="roles")
    router.message.register(listing, Command("roles"))
    router.message.register(grant, Command("grant"))
    router.message.register(revoke, Command("revoke"))
    return router


async def listing(message: Message, turn: Turn, _: Translate) -> None:
    shown = await unless_refused(
        message,
        _,
        roles.roles_view(
            session=turn.session,
            services=turn.services,
            user_id=turn.sender.id,
            chat_id=message.chat.id,
            private=message.chat.type == "private",
        ),
    )
    if shown is not Refused.REFUSED:
        await message.answer(shown)


async def grant(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    await _change(
        message,
        command,
        turn,
        _,
        change=roles.grant,
        unscoped="",
        usage=_(
            "Usage: /grant admin|officer|liaison|reader @username|id "
            "[department code | college:code]"
        ),
        done=_("%(name)s now holds the role: %(role)s."),
    )


async def revoke(message: Message, command: CommandObject, turn: Turn, _: Translate) -> None:
    await _change(
        message,
        command,
        turn,
        _,
        change=roles.revoke,
        unscoped=None,  # every scope the person holds it in
        usage=_(
            "Usage: /revoke admin|officer|liaison|reader @username|id "
            "[department code | college:code]"
        ),
        done=_("%(name)s no longer holds the role: %(role)s."),
    )


async def _change(
    message: Message,
    command: CommandObject,
    turn: Turn,
    _: Translate,
    *,
    change: Callable[..., Awaitable[Any]],
    unscoped: str | None,
    usage: str,
    done: str,
) -> None:
    """/grant and /revoke: the service decides; `done` names the person and the role."""
    words = _words(command)
    if words is None:
        await message.reply(usage)
        return
    role, who, scope = words
    changed = await unless_refused(
        message,
        _,
        change(
            session=turn.session,
            services=turn.services,
            operator=roles.Operator(user_id=turn.sender.id),
            role=role,
            who=who,
            scope=scope or unscoped,
        ),
    )
    if changed is not Refused.REFUSED:
        await message.reply(done % {"name": _name(changed), "role": _(ROLE_NAME[changed.role])})


def _words(command: CommandObject) -> tuple[str, str, str | None] | None:
    words = (command.args or "").split()
    if len(words) not in (2, 3):
        return None
    return words[0], words[1], words[2] if len(words) == 3 else None


def _name(change: roles.Change) -> str:
    return shown_name(roles.person_name(change.user, change.user.id))
