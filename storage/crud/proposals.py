"""Congress sessions, their rosters, and what proposals add to their cases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._query import add_all, numbers_linked
from storage.crud._upsert import insert_for, supports_skip_locked
from storage.models import (
    Case,
    CaseFollower,
    CongressSession,
    Proposal,
    ProposalCosign,
    ProposalSupport,
    Representative,
    User,
)
from storage.types import utcnow

# A proposal in these states has not reached the committee: its co-signatures did not count yet.
NEVER_SUBMITTED = ("draft", "cosigning", "withdrawn")

# -- sessions -----------------------------------------------------------------------------------


async def add_session(*, session: AsyncSession, congress: CongressSession) -> CongressSession:
    session.add(congress)
    await session.flush()
    return congress


async def get_session(*, session: AsyncSession, session_id: int) -> CongressSession | None:
    return await session.get(CongressSession, session_id)


async def list_sessions(*, session: AsyncSession) -> list[CongressSession]:
    stmt = select(CongressSession).order_by(col(CongressSession.opens_at), col(CongressSession.id))
    return list(await session.scalars(stmt))


async def current_session(*, session: AsyncSession, now: datetime) -> CongressSession | None:
    """The latest session whose window has opened (what /proposals shows)."""
    stmt = (
        select(CongressSession)
        .where(col(CongressSession.opens_at) <= now)
        .order_by(col(CongressSession.opens_at).desc(), col(CongressSession.id).desc())
    )
    return (await session.scalars(stmt.limit(1))).first()


# -- the roster ---------------------------------------------------------------------------------


async def add_representatives(
    *, session: AsyncSession, rows: Sequence[Representative]
) -> list[Representative]:
    return await add_all(session, rows)


async def roster_numbers(*, session: AsyncSession, session_id: int) -> set[str]:
    stmt = select(col(Representative.student_no)).where(
        col(Representative.session_id) == session_id
    )
    return set(await session.scalars(stmt))


async def roster_of(*, session: AsyncSession, session_id: int) -> list[Representative]:
    stmt = (
        select(Representative)
        .where(col(Representative.session_id) == session_id)
        .order_by(col(Representative.id))
    )
    return list(await session.scalars(stmt))


async def by_invite_code(
    *, session: AsyncSession, code: str, for_update: bool = False
) -> Representative | None:
    stmt = select(Representative).where(col(Representative.invite_code) == code)
    if for_update and supports_skip_locked(session):
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def representative_of(
    *, session: AsyncSession, user_id: int, session_id: int
) -> Representative | None:
    stmt = select(Representative).where(
        col(Representative.user_id) == user_id, col(Representative.session_id) == session_id
    )
    return (await session.scalars(stmt)).first()


async def memberships(
    *, session: AsyncSession, user_id: int
) -> list[tuple[Representative, CongressSession]]:
    """Every roster entry linked to the user, with its session, the newest session first."""
    stmt = (
        select(Representative, CongressSession)
        .join(CongressSession, col(CongressSession.id) == col(Representative.session_id))
        .where(col(Representative.user_id) == user_id)
        .order_by(col(CongressSession.opens_at).desc(), col(CongressSession.id).desc())
    )
    return [(rep, congress) for rep, congress in (await session.execute(stmt)).all()]


async def link(
    *, session: AsyncSession, representative: Representative, user_id: int, now: datetime
) -> None:
    representative.user_id = user_id
    representative.linked_at = now
    session.add(representative)
    await session.flush()


# -- proposals ----------------------------------------------------------------------------------


async def add_proposal(*, session: AsyncSession, proposal: Proposal) -> Proposal:
    session.add(proposal)
    await session.flush()
    return proposal


async def get_proposal(*, session: AsyncSession, case_id: int) -> Proposal | None:
    return await session.get(Proposal, case_id, populate_existing=True)


async def latest_draft(
    *, session: AsyncSession, user_id: int, session_id: int
) -> tuple[Case, Proposal] | None:
    stmt = (
        select(Case, Proposal)
        .join(Proposal, col(Proposal.case_id) == col(Case.id))
        .where(
            col(Case.submitter_id) == user_id,
            col(Case.state) == "draft",
            col(Proposal.session_id) == session_id,
        )
        .order_by(col(Case.id).desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row is not None else None


async def proposals_of_session(
    *,
    session: AsyncSession,
    session_id: int,
    states: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[tuple[Case, Proposal]], int]:
    base = (
        select(Case, Proposal)
        .join(Proposal, col(Proposal.case_id) == col(Case.id))
        .where(col(Proposal.session_id) == session_id)
    )
    if states is not None:
        base = base.where(col(Case.state).in_(states))
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    stmt = base.order_by(col(Case.id)).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = [(case, proposal) for case, proposal in (await session.execute(stmt)).all()]
    return rows, int(total or 0)


async def cosigning_after(*, session: AsyncSession, now: datetime) -> list[int]:
    """Cases still collecting co-signatures in a session whose window has closed."""
    stmt = (
        select(col(Case.id))
        .join(Proposal, col(Proposal.case_id) == col(Case.id))
        .join(CongressSession, col(CongressSession.id) == col(Proposal.session_id))
        .where(col(Case.state) == "cosigning", col(CongressSession.closes_at) <= now)
        .order_by(col(Case.id))
    )
    return list(await session.scalars(stmt))


# -- co-signatures and supports -----------------------------------------------------------------


async def add_cosign(
    *, session: AsyncSession, case_id: int, user_id: int | None, agreed: bool
) -> bool:
    """False when the representative had already answered (`user_id` None: an erased
    representative's 附议, carried to the proposal one is merged into)."""
    stmt = insert_for(session, ProposalCosign).values(
        case_id=case_id, user_id=user_id, agreed=agreed, created_at=utcnow()
    )
    result = await session.execute(stmt.on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def cosigns_of(*, session: AsyncSession, case_id: int) -> list[ProposalCosign]:
    stmt = (
        select(ProposalCosign)
        .where(col(ProposalCosign.case_id) == case_id)
        .order_by(col(ProposalCosign.created_at), col(ProposalCosign.user_id))
    )
    return list(await session.scalars(stmt))


async def cosigners(*, session: AsyncSession, case_id: int) -> list[User]:
    stmt = (
        select(User)
        .join(ProposalCosign, col(ProposalCosign.user_id) == col(User.id))
        .where(col(ProposalCosign.case_id) == case_id, col(ProposalCosign.agreed).is_(True))
        .order_by(col(ProposalCosign.created_at), col(User.id))
    )
    return list(await session.scalars(stmt))


async def erased_cosigns(*, session: AsyncSession, case_id: int) -> int:
    """附议 that count although their representatives have since erased their data."""
    stmt = select(func.count()).where(
        col(ProposalCosign.case_id) == case_id,
        col(ProposalCosign.agreed).is_(True),
        col(ProposalCosign.user_id).is_(None),
    )
    return int(await session.scalar(stmt) or 0)


async def cosigns_by(*, session: AsyncSession, user_id: int) -> list[tuple[str, bool]]:
    """(proposal number, agreed) of every co-signing request the user answered."""
    stmt = (
        select(col(Case.number), col(ProposalCosign.agreed))
        .join(Case, col(Case.id) == col(ProposalCosign.case_id))
        .where(col(ProposalCosign.user_id) == user_id)
        .order_by(col(Case.id))
    )
    return [(number, agreed) for number, agreed in await session.execute(stmt)]


async def supports_by(*, session: AsyncSession, user_id: int) -> list[str]:
    return await numbers_linked(session, ProposalSupport, user_id)


async def forget_user(*, session: AsyncSession, user_id: int) -> list[int]:
    """Erasure (PIPL): the roster entries lose their account, supports and co-signatures go.

    A 附议 that helped a proposal reach the committee stays, without the user: the proposal
    was submitted with that many co-signatures, and its record must go on saying so. The
    roster entry (the congress's own list) stays too, its invite code with it, so the same
    representative can link a new account by the link they were given.
    Returns the proposals whose co-signers changed, for their cards.
    """
    counted = select(col(Case.id)).where(col(Case.state).not_in(NEVER_SUBMITTED))
    kept = list(
        await session.scalars(
            select(col(ProposalCosign.case_id)).where(
                col(ProposalCosign.user_id) == user_id,
                col(ProposalCosign.agreed).is_(True),
                col(ProposalCosign.case_id).in_(counted),
            )
        )
    )
    if kept:
        await session.execute(
            update(ProposalCosign)
            .where(col(ProposalCosign.user_id) == user_id, col(ProposalCosign.case_id).in_(kept))
            .values(user_id=None)
        )
    await session.execute(delete(ProposalCosign).where(col(ProposalCosign.user_id) == user_id))
    await session.execute(delete(ProposalSupport).where(col(ProposalSupport.user_id) == user_id))
    await session.execute(
        update(Representative)
        .where(col(Representative.user_id) == user_id)
        .values(user_id=None, linked_at=None)
    )
    return kept


async def copy_cosigns(
    *, session: AsyncSession, source: int, target: int, skip: int | None
) -> None:
    """A merged proposal's co-signers co-sign the one it joins (unless they already answered)."""
    for row in await cosigns_of(session=session, case_id=source):
        if row.agreed and row.user_id != skip:
            await add_cosign(session=session, case_id=target, user_id=row.user_id, agreed=True)


async def add_support(*, session: AsyncSession, case_id: int, user_id: int) -> bool:
    stmt = insert_for(session, ProposalSupport).values(
        case_id=case_id, user_id=user_id, created_at=utcnow()
    )
    result = await session.execute(stmt.on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def support_count(*, session: AsyncSession, case_id: int) -> int:
    stmt = select(func.count()).where(col(ProposalSupport.case_id) == case_id)
    return int(await session.scalar(stmt) or 0)


async def has_supported(*, session: AsyncSession, case_id: int, user_id: int) -> bool:
    stmt = select(col(ProposalSupport.user_id)).where(
        col(ProposalSupport.case_id) == case_id, col(ProposalSupport.user_id) == user_id
    )
    return (await session.scalar(stmt)) is not None


async def cosigner_names(*, session: AsyncSession, case_id: int, session_id: int) -> list[str]:
    """Co-signers by their roster names (a Telegram name is not what a proposal is signed with)."""
    stmt = (
        select(col(Representative.name))
        .join(ProposalCosign, col(ProposalCosign.user_id) == col(Representative.user_id))
        .where(
            col(ProposalCosign.case_id) == case_id,
            col(ProposalCosign.agreed).is_(True),
            col(Representative.session_id) == session_id,
        )
        .order_by(col(ProposalCosign.created_at), col(Representative.id))
    )
    return list(await session.scalars(stmt))


async def remove_follower(*, session: AsyncSession, case_id: int, user_id: int) -> None:
    await session.execute(
        delete(CaseFollower).where(
            col(CaseFollower.case_id) == case_id, col(CaseFollower.user_id) == user_id
        )
    )
