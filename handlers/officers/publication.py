"""/public in the officers' chat: the public wording of a case whose student asked to make it
public, sent to the student to accept (the case named by its number, or the thread)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.concerns import publication
from bot.core.context import Turn
from bot.core.render import Translate
from bot.domain.workflow import Actor, TransitionError
from handlers.common import error_text
from handlers.officers.mutes import case_named


def build_router() -> Router:
    router = Router(name="officer_publication")
    router.message.register(public, Command("public"))
    return router


async def public(
    message: Message, command: CommandObject, turn: Turn, actor: Actor, _: Translate
) -> None:
    case, wording = await case_named(message, turn, command.args or "")
    if case is None or case.id is None or not wording.strip():
        await message.reply(
            _(
                "Usage: /public G2026-0042 the public wording (or /public the wording, in the "
                "case's thread). Its student sees it and accepts it before it is published."
            )
        )
        return
    try:
        await publication.draft(
            session=turn.session,
            services=turn.services,
            actor=actor,
            case_id=case.id,
            text=wording,
        )
    except TransitionError as exc:
        await message.reply(error_text(_, exc))
        return
    await message.reply(
        _("%(number)s: the public wording was sent to its student to accept.")
        % {"number": case.number}
    )
