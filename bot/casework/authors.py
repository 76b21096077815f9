"""Who wrote a case. A named case keeps its author's id; an anonymous one keeps it only sealed
(`bot.core.sealing`) and tagged, so that the database alone cannot tell who wrote it.

Everything that asks "is this person the author?" or "whose cases are these?" asks here (or
`storage.crud.cases` with the person's tags); the seal is opened only where the student must
be reached (`author_id`), and what that reaches them with is sealed again (`bot.delivery.sealed`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.sealing import IdentitySeal, SealError
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.models import Case

log = logging.getLogger(__name__)


def set_author(case: Case, user_id: int, seal: IdentitySeal) -> None:
    if case.anonymous:
        case.submitter_id = None
        case.author_sealed, case.author_tag = seal.seal(user_id), seal.tag(user_id)
    else:
        case.submitter_id = user_id
        case.author_sealed = case.author_tag = None


def has_author(case: Case) -> bool:
    """Whether anyone is stored as the case's author (a case received offline has none until a
    student opens its invite link; an erased student's cases keep none either)."""
    return case.submitter_id is not None or case.author_sealed is not None


def is_author(case: Case, user_id: int | None, seal: IdentitySeal) -> bool:
    if user_id is None:
        return False
    if case.submitter_id is not None:
        return case.submitter_id == user_id
    return case.author_tag is not None and case.author_tag in seal.tags(user_id)


def conceal(session: AsyncSession, case: Case, user_id: int, seal: IdentitySeal) -> None:
    """What the transaction tells the author of an anonymous case is stored with their chat
    sealed: it names the case."""
    if case.anonymous:
        outbox_crud.seal_chat(session, user_id, seal)


def acts_as_author(session: AsyncSession, case: Case, user_id: int, seal: IdentitySeal) -> bool:
    """Whether the person wrote the case; if so, what they are told about it is concealed."""
    if not is_author(case, user_id, seal):
        return False
    conceal(session, case, user_id, seal)
    return True


def author_id(case: Case, seal: IdentitySeal) -> int | None:
    """The author, opened from the seal of an anonymous case: only to reach them, in memory.
    None when no key opens it (IDENTITY_KEY lost or wrong): the case goes on without them."""
    if case.submitter_id is not None:
        return case.submitter_id
    if not case.author_sealed:
        return None
    try:
        return seal.open(case.author_sealed)
    except SealError:
        log.error("case %s: no IDENTITY_KEY opens its author, who is not told", case.number)
        return None


def stored_actor(case: Case, user_id: int | None, student: bool) -> int | None:
    """What an event (or the case's last actor) records as who acted: nobody, when the
    author of an anonymous case acted — the role says it was the student."""
    return None if student and case.anonymous else user_id


async def own_cases(
    *,
    session: AsyncSession,
    seal: IdentitySeal,
    user_id: int,
    limit: int | None = None,
    offset: int = 0,
) -> list[Case]:
    return await cases_crud.own_cases(
        session=session, user_id=user_id, tags=seal.tags(user_id), limit=limit, offset=offset
    )


async def count_own(*, session: AsyncSession, seal: IdentitySeal, user_id: int) -> int:
    return await cases_crud.count_own_cases(
        session=session, user_id=user_id, tags=seal.tags(user_id)
    )


async def count_recent_submissions(
    *, session: AsyncSession, seal: IdentitySeal, user_id: int, since: datetime
) -> tuple[int, datetime | None]:
    return await cases_crud.count_recent_submissions(
        session=session, user_id=user_id, since=since, tags=seal.tags(user_id)
    )
