"""Collecting co-signatures (附议) and the proposal window's close.

A draft goes out for co-signing; other representatives of its session co-sign or decline; with
enough co-signatures before the window closes it reaches the proposal committee (a card in the
officers' chat), else it goes back to a draft when the window closes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.casework import deadlines as sla
from bot.casework.transitions import log, move
from bot.core.context import Services
from bot.delivery import notify
from bot.domain.workflow import Action, Actor, Role, State, TransitionError
from bot.proposals.core import (
    Loaded,
    cosign_payload,
    load,
    start_link,
    window_open,
)
from bot.proposals.drafts import missing_fields, own_draft
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.crud import proposals as crud
from storage.models import Case, CongressSession, OutboxMessage, Representative, User


async def _agreed(session: AsyncSession, case_id: int) -> int:
    return sum(row.agreed for row in await crud.cosigns_of(session=session, case_id=case_id))


async def _representative_now(
    *, session: AsyncSession, services: Services, congress: CongressSession, user: User
) -> Representative:
    """The user's place on the session's roster, while its window is open (else why not)."""
    representative = await crud.representative_of(
        session=session, user_id=user.id, session_id=congress.id or 0
    )
    if representative is None:
        raise TransitionError("not_representative")
    if not window_open(congress, services.now()):
        raise TransitionError("window_closed")
    return representative


async def send_for_cosign(
    *,
    session: AsyncSession,
    services: Services,
    case_id: int,
    user: User,
    bot_username: str | None,
) -> Case:
    """发起附议: the draft goes out for co-signatures (or straight in when none are needed)."""
    loaded = await own_draft(session, case_id, user)
    if missing_fields(loaded):
        raise TransitionError("incomplete")
    await _representative_now(
        session=session, services=services, congress=loaded.congress, user=user
    )
    case = loaded.case
    missing = loaded.congress.cosigners_required - await _agreed(session, case_id)
    moved = await move(
        session=session,
        services=services,
        case=case,
        action=Action.SEND_FOR_COSIGN,
        actor=Actor(user.id, Role.STUDENT),
        situation={"cosigns_missing": missing},
    )
    if moved.target == State.SUBMITTED:
        await _submitted(session, services, loaded)
        return case
    rows = notify.to_user(
        services=services,
        user=user,
        template="proposal/cosign_open.html",
        case=case,
        congress=loaded.congress,
        share_link=start_link(bot_username, cosign_payload(case_id)),
        needed=missing,
    )
    await outbox_crud.enqueue(session=session, messages=rows)
    return case


async def cosigner_check(
    *, session: AsyncSession, services: Services, case_id: int, user: User, for_update: bool
) -> tuple[Loaded, Representative]:
    """Whether the user may answer the proposal's co-signing request now (else why not)."""
    loaded = await load(session=session, case_id=case_id, for_update=for_update)
    case, congress = loaded.case, loaded.congress
    if case.state != State.COSIGNING:
        raise TransitionError("not_cosigning")
    if case.submitter_id == user.id:
        raise TransitionError("own_proposal")
    representative = await _representative_now(
        session=session, services=services, congress=congress, user=user
    )
    if any(
        row.user_id == user.id for row in await crud.cosigns_of(session=session, case_id=case_id)
    ):
        raise TransitionError("already_decided")
    return loaded, representative


async def answer_cosign(
    *, session: AsyncSession, services: Services, case_id: int, user: User, agreed: bool
) -> Loaded:
    """A representative co-signs (附议) or declines; the proposer hears of either."""
    loaded, representative = await cosigner_check(
        session=session, services=services, case_id=case_id, user=user, for_update=True
    )
    case, congress = loaded.case, loaded.congress
    missing = congress.cosigners_required - await _agreed(session, case_id)
    if not await crud.add_cosign(session=session, case_id=case_id, user_id=user.id, agreed=agreed):
        raise TransitionError("already_decided")
    actor = Actor(user.id, Role.REPRESENTATIVE)
    proposer = await _proposer_user(session, case)
    rows: list[OutboxMessage] = []
    if not agreed:
        await log(session=session, services=services, case=case, action="decline", actor=actor)
    else:
        moved = await move(
            session=session,
            services=services,
            case=case,
            action=Action.COSIGN,
            actor=actor,
            text=representative.name,
            situation={"cosigns_missing": missing},
        )
        assert case.id is not None
        # Co-signers hear of the proposal from now on, as its followers.
        await cases_crud.add_followers(session=session, case_id=case.id, user_ids=[user.id])
        if moved.target == State.SUBMITTED:
            await _submitted(session, services, loaded)
    rows += notify.to_user(
        services=services,
        user=user,
        template="proposal/cosign_recorded.html",
        case=case,
        agreed=agreed,
    )
    if case.state == State.COSIGNING:  # once submitted, the proposer hears that instead
        rows += _to_proposer(services, proposer, case, representative, agreed, missing)
    await outbox_crud.enqueue(session=session, messages=rows)
    return loaded


def _to_proposer(
    services: Services,
    proposer: User | None,
    case: Case,
    representative: Representative,
    agreed: bool,
    missing: int,
) -> list[OutboxMessage]:
    if proposer is None:
        return []
    return notify.to_user(
        services=services,
        user=proposer,
        template="proposal/cosign_news.html",
        case=case,
        priority=notify.NORMAL,
        name=representative.name,
        agreed=agreed,
        still_needed=max(missing - 1, 0) if agreed else missing,
    )


async def _proposer_user(session: AsyncSession, case: Case) -> User | None:
    if case.submitter_id is None:
        return None
    return await session.get(User, case.submitter_id)


async def _submitted(session: AsyncSession, services: Services, loaded: Loaded) -> None:
    """Enough co-signatures: the committee receives it (its clocks start now)."""
    case = loaded.case
    now = services.now()
    dues = sla.initial(services, case.category_code, now)
    case.created_at = now
    case.first_response_due_at, case.answer_due_at = dues.first_response, dues.answer
    session.add(case)
    assert case.id is not None
    await log(
        session=session,
        services=services,
        case=case,
        action="submit",
        actor=Actor(case.submitter_id, Role.STUDENT),
        public=True,
    )
    attachments = await cases_crud.attachments_of(session=session, case_id=case.id)
    rows = notify.card_with_files(
        case, [{"kind": a.kind, "file_id": a.file_id} for a in attachments]
    )
    rows += await notify.to_audience(
        session=session,
        services=services,
        case=case,
        template="proposal/submitted.html",
        congress=loaded.congress,
    )
    await outbox_crud.enqueue(session=session, messages=rows)


async def expire(*, session: AsyncSession, services: Services, case_id: int) -> bool:
    """The window closed before enough co-signed: back to a draft, and everyone told why."""
    loaded = await load(session=session, case_id=case_id)
    case, congress = loaded.case, loaded.congress
    if case.state != State.COSIGNING:
        return False
    agreed = await _agreed(session, case_id)
    await move(
        session=session,
        services=services,
        case=case,
        action=Action.EXPIRE,
        actor=Actor(None, Role.SYSTEM),
        text=f"{agreed}/{congress.cosigners_required}",
    )
    rows = await notify.to_audience(
        session=session,
        services=services,
        case=case,
        template="proposal/cosign_expired.html",
        congress=congress,
        agreed=agreed,
    )
    await outbox_crud.enqueue(session=session, messages=rows)
    return True


async def close_expired_windows(
    *,
    session_factory: async_sessionmaker[AsyncSession],
    services: Services,
    now: datetime | None = None,
) -> int:
    """For the scheduler: every proposal still collecting co-signatures in a session whose
    window has closed goes back to a draft, its proposer told why. Each in its own
    transaction; safe to run often and on several instances (the state is checked under lock).
    """
    moment = now or services.now()
    async with session_factory() as session:
        case_ids = await crud.cosigning_after(session=session, now=moment)
    for case_id in case_ids:
        async with session_factory.begin() as session:
            await expire(session=session, services=services, case_id=case_id)
    return len(case_ids)
