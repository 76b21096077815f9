"""Representatives' deep links: a roster invite (/start <code>) and a co-signing request
(/start cosign_<id>); the co-sign / decline buttons; their standing, shown by /start."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.callbacks import CosignCB
from bot.core.context import Services
from bot.core.render import Translate
from bot.proposals import cosign as proposal_cosign
from bot.proposals import keyboards as kbs
from bot.proposals import roster
from bot.proposals.representative_views import cosign_request
from handlers.common import (
    Refused,
    close_buttons,
    private_router,
    send_privacy_notice,
    unless_refused,
)
from storage.models import User

COSIGN = "cosign_"


def build_router() -> Router:
    router = private_router("representatives")
    router.message.register(deep_link, CommandStart(deep_link=True))
    router.callback_query.register(answer, CosignCB.filter())
    return router


async def deep_link(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    services: Services,
    locale: str,
    _: Translate,
) -> None:
    await state.clear()
    payload = (command.args or "").strip()
    if payload.startswith(COSIGN):
        case_id = payload[len(COSIGN) :]
        await _cosign_request(message, case_id, session, user, services, locale, _)
    else:
        await _invite(message, payload, session, user, services, locale, _)


async def answer(
    query: CallbackQuery,
    callback_data: CosignCB,
    session: AsyncSession,
    user: User,
    services: Services,
    _: Translate,
) -> None:
    answered = proposal_cosign.answer_cosign(
        session=session,
        services=services,
        case_id=callback_data.case_id,
        user=user,
        agreed=callback_data.action == "yes",
    )
    if await unless_refused(query, _, answered) is not Refused.REFUSED:
        await close_buttons(query)


async def _invite(
    message: Message,
    code: str,
    session: AsyncSession,
    user: User,
    services: Services,
    locale: str,
    _: Translate,
) -> None:
    linking = await roster.link_invite(session=session, user=user, code=code, now=services.now())
    await message.answer(
        services.renderer.render(
            locale,
            "proposal/invite.html",
            outcome=linking.outcome,
            representative=linking.representative,
            congress=linking.congress,
        )
    )
    if linking.outcome == "linked" and user.consent_at is None:
        # The roster entry is the union's; using the bot still begins with the notice.
        await send_privacy_notice(message, services, locale, _)


async def _cosign_request(
    message: Message,
    raw_id: str,
    session: AsyncSession,
    user: User,
    services: Services,
    locale: str,
    _: Translate,
) -> None:
    if user.consent_at is None:
        await message.answer(services.renderer.render(locale, "student/need_consent.html"))
        return
    requested = cosign_request(
        session=session,
        services=services,
        case_id=int(raw_id) if raw_id.isdigit() else 0,
        user=user,
    )
    view = await unless_refused(message, _, requested)
    if view is Refused.REFUSED:
        return
    await message.answer(
        services.renderer.render(
            locale, "proposal/cosign_request.html", case=view.case, proposal=view
        ),
        reply_markup=InlineKeyboardMarkup.model_validate(
            kbs.cosign(services.renderer, locale, view.case.id or 0)
        ),
    )
