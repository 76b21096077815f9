"""Representatives' deep links: a roster invite (/start <code>) and a co-signing request
(/start cosign_<id>); the co-sign / decline buttons; their standing, shown by /start."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.callbacks import CosignCB
from bot.core.context import Turn
from bot.core.render import Translate
from bot.proposals import cosign as proposal_cosign
from bot.proposals import keyboards as kbs
from bot.proposals import roster
from bot.proposals.representative_views import cosign_request
from handlers.common import (
    SUBMITS,
    Refused,
    close_buttons,
    gate_submissions,
    private_router,
    send_privacy_notice,
    unless_refused,
)

COSIGN = "cosign_"


def build_router() -> Router:
    router = private_router("representatives")
    gate_submissions(router)
    router.message.register(deep_link, CommandStart(deep_link=True))
    router.callback_query.register(answer, CosignCB.filter(), flags=SUBMITS)
    return router


async def deep_link(
    message: Message, command: CommandObject, state: FSMContext, turn: Turn
) -> None:
    await state.clear()
    payload = (command.args or "").strip()
    if payload.startswith(COSIGN):
        case_id = payload[len(COSIGN) :]
        await _cosign_request(message, case_id, turn)
    else:
        await _invite(message, payload, turn)


async def answer(query: CallbackQuery, callback_data: CosignCB, turn: Turn, _: Translate) -> None:
    answered = proposal_cosign.answer_cosign(
        session=turn.session,
        services=turn.services,
        case_id=callback_data.case_id,
        user=turn.sender,
        agreed=callback_data.action == "yes",
    )
    if await unless_refused(query, _, answered) is not Refused.REFUSED:
        await close_buttons(query)


async def _invite(message: Message, code: str, turn: Turn) -> None:
    linking = await roster.link_invite(
        session=turn.session, user=turn.sender, code=code, now=turn.services.now()
    )
    await message.answer(
        turn.render(
            "proposal/invite.html",
            outcome=linking.outcome,
            representative=linking.representative,
            congress=linking.congress,
        )
    )
    if linking.outcome == "linked" and turn.sender.consent_at is None:
        # The roster entry is the union's; using the bot still begins with the notice.
        await send_privacy_notice(message, turn)


async def _cosign_request(message: Message, raw_id: str, turn: Turn) -> None:
    if turn.sender.consent_at is None:
        await message.answer(turn.render("student/need_consent.html"))
        return
    requested = cosign_request(
        session=turn.session,
        services=turn.services,
        case_id=int(raw_id) if raw_id.isdigit() else 0,
        user=turn.sender,
    )
    view = await unless_refused(message, turn.translate, requested)
    if view is Refused.REFUSED:
        return
    await message.answer(
        turn.render("proposal/cosign_request.html", case=view.case, proposal=view),
        reply_markup=InlineKeyboardMarkup.model_validate(
            kbs.cosign(turn.services.renderer, turn.locale, view.case.id or 0)
        ),
    )
