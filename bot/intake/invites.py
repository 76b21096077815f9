"""Invite links of cases received offline: t.me/<bot>?start=intake_<token>, printed on the
receipt. The first student to open one becomes the case's author (sealed, if the case is
anonymous); the link is then used up. Only the token's hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import authors, keyboards
from bot.casework.transitions import log
from bot.core.context import Services
from bot.delivery import notify
from bot.domain import labels
from bot.domain.intake import INVITE_DAYS, INVITE_PREFIX
from bot.domain.workflow import Actor, Role, State
from storage.crud import cases as cases_crud
from storage.crud import intake as crud
from storage.crud import outbox as outbox_crud
from storage.models import Case, IntakeInvite, User


def token_hash(token: str) -> str:
    # The token is 128 random bits: a plain hash is enough, no key or salt needed.
    return hashlib.sha256(token.encode()).hexdigest()


async def new_invite(*, session: AsyncSession, services: Services, case: Case) -> str:
    """A fresh link's payload (`intake_…`), valid for INVITE_DAYS; only its hash is kept."""
    assert case.id is not None
    token = secrets.token_urlsafe(16)
    now = services.now()
    await crud.add_invite(
        session=session,
        invite=IntakeInvite(
            case_id=case.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(days=INVITE_DAYS),
        ),
    )
    return INVITE_PREFIX + token


@dataclass
class Redeemed:
    outcome: str  # linked | already | used | expired | invalid
    case: Case | None = None


async def redeem(
    *, session: AsyncSession, services: Services, user: User, payload: str
) -> Redeemed:
    """Bind the link's case to `user`, who from now on hears of it as its author would."""
    token = payload.removeprefix(INVITE_PREFIX)
    invite = await crud.invite_by_hash(session=session, token_hash=token_hash(token))
    if invite is None:
        return Redeemed("invalid")
    case = await cases_crud.get_case(session=session, case_id=invite.case_id, for_update=True)
    if case is None or case.purged_at is not None:
        return Redeemed("invalid")
    if invite.used_at is not None:
        # Whoever holds the case may open their receipt again; anyone else learns only that
        # the link is spent.
        if authors.acts_as_author(session, case, user.id, services.sealer):
            return Redeemed("already", case)
        return Redeemed("used")
    now = services.now()
    if invite.expires_at <= now:
        return Redeemed("expired")
    if authors.has_author(case):
        return Redeemed("used")  # bound by another of its links
    invite.used_at = now
    session.add(invite)
    authors.set_author(case, user.id, services.sealer)
    authors.conceal(session, case, user.id, services.sealer)
    case.updated_at = now
    session.add(case)
    await log(
        session=session,
        services=services,
        case=case,
        action="intake_linked",
        actor=Actor(user.id, Role.STUDENT),
    )
    await outbox_crud.enqueue(
        session=session, messages=await _told(session=session, services=services, case=case)
    )
    return Redeemed("linked", case)


async def _told(*, session: AsyncSession, services: Services, case: Case) -> list[Any]:
    """The card names a named case's student now; the student gets the case as it stands."""
    answered = case.state == State.ANSWERED and case.rating is None
    buttons = keyboards.rating if answered else keyboards.case_actions_for_student

    def keyboard(loc: str) -> dict[str, Any]:
        return buttons(services.renderer, loc, case)

    rows = [notify.card_refresh(case)]
    rows += await notify.to_audience(
        session=session,
        services=services,
        case=case,
        template="student/intake_linked.html",
        priority=notify.INTERACTIVE,
        submitter_only=True,
        keyboard=keyboard,
        state_label=labels.STATE[State(case.state)],
        department=services.org.department(case.department_code),
    )
    return rows
