"""The officers' chat for proposals: 转为意见建议 and 交办 from the card; reviewing the
departments' answers and answering liaisons' questions (on proposals and forwarded cases
alike); admins naming department liaisons."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.casework import guard, keyboards
from bot.core.callbacks import AssignCB, CardCB, PartCB
from bot.core.config import Department
from bot.core.context import Turn
from bot.core.render import Translate
from bot.departments import answers as department_answers
from bot.domain.text import N_
from bot.domain.workflow import Action, Actor
from bot.proposals import decisions as proposal_decisions
from bot.proposals import keyboards as proposal_keyboards
from bot.proposals import liaisons
from handlers.common import (
    Refused,
    admins_only,
    done_unless_refused,
    replied_person,
    shown_name,
    unless_refused,
)
from handlers.officers.chat import ask_case_text, ask_for_text, officers_router, replace_buttons
from storage.models import Case

LIAISON_USAGE = N_(
    "Reply to the person's message with /liaison CODE, or send /liaison ID CODE. Codes:"
)


def build_router() -> Router:
    router = officers_router("proposal_officers")
    router.callback_query.register(ask_case_text, CardCB.filter(F.action == Action.CONVERT))
    router.callback_query.register(ask_part_text, PartCB.filter(F.action.in_({"back", "reply"})))
    router.callback_query.register(publish, PartCB.filter(F.action == "ok"))
    router.callback_query.register(assign_confirm, AssignCB.filter(F.op == "ok"))
    router.callback_query.register(assign_choice, AssignCB.filter())
    router.callback_query.register(assign_open, CardCB.filter(F.action == Action.ASSIGN))
    router.message.register(appoint_liaison, Command("liaison"))
    router.message.register(dismiss_liaison, Command("unliaison"))
    return router


async def ask_part_text(
    query: CallbackQuery, callback_data: PartCB, turn: Turn, actor: Actor
) -> None:
    """退回修改 (a comment for the department), 回复联络人 (an answer to its question)."""
    action, part_id = callback_data.action, callback_data.part_id
    await ask_for_text(query, turn, actor, action, part_id=part_id)


async def publish(
    query: CallbackQuery, callback_data: PartCB, turn: Turn, actor: Actor, _: Translate
) -> None:
    approved = department_answers.approve_answer(
        session=turn.session,
        services=turn.services,
        assignment_id=callback_data.part_id,
        actor=actor,
    )
    if await unless_refused(query, _, approved) is Refused.REFUSED:
        return
    await query.answer(_("Done"))
    await replace_buttons(query, None)


async def assign_open(
    query: CallbackQuery, callback_data: CardCB, turn: Turn, actor: Actor
) -> None:
    """交办 from the card: no department chosen yet, the usual deadline."""
    case = await _assignable(query, callback_data.case_id, turn, actor)
    if case is not None:
        days = int(turn.services.org.deadlines.department_days)
        await _show_assign(query, turn, case, 0, days)


async def assign_choice(
    query: CallbackQuery, callback_data: AssignCB, turn: Turn, actor: Actor
) -> None:
    """A department toggled, a deadline picked, or back to the card (the choice is in the data)."""
    case = await _assignable(query, callback_data.case_id, turn, actor)
    if case is None:
        return
    mask, days, op = callback_data.mask, callback_data.days, callback_data.op
    if op == "t":
        await _show_assign(query, turn, case, mask ^ (1 << callback_data.index), days)
    elif op == "d":
        await _show_assign(query, turn, case, mask, callback_data.index)
    elif op == "x":
        await query.answer()
        await replace_buttons(
            query, keyboards.card(turn.services.renderer, turn.services.group_locale, case)
        )


async def assign_confirm(
    query: CallbackQuery, callback_data: AssignCB, turn: Turn, actor: Actor, _: Translate
) -> None:
    """确定: the chosen departments get their parts (the service checks the officer too)."""
    mask = callback_data.mask
    assigned = proposal_decisions.assign(
        session=turn.session,
        services=turn.services,
        case_id=callback_data.case_id,
        actor=actor,
        departments=[d.code for i, d in enumerate(turn.services.org.departments) if mask >> i & 1],
        days=callback_data.days,
    )
    await done_unless_refused(query, _, assigned)


async def appoint_liaison(
    message: Message, command: CommandObject, turn: Turn, _: Translate
) -> None:
    parsed = await _liaison_command(message, command, turn)
    if parsed is None:
        return
    target_id, name, department = parsed
    assert department is not None
    shown = await liaisons.appoint(
        session=turn.session,
        user_id=target_id,
        name=name,
        by_reply=message.reply_to_message is not None,
        department=department.code,
        granted_by=turn.sender.id,
    )
    await message.reply(
        _("%(name)s is now the liaison of %(department)s.")
        % {
            "name": shown_name(shown),
            "department": turn.services.renderer.name_of(department, turn.locale),
        }
    )


async def dismiss_liaison(
    message: Message, command: CommandObject, turn: Turn, _: Translate
) -> None:
    parsed = await _liaison_command(message, command, turn)
    if parsed is None:
        return
    target_id, name, _department = parsed
    shown = await liaisons.dismiss(
        session=turn.session,
        user_id=target_id,
        name=name,
        by_reply=message.reply_to_message is not None,
        revoked_by=turn.sender.id,
    )
    await message.reply(
        _("%(name)s is no longer a department liaison.") % {"name": shown_name(shown)}
    )


async def _liaison_command(
    message: Message, command: CommandObject, turn: Turn
) -> tuple[int, str, Department | None] | None:
    """Whom /liaison or /unliaison is about (a replied-to person, or an id) and the department
    named; None once the admin has been told what is wrong."""
    _ = turn.translate
    if not await admins_only(message, turn):
        return None
    args = (command.args or "").split()
    target = replied_person(message)
    if target is None and args and args[0].lstrip("-").isdigit():
        target, args = (int(args[0]), args[0]), args[1:]
    department = turn.services.org.department(args[0]) if args else None
    if target is None or (command.command == "liaison" and department is None):
        codes = ", ".join(d.code for d in turn.services.org.departments)
        await message.reply(html.escape(_(LIAISON_USAGE), quote=False) + "\n" + codes)
        return None
    return target[0], target[1], department


async def _assignable(query: CallbackQuery, case_id: int, turn: Turn, actor: Actor) -> Case | None:
    """The case to 交办, if the officer may act on it from here; None once told why not."""
    case = await unless_refused(
        query,
        turn.translate,
        guard.officer_case(
            session=turn.session,
            services=turn.services,
            actor=actor,
            case_id=case_id,
        ),
    )
    return None if case is Refused.REFUSED else case


async def _show_assign(query: CallbackQuery, turn: Turn, case: Case, mask: int, days: int) -> None:
    await query.answer()
    await replace_buttons(
        query,
        proposal_keyboards.assign(
            turn.services.renderer, turn.services.group_locale, case, mask, days
        ),
    )
