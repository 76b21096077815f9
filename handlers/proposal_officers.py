"""The officers' chat for proposals: 转为意见建议 and 交办 from the card, reviewing the
departments' answers, answering liaisons' questions; admins naming department liaisons."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ForceReply, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, proposal_keyboards
from bot.callbacks import AssignCB, CardCB, PartCB
from bot.i18n import N_
from bot.services import proposal_answers, proposal_decisions
from bot.services.cases import Actor
from bot.services.context import Services
from bot.workflow import Action, Role, TransitionError
from handlers.common import error_text
from handlers.officer_chat import OfficerChat, OfficersOnly
from storage.crud import cases as cases_crud
from storage.crud import proposals as crud
from storage.crud import users as users_crud
from storage.models import Case, User

Translate = Callable[[str], str]
LIAISON_USAGE = N_(
    "Reply to the person's message with /liaison CODE, or send /liaison ID CODE. Codes:"
)


class ProposalReview(StatesGroup):
    text = State()


def _actor(user: User, roles: frozenset[str]) -> Actor:
    return Actor(user.id, Role.ADMIN if "admin" in roles else Role.OFFICER)


def build_router() -> Router:
    router = Router(name="proposal_officers")
    router.message.filter(OfficerChat())
    router.callback_query.filter(OfficerChat())
    router.message.middleware(OfficersOnly())
    router.callback_query.middleware(OfficersOnly())

    @router.callback_query(CardCB.filter(F.action == Action.CONVERT))
    async def ask_convert(
        query: CallbackQuery,
        callback_data: CardCB,
        state: FSMContext,
        session: AsyncSession,
        services: Services,
        _: Translate,
    ) -> None:
        case = await cases_crud.get_case(session=session, case_id=callback_data.case_id)
        if case is None:
            await query.answer(_("This case no longer exists."), show_alert=True)
            return
        await _prompt(query, state, services, case, "convert", case_id=case.id)

    @router.callback_query(PartCB.filter(F.action.in_({"back", "reply"})))
    async def ask_part_text(
        query: CallbackQuery,
        callback_data: PartCB,
        state: FSMContext,
        session: AsyncSession,
        services: Services,
        _: Translate,
    ) -> None:
        part = await crud.get_assignment(session=session, assignment_id=callback_data.part_id)
        case = await cases_crud.get_case(session=session, case_id=part.case_id) if part else None
        if part is None or case is None:
            await query.answer(_("This case no longer exists."), show_alert=True)
            return
        await _prompt(query, state, services, case, callback_data.action, part_id=part.id)

    @router.message(ProposalReview.text, Command("cancel"))
    async def cancel(message: Message, state: FSMContext, _: Translate) -> None:
        await state.clear()
        await message.reply(_("Cancelled."))

    @router.message(ProposalReview.text, F.text, ~F.text.startswith("/"))
    async def got_text(
        message: Message,
        state: FSMContext,
        session: AsyncSession,
        user: User,
        roles: frozenset[str],
        services: Services,
        _: Translate,
    ) -> None:
        data = await state.get_data()
        text, actor = message.text or "", _actor(user, roles)
        try:
            if data["action"] == "convert":
                await proposal_decisions.convert(
                    session=session,
                    services=services,
                    case_id=int(data["case_id"]),
                    actor=actor,
                    text=text,
                )
            elif data["action"] == "back":
                await proposal_answers.return_answer(
                    session=session,
                    services=services,
                    assignment_id=int(data["part_id"]),
                    actor=actor,
                    comment=text,
                )
            else:
                await proposal_answers.reply_to_liaison(
                    session=session,
                    services=services,
                    assignment_id=int(data["part_id"]),
                    officer=user,
                    text=text,
                )
        except TransitionError as exc:
            await message.reply(error_text(_, exc))
        await state.clear()

    @router.callback_query(PartCB.filter(F.action == "ok"))
    async def publish(
        query: CallbackQuery,
        callback_data: PartCB,
        session: AsyncSession,
        user: User,
        roles: frozenset[str],
        services: Services,
        _: Translate,
    ) -> None:
        try:
            await proposal_answers.approve_answer(
                session=session,
                services=services,
                assignment_id=callback_data.part_id,
                actor=_actor(user, roles),
            )
        except TransitionError as exc:
            await query.answer(error_text(_, exc), show_alert=True)
            return
        await query.answer(_("Done"))
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)

    @router.callback_query(CardCB.filter(F.action == Action.ASSIGN))
    async def choose(
        query: CallbackQuery,
        callback_data: CardCB,
        session: AsyncSession,
        services: Services,
        _: Translate,
    ) -> None:
        case = await cases_crud.get_case(session=session, case_id=callback_data.case_id)
        if case is None:
            await query.answer(_("This case no longer exists."), show_alert=True)
            return
        days = int(services.org.deadlines.department_days)
        await _show_assign(query, services, case, 0, days)

    @router.callback_query(AssignCB.filter())
    async def assign(
        query: CallbackQuery,
        callback_data: AssignCB,
        session: AsyncSession,
        user: User,
        roles: frozenset[str],
        services: Services,
        _: Translate,
    ) -> None:
        case = await cases_crud.get_case(session=session, case_id=callback_data.case_id)
        if case is None:
            await query.answer(_("This case no longer exists."), show_alert=True)
            return
        mask, days, op = callback_data.mask, callback_data.days, callback_data.op
        if op == "t":
            await _show_assign(query, services, case, mask ^ (1 << callback_data.index), days)
        elif op == "d":
            await _show_assign(query, services, case, mask, callback_data.index)
        elif op == "x":
            await query.answer()
            await _edit_markup(
                query, keyboards.card(services.renderer, services.group_locale, case)
            )
        elif op == "ok":
            codes = [d.code for i, d in enumerate(services.org.departments) if mask >> i & 1]
            try:
                await proposal_decisions.assign(
                    session=session,
                    services=services,
                    case_id=case.id or 0,
                    actor=_actor(user, roles),
                    departments=codes,
                    days=days,
                )
            except TransitionError as exc:
                await query.answer(error_text(_, exc), show_alert=True)
                return
            await query.answer(_("Done"))

    @router.message(Command("liaison", "unliaison"))
    async def liaison(
        message: Message,
        command: CommandObject,
        session: AsyncSession,
        user: User,
        roles: frozenset[str],
        services: Services,
        locale: str,
        _: Translate,
    ) -> None:
        if "admin" not in roles:
            await message.reply(_("Only admins can do this."))
            return
        args = (command.args or "").split()
        reply = message.reply_to_message
        target = None
        if reply is not None and reply.from_user is not None and not reply.from_user.is_bot:
            target = (reply.from_user.id, reply.from_user.full_name)
        elif args and args[0].lstrip("-").isdigit():
            target, args = (int(args[0]), args[0]), args[1:]
        department = services.org.department(args[0]) if args else None
        if target is None or (command.command == "liaison" and department is None):
            codes = ", ".join(d.code for d in services.org.departments)
            await message.reply(html.escape(_(LIAISON_USAGE), quote=False) + "\n" + codes)
            return
        target_id, name = target
        known = await users_crud.get_user(session=session, user_id=target_id)
        if known is not None and known.first_name and reply is None:
            name = known.first_name
        shown = html.escape(name, quote=False)
        if command.command == "unliaison":
            await users_crud.revoke_role(session=session, user_id=target_id, role="liaison")
            await message.reply(_("%(name)s is no longer a department liaison.") % {"name": shown})
            return
        assert department is not None
        if known is None:
            await users_crud.upsert_user(
                session=session,
                user_id=target_id,
                first_name=name,
                last_name=None,
                username=None,
                language_code=None,
            )
        await users_crud.grant_role(
            session=session,
            user_id=target_id,
            role="liaison",
            granted_by=user.id,
            department=department.code,
        )
        await message.reply(
            _("%(name)s is now the liaison of %(department)s.")
            % {"name": shown, "department": services.renderer.name_of(department, locale)}
        )

    return router


async def _prompt(
    query: CallbackQuery,
    state: FSMContext,
    services: Services,
    case: Case,
    action: str,
    **data: Any,
) -> None:
    await state.set_state(ProposalReview.text)
    await state.update_data(action=action, **data)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.reply(
            services.renderer.render(
                services.group_locale, "proposal/prompt.html", case=case, action=action
            ),
            reply_markup=ForceReply(selective=True),
        )


async def _show_assign(
    query: CallbackQuery, services: Services, case: Case, mask: int, days: int
) -> None:
    await query.answer()
    await _edit_markup(
        query,
        proposal_keyboards.assign(services.renderer, services.group_locale, case, mask, days),
    )


async def _edit_markup(query: CallbackQuery, markup: dict[str, object] | None) -> None:
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(
            reply_markup=InlineKeyboardMarkup.model_validate(markup) if markup else None
        )
