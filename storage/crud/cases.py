from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._query import fresh, numbers_linked
from storage.crud._upsert import insert_for
from storage.models import Attachment, Case, CaseCounter, CaseEvent, CaseFollower, MessageLink


async def next_number(*, session: AsyncSession, prefix: str, year: int) -> str:
    """`G2026-0042`: a per-series counter bumped atomically by the database."""
    series = f"{prefix}{year}"
    stmt = insert_for(session, CaseCounter).values(series=series, value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["series"], set_={"value": col(CaseCounter.value) + 1}
    ).returning(col(CaseCounter.value))
    value = (await session.execute(stmt)).scalar_one()
    return f"{series}-{value:04d}"


async def add_case(*, session: AsyncSession, case: Case) -> Case:
    session.add(case)
    await session.flush()
    return case


async def get_case(*, session: AsyncSession, case_id: int, for_update: bool = False) -> Case | None:
    return await fresh(session, Case, case_id, for_update=for_update)


async def get_case_by_number(*, session: AsyncSession, number: str) -> Case | None:
    stmt = select(Case).where(func.upper(col(Case.number)) == number.strip().upper())
    return (await session.scalars(stmt)).first()


def _authored_by(user_id: int, tags: Sequence[str]) -> Any:
    """A person's own cases: named by their id, or anonymous under one of their tags
    (`bot.core.sealing`: one per key, so cases tagged before a new key came are found too)."""
    named = col(Case.submitter_id) == user_id
    return or_(named, col(Case.author_tag).in_(list(tags))) if tags else named


async def own_cases(
    *,
    session: AsyncSession,
    user_id: int,
    tags: Sequence[str] = (),
    limit: int | None = None,
    offset: int = 0,
) -> list[Case]:
    """Newest first. Without `tags` (`IdentitySeal.tags`) only the named ones."""
    stmt = select(Case).where(_authored_by(user_id, tags))
    stmt = stmt.order_by(col(Case.created_at).desc(), col(Case.id).desc()).offset(offset)
    return list(await session.scalars(stmt.limit(limit) if limit is not None else stmt))


async def count_own_cases(*, session: AsyncSession, user_id: int, tags: Sequence[str] = ()) -> int:
    stmt = select(func.count()).select_from(Case).where(_authored_by(user_id, tags))
    return int(await session.scalar(stmt) or 0)


def _in_categories(categories: Sequence[str] | None, exclude: bool) -> Any:
    """A filter on the category: within `categories`, or outside them with `exclude`."""
    if categories is None:
        return true()
    inside = col(Case.category_code).in_(categories)
    return ~inside if exclude else inside


# Who answers for a case changed (认领 / 指派 / 取消认领): the event's text is the id of the
# officer given it (or released), named when shown, so that erasing them leaves no name behind.
ASSIGNED, UNASSIGNED = "assign_officer", "unassign_officer"
OWNER_EVENTS = (ASSIGNED, UNASSIGNED)


@dataclass(frozen=True)
class QueueFilter:
    """Which open cases a queue lists: `categories` as `_in_categories` takes them (with
    `exclude`), `colleges` by code, `assignee` one officer's, `unassigned` nobody's,
    `overdue_at` those past their current clock at that time."""

    states: Sequence[str]
    categories: Sequence[str] | None = None
    exclude: bool = False
    colleges: Sequence[str] | None = None
    assignee: int | None = None
    unassigned: bool = False
    overdue_at: datetime | None = None
    # 校院两级: "college" or "university" (None: both).
    level: str | None = None


def _overdue(now: datetime) -> Any:
    """Past the current clock: the first response if none yet, else the answer."""
    first = (col(Case.first_response_at).is_(None)) & (col(Case.first_response_due_at) < now)
    answer = (col(Case.first_response_at).is_not(None)) & (col(Case.answer_due_at) < now)
    return first | answer


def _queued(wanted: QueueFilter) -> list[Any]:
    where = [col(Case.state).in_(wanted.states), _in_categories(wanted.categories, wanted.exclude)]
    if wanted.colleges is not None:
        where.append(col(Case.college_code).in_(wanted.colleges))
    if wanted.level is not None:
        where.append(col(Case.level) == wanted.level)
    if wanted.assignee is not None:
        where.append(col(Case.assignee_id) == wanted.assignee)
    if wanted.unassigned:
        where.append(col(Case.assignee_id).is_(None))
    if wanted.overdue_at is not None:
        where.append(_overdue(wanted.overdue_at))
    return where


async def open_cases(
    *, session: AsyncSession, wanted: QueueFilter, limit: int, offset: int = 0
) -> tuple[list[Case], int]:
    """A page of the cases `wanted` names, oldest first, and how many there are in all."""
    where = _queued(wanted)
    total = await session.scalar(select(func.count()).select_from(Case).where(*where))
    stmt = select(Case).where(*where).order_by(col(Case.created_at), col(Case.id))
    rows = await session.scalars(stmt.offset(offset).limit(limit))
    return list(rows), int(total or 0)


async def add_event(*, session: AsyncSession, event: CaseEvent) -> CaseEvent:
    session.add(event)
    await session.flush()
    return event


async def events_of(*, session: AsyncSession, case_id: int, public_only: bool) -> list[CaseEvent]:
    stmt = select(CaseEvent).where(col(CaseEvent.case_id) == case_id)
    if public_only:
        stmt = stmt.where(col(CaseEvent.public).is_(True))
    return list(await session.scalars(stmt.order_by(col(CaseEvent.created_at), col(CaseEvent.id))))


async def add_attachments(
    *,
    session: AsyncSession,
    case_id: int,
    items: Sequence[dict[str, str | None]],
    event_id: int | None = None,
) -> list[Attachment]:
    rows = [
        Attachment(
            case_id=case_id,
            event_id=event_id,
            kind=str(item["kind"]),
            file_id=str(item["file_id"]),
            file_unique_id=item.get("file_unique_id"),
            file_name=item.get("file_name"),
        )
        for item in items
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def attachments_of(*, session: AsyncSession, case_id: int) -> list[Attachment]:
    stmt = select(Attachment).where(col(Attachment.case_id) == case_id).order_by(col(Attachment.id))
    return list(await session.scalars(stmt))


async def link_message(
    *, session: AsyncSession, chat_id: int, message_id: int, case_id: int
) -> None:
    stmt = insert_for(session, MessageLink).values(
        chat_id=chat_id, message_id=message_id, case_id=case_id
    )
    await session.execute(stmt.on_conflict_do_nothing())


async def case_by_message(
    *, session: AsyncSession, chat_id: int, message_id: int, stand_ins: Sequence[int] = ()
) -> Case | None:
    """`stand_ins`: the numbers a private chat's links of anonymous cases are stored under
    (`IdentitySeal.pseudonyms`)."""
    stmt = (
        select(Case)
        .join(MessageLink, col(MessageLink.case_id) == col(Case.id))
        .where(
            col(MessageLink.chat_id).in_([chat_id, *stand_ins]),
            col(MessageLink.message_id) == message_id,
        )
    )
    return (await session.scalars(stmt)).first()


async def case_by_topic(*, session: AsyncSession, chat_id: int, topic_id: int) -> Case | None:
    stmt = select(Case).where(col(Case.chat_id) == chat_id, col(Case.topic_id) == topic_id)
    return (await session.scalars(stmt)).first()


async def forget_cards(
    *, session: AsyncSession, chat_id: int, keep_states: Sequence[str]
) -> list[int]:
    """Cases whose card (and topic) lived in a chat the bot lost: the next card is a new one,
    in whichever chat is bound then. Returns those not in `keep_states`, whose cards are due
    again."""
    stmt = select(col(Case.id)).where(
        col(Case.chat_id) == chat_id, col(Case.state).not_in(keep_states)
    )
    due = [case_id for case_id in await session.scalars(stmt.order_by(col(Case.id))) if case_id]
    await session.execute(
        update(Case)
        .where(col(Case.chat_id) == chat_id)
        .values(chat_id=None, card_message_id=None, topic_id=None, card_title=None)
    )
    return due


async def without_card(
    *, session: AsyncSession, case_ids: Sequence[int], keep_states: Sequence[str]
) -> list[int]:
    """Of these cases, those with no card posted and not in `keep_states`."""
    if not case_ids:
        return []
    stmt = select(col(Case.id)).where(
        col(Case.id).in_(list(case_ids)),
        col(Case.card_message_id).is_(None),
        col(Case.state).not_in(keep_states),
    )
    return [case_id for case_id in await session.scalars(stmt.order_by(col(Case.id))) if case_id]


async def follower_ids(*, session: AsyncSession, case_id: int) -> list[int]:
    # A purged case's followers are counted under stand-ins (-1, -2, …) that are nobody.
    stmt = select(col(CaseFollower.user_id)).where(
        col(CaseFollower.case_id) == case_id, col(CaseFollower.user_id) > 0
    )
    return list(await session.scalars(stmt.order_by(col(CaseFollower.user_id))))


async def followed_by(*, session: AsyncSession, user_id: int) -> list[str]:
    """The numbers of the cases the user follows."""
    return await numbers_linked(session, CaseFollower, user_id)


async def add_followers(*, session: AsyncSession, case_id: int, user_ids: Sequence[int]) -> None:
    if not user_ids:
        return
    stmt = insert_for(session, CaseFollower).values(
        [{"case_id": case_id, "user_id": uid} for uid in user_ids]
    )
    await session.execute(stmt.on_conflict_do_nothing())


async def count_overdue(*, session: AsyncSession, wanted: QueueFilter, now: datetime) -> int:
    """How many of the cases `wanted` names are past their current clock at `now`."""
    stmt = select(func.count()).select_from(Case).where(*_queued(wanted), _overdue(now))
    return int(await session.scalar(stmt) or 0)


async def count_recent_submissions(
    *, session: AsyncSession, user_id: int, since: datetime, tags: Sequence[str] = ()
) -> tuple[int, datetime | None]:
    """How many cases the student submitted since `since`, and when the earliest of them was:
    the daily limit's count and the moment it eases. Without `tags` only the named ones."""
    stmt = select(func.count(), func.min(col(Case.created_at))).where(
        _authored_by(user_id, tags), col(Case.created_at) >= since
    )
    count, earliest = (await session.execute(stmt)).one()
    if earliest is not None and earliest.tzinfo is None:
        earliest = earliest.replace(tzinfo=UTC)  # an aggregate skips the column's type on SQLite
    return int(count or 0), earliest


async def unlink_messages(*, session: AsyncSession, case_id: int, chat_id: int) -> list[int]:
    """Drop the case's message links in a chat; the ids of the messages they named."""
    where = (col(MessageLink.case_id) == case_id, col(MessageLink.chat_id) == chat_id)
    ids = list(await session.scalars(select(col(MessageLink.message_id)).where(*where)))
    await session.execute(delete(MessageLink).where(*where))
    return ids
