"""/mute, /unmute and /discard in the officers' chat: about a case's author, named by the
case (its number, or the thread the command is sent in) — never by who they are."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.cases import mutes, officer_views
from bot.core.context import Turn
from bot.core.render import Translate
from bot.domain.mutes import parse_duration
from bot.domain.workflow import Actor, TransitionError
from handlers.common import error_text
from handlers.officers.chat import case_of_message
from storage.models import Case

CASE_NUMBER = re.compile(r"^[A-Za-z]\d{4}-\d+$")


def build_router() -> Router:
    router = Router(name="officer_mutes")
    router.message.register(mute, Command("mute"))
    router.message.register(unmute, Command("unmute"))
    router.message.register(discard, Command("discard"))
    return router


async def case_named(message: Message, turn: Turn, args: str) -> tuple[Case | None, str]:
    """The case named first in `args`, else the one whose thread the command is in; and the
    rest of `args`."""
    first, _, rest = args.strip().partition(" ")
    if CASE_NUMBER.match(first):
        return await officer_views.case_by_number(session=turn.session, number=first), rest
    return await case_of_message(turn.session, message), args


async def mute(
    message: Message, command: CommandObject, turn: Turn, actor: Actor, _: Translate
) -> None:
    case, rest = await case_named(message, turn, command.args or "")
    length, _space, reason = rest.strip().partition(" ")
    duration = parse_duration(length)
    if case is None or case.id is None or duration is None or not reason.strip():
        await message.reply(
            _(
                "Usage: /mute G2026-0042 3d reason (or /mute 3d reason in the case's thread); "
                "a duration of minutes (m), hours (h), days (d) or weeks (w), at most 90 days."
            )
        )
        return
    try:
        muted = await mutes.mute(
            session=turn.session,
            services=turn.services,
            actor=actor,
            case_id=case.id,
            duration=duration,
            reason=reason,
        )
    except TransitionError as exc:
        await message.reply(error_text(_, exc))
        return
    until = turn.services.renderer.format_time(muted.until)
    await message.reply(
        _(
            "%(number)s: its author is muted until %(until)s. What they send meanwhile is held "
            "and reaches this chat then; /unmute ends it sooner, /discard drops what is held."
        )
        % {"number": case.number, "until": until}
    )


async def unmute(
    message: Message, command: CommandObject, turn: Turn, actor: Actor, _: Translate
) -> None:
    await _end_hold(
        message,
        command,
        turn,
        actor,
        _,
        act=mutes.unmute,
        usage=_("Usage: /unmute G2026-0042 (or /unmute in the case's thread)."),
        done=_("%(number)s: its author is no longer muted; %(count)s held messages are released."),
    )


async def discard(
    message: Message, command: CommandObject, turn: Turn, actor: Actor, _: Translate
) -> None:
    await _end_hold(
        message,
        command,
        turn,
        actor,
        _,
        act=mutes.discard,
        usage=_("Usage: /discard G2026-0042 (or /discard in the case's thread)."),
        done=_("%(number)s: %(count)s held messages of its author were discarded unread."),
    )


async def _end_hold(
    message: Message,
    command: CommandObject,
    turn: Turn,
    actor: Actor,
    _: Translate,
    *,
    act: Callable[..., Awaitable[int]],
    usage: str,
    done: str,
) -> None:
    """/unmute and /discard: what was held goes to the threads, or nowhere; `done` says how
    many."""
    case, _rest = await case_named(message, turn, command.args or "")
    if case is None or case.id is None:
        await message.reply(usage)
        return
    try:
        count = await act(
            session=turn.session, services=turn.services, actor=actor, case_id=case.id
        )
    except TransitionError as exc:
        await message.reply(error_text(_, exc))
        return
    await message.reply(done % {"number": case.number, "count": count})
