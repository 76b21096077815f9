"""`/record G2026-0042 <the department's answer>` in the officers' chat (记录部门答复): the answer
a department with no liaison sent on paper or by e-mail, recorded on its behalf and sent to the
student. Sent as the caption of a photo or a file, it carries that file too."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.cases import recorded
from bot.core.context import Turn
from bot.core.render import Translate
from bot.domain.workflow import Actor, TransitionError
from handlers.common import error_text
from handlers.media import attachment_of


def build_router() -> Router:
    """Included in the officers' router, which hears only their chats and only officers."""
    router = Router(name="officer_record")
    router.message.register(record, Command("record"))
    return router


async def record(
    message: Message, command: CommandObject, turn: Turn, actor: Actor, _: Translate
) -> None:
    number, _space, text = (command.args or "").strip().partition(" ")
    if not number or not text.strip():
        await message.reply(
            _("Write the case's number and the department's answer: /record G2026-0042 the answer.")
        )
        return
    attached = attachment_of(message) if message.photo or message.document else None
    try:
        case = await recorded.record_answer(
            session=turn.session,
            services=turn.services,
            actor=actor,
            number=number,
            text=text,
            attachment=attached,
        )
    except TransitionError as exc:
        await message.reply(error_text(_, exc))
        return
    await message.reply(
        _("Recorded as the department's answer to %(number)s and sent to the student.")
        % {"number": case.number}
    )
