"""/start intake_<token>: the invite link printed on the receipt of a case received offline.
The student who opens it first follows the case from then on, as if they had submitted it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.core.context import Turn
from bot.domain.intake import INVITE_PREFIX
from bot.intake import invites
from handlers.common import SUBMITS, gate_submissions, private_router, send_privacy_notice


def build_router() -> Router:
    router = private_router("intake_link")
    gate_submissions(router)
    router.message.register(
        opened,
        CommandStart(deep_link=True, magic=F.args.startswith(INVITE_PREFIX)),
        flags=SUBMITS,
    )
    return router


async def opened(message: Message, command: CommandObject, state: FSMContext, turn: Turn) -> None:
    await state.clear()
    if turn.sender.consent_at is None:
        # The case is bound to someone who has agreed to how the bot keeps their data; the
        # link stays unused until then.
        await message.answer(turn.render("student/intake_link.html", outcome="consent_first"))
        await send_privacy_notice(message, turn)
        return
    redeemed = await invites.redeem(
        session=turn.session,
        services=turn.services,
        user=turn.sender,
        payload=(command.args or "").strip(),
    )
    if redeemed.outcome == "linked":
        return  # what they are told goes through the outbox, with the case's status
    await message.answer(
        turn.render("student/intake_link.html", outcome=redeemed.outcome, case=redeemed.case)
    )
