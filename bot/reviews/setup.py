"""Opening a round (from the command line): whom it reviews, read from a file; its panel, the
representatives of a congress session's roster and named staff; the invitations.

Representatives whose account is linked are told at once (through the outbox); the others and
the staff, who may not be students at all, join by a one-time link. Only the link's hash is
kept.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import exports
from bot.core.context import Services
from bot.reviews import ballot
from bot.reviews.rules import INVITE_PREFIX, token_hash
from storage.crud import outbox as outbox_crud
from storage.crud import proposals as proposals_crud
from storage.crud import reviews as crud
from storage.models_reviews import PanelMember, Reviewee, ReviewRound

NAME_COLUMNS = ("姓名", "name")
POST_COLUMNS = ("职务", "post", "position")
STAFF_UNITS = ("学生工作部", "团委")


class SetupError(Exception):
    """The round cannot be opened as asked; nothing was stored."""


@dataclass
class Opened:
    review: ReviewRound
    told: int = 0
    # (name, unit, deep-link payload) of those who join by a link.
    links: list[tuple[str, str, str]] = field(default_factory=list)


def reviewees_from(table: list[list[str]]) -> list[tuple[str, str]]:
    """(name, post) of every row; SetupError names the first bad row."""
    rows = [[exports.single_line(c) for c in row] for row in table if any(row)]
    if not rows:
        raise SetupError("the reviewees' file is empty")
    header = [c.lower() for c in rows[0]]
    try:
        name_at = next(i for i, c in enumerate(header) if c in NAME_COLUMNS)
        post_at = next(i for i, c in enumerate(header) if c in POST_COLUMNS)
    except StopIteration:
        raise SetupError(
            "the reviewees' file needs the columns 姓名 (name) and 职务 (post)"
        ) from None
    found: list[tuple[str, str]] = []
    for line, row in enumerate(rows[1:], start=2):
        name = row[name_at] if name_at < len(row) else ""
        post = row[post_at] if post_at < len(row) else ""
        if not name or not post:
            raise SetupError(f"row {line}: a name and a post are both needed")
        if len(name) > 40 or len(post) > 60:
            raise SetupError(f"row {line}: the name (40) or the post (60) is too long")
        found.append((name, post))
    if not found:
        raise SetupError("the reviewees' file lists nobody")
    return found


def staff_from(items: list[str]) -> list[tuple[str, str]]:
    """ "name:unit" pairs; the unit is 学生工作部 or 团委 (or anything the admin writes)."""
    staff = []
    for item in items:
        name, _, unit = item.partition(":")
        if not name.strip() or len(name.strip()) > 40:
            raise SetupError(f"staff {item!r}: write it as NAME:UNIT, e.g. 王老师:学生工作部")
        staff.append((name.strip(), unit.strip() or STAFF_UNITS[0]))
    return staff


async def open_round(
    *,
    session: AsyncSession,
    services: Services,
    semester: str,
    reviewees: list[tuple[str, str]],
    staff: list[tuple[str, str]],
    deadline: datetime,
    quorum: Fraction,
    congress_session_id: int | None,
) -> Opened:
    now = services.now()
    if deadline <= now:
        raise SetupError("the deadline has already passed")
    if await crud.round_by_semester(session=session, semester=semester):
        raise SetupError(f"a round for {semester} already exists")
    congress_id = congress_session_id
    if congress_id is None:
        congresses = await proposals_crud.list_sessions(session=session)
        congress_id = max((c.id for c in congresses if c.id is not None), default=None)
    roster = (
        await proposals_crud.roster_of(session=session, session_id=congress_id)
        if congress_id is not None
        else []
    )
    opened = Opened(
        ReviewRound(
            semester=semester,
            deadline=deadline,
            quorum_num=quorum.numerator,
            quorum_den=quorum.denominator,
            opened_at=now,
        )
    )
    seats: list[PanelMember] = []
    for rep in roster:
        seats.append(
            PanelMember(
                round_id=0, kind="representative", name=rep.name, unit="", user_id=rep.user_id
            )
        )
    for name, unit in staff:
        seats.append(PanelMember(round_id=0, kind="staff", name=name, unit=unit))
    if not seats:
        raise SetupError("the panel is empty: no roster and no staff")
    for seat in seats:
        if seat.user_id is None:
            token = secrets.token_urlsafe(16)
            seat.invite_hash = token_hash(token)
            opened.links.append((seat.name, seat.unit or seat.kind, INVITE_PREFIX + token))
    people = [
        Reviewee(round_id=0, position=i, name=name, post=post)
        for i, (name, post) in enumerate(reviewees)
    ]
    await crud.add_round(session=session, review=opened.review, reviewees=people, panel=seats)
    rows = []
    for seat in seats:
        if seat.user_id is not None:
            rows += await ballot.invitation(
                session=session, services=services, review=opened.review, user_id=seat.user_id
            )
            opened.told += 1
    await outbox_crud.enqueue(session=session, messages=rows)
    return opened
