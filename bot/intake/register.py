"""Registering a case received offline: checked, then submitted as a student's case would be
(`bot.cases.actions.submit_case`: number, card, deadlines, routing), with its invite link."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.actions import Draft, check_text, submit_case
from bot.core.context import Services
from bot.domain.intake import OFFLINE_SOURCES, day_problem
from bot.domain.workflow import OFFICERS, STUDENT_KINDS, Actor, TransitionError
from bot.intake import invites
from storage.models import Case


@dataclass
class Registered:
    case: Case
    # The invite link's payload (t.me/<bot>?start=<payload>); None when none was asked for.
    payload: str | None


def problem(services: Services, draft: Draft) -> str | None:
    """None if the draft can be registered, else the reason (a `TRANSITION_ERROR` key)."""
    if draft.source not in OFFLINE_SOURCES or draft.kind not in STUDENT_KINDS:
        return "invalid"
    if services.org.category(draft.category) is None:
        return "unknown_category"
    if services.org.college(draft.college) is None:
        return "intake_unknown_college"
    today = services.now().astimezone(services.renderer.tz).date()
    if draft.received_on is None or day_problem(draft.received_on, today) is not None:
        return "bad_received_on"
    if check_text(draft.text) is not None:
        return "bad_text"
    return None


async def register(
    *,
    session: AsyncSession,
    services: Services,
    registrar: Actor,
    draft: Draft,
    invite: bool = True,
) -> Registered:
    if registrar.role not in OFFICERS:
        raise TransitionError("forbidden")
    reason = problem(services, draft)
    if reason is not None:
        raise TransitionError(reason)
    case = await submit_case(
        session=session, services=services, submitter=None, draft=draft, registrar=registrar
    )
    payload = (
        await invites.new_invite(session=session, services=services, case=case) if invite else None
    )
    return Registered(case, payload)
