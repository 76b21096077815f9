"""/proposals: the current session's registered proposals for every student to read, follow
(then hear of every public change) and support (+1, once)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.callbacks import PublicCB
from bot.core.context import Services
from bot.domain.workflow import Kind, State
from bot.proposals import keyboards as kbs
from bot.proposals import views as proposal_views
from handlers.common import ConsentGate
from storage.crud import cases as cases_crud
from storage.crud import proposals as crud
from storage.models import Case, Proposal, User

Translate = Callable[[str], str]
PAGE = 5
# Registered (立案) and after: what the public sees of a session.
PUBLIC_STATES = (
    State.ACCEPTED,
    State.IN_PROGRESS,
    State.ANSWERED,
    State.REOPENED,
    State.CLOSED,
)


def build_router() -> Router:
    router = Router(name="public")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.middleware(ConsentGate())
    router.callback_query.middleware(ConsentGate())

    @router.message(Command("proposals"))
    async def proposals(
        message: Message, session: AsyncSession, services: Services, locale: str
    ) -> None:
        text, markup = await _page(session, services, locale, 0)
        await message.answer(text, reply_markup=markup)

    @router.callback_query(PublicCB.filter(F.action == "page"))
    async def page(
        query: CallbackQuery,
        callback_data: PublicCB,
        session: AsyncSession,
        services: Services,
        locale: str,
    ) -> None:
        text, markup = await _page(session, services, locale, max(callback_data.page, 0))
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(text, reply_markup=markup)

    @router.callback_query(PublicCB.filter(F.action.in_({"open", "follow", "unfollow", "support"})))
    async def act(
        query: CallbackQuery,
        callback_data: PublicCB,
        session: AsyncSession,
        user: User,
        services: Services,
        locale: str,
        _: Translate,
    ) -> None:
        case = await _public_case(session, callback_data.case_id)
        if case is None or case.id is None:
            await query.answer(_("This case no longer exists."), show_alert=True)
            return
        action, toast = callback_data.action, None
        if action == "follow":
            await cases_crud.add_followers(session=session, case_id=case.id, user_ids=[user.id])
            toast = _("You will be told of every change of this proposal.")
        elif action == "unfollow":
            await crud.remove_follower(session=session, case_id=case.id, user_id=user.id)
            toast = _("You no longer follow this proposal.")
        elif action == "support":
            added = await crud.add_support(session=session, case_id=case.id, user_id=user.id)
            toast = (
                _("Thank you for your support!")
                if added
                else _("You have already supported this proposal.")
            )
        await query.answer(toast, show_alert=action == "support" and toast is not None)
        text, markup = await _detail(session, services, locale, case, user)
        if isinstance(query.message, Message):
            if action == "open":
                await query.message.answer(text, reply_markup=markup)
            else:
                # Pressed twice, support changes nothing: Telegram refuses such an edit.
                with contextlib.suppress(TelegramBadRequest):
                    await query.message.edit_text(text, reply_markup=markup)

    return router


async def _public_case(session: AsyncSession, case_id: int) -> Case | None:
    case = await cases_crud.get_case(session=session, case_id=case_id)
    if case is None or case.kind != Kind.PROPOSAL or case.state not in PUBLIC_STATES:
        return None
    return case


async def _page(
    session: AsyncSession, services: Services, locale: str, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    congress = await crud.current_session(session=session, now=services.now())
    rows: list[tuple[Case, Proposal]] = []
    total = 0
    if congress is not None:
        rows, total = await crud.proposals_of_session(
            session=session,
            session_id=congress.id or 0,
            states=PUBLIC_STATES,
            limit=PAGE,
            offset=page * PAGE,
        )
    items = [
        await proposal_views.build(session=session, services=services, case=case)
        for case, _proposal in rows
    ]
    text = services.renderer.render(
        locale, "proposal/public_list.html", congress=congress, items=items, total=total
    )
    keyboard = kbs.public_list(
        services.renderer, locale, [case for case, _ in rows], page, (page + 1) * PAGE < total
    )
    return text, InlineKeyboardMarkup.model_validate(keyboard) if keyboard else None


async def _detail(
    session: AsyncSession, services: Services, locale: str, case: Case, user: User
) -> tuple[str, InlineKeyboardMarkup]:
    view = await proposal_views.build(session=session, services=services, case=case)
    assert case.id is not None
    following: bool | None = None
    if case.submitter_id != user.id:
        following = user.id in await cases_crud.follower_ids(session=session, case_id=case.id)
    text = services.renderer.render(locale, "proposal/public_detail.html", v=view)
    keyboard = kbs.public_detail(
        services.renderer, locale, case, following=following, supports=view.supports
    )
    return text, InlineKeyboardMarkup.model_validate(keyboard)
