"""Retention (`bot.privacy.retention`): the personal data of finished cases purged by set-based
statements over a batch of cases, and what a purge would take counted by the same conditions.

Which columns are personal is the caller's `Declaration`; here it becomes statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    Text,
    and_,
    cast,
    delete,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from storage.crud import outbox as outbox_crud
from storage.models import (
    Case,
    OutboxMessage,
    Proposal,
    StoredFile,
    TownHall,
    TownHallQuestion,
    TownHallVote,
)

# Outbox rows whose work is over; a row still to be sent is never taken.
DONE = (outbox_crud.SENT, outbox_crud.LISTED, outbox_crud.FAILED)


@dataclass(frozen=True)
class Declaration:
    """Per table (by name), what of a purged case's rows is personal.

    `personal`: columns emptied on every purged case. `unpublished`: text columns emptied
    unless the case was published (and, for a table in `published_mark`, that row too).
    `deleted`: tables whose rows of the case go. `pseudonymised`: (case_id, user_id,
    created_at) link tables whose rows stay, counted, with no one's id.
    """

    personal: Mapping[str, Sequence[str]]
    unpublished: Mapping[str, Sequence[str]]
    published_mark: Mapping[str, str] = field(default_factory=dict)
    deleted: Sequence[str] = ()
    pseudonymised: Sequence[str] = ()


# The cases a statement applies to: a batch's ids, or (to count) every case due.
Cases = Sequence[int] | Select[Any]


def due_cases(*, before: datetime, final_states: Iterable[str]) -> Select[Any]:
    """Finished before `before` and not yet purged."""
    return select(col(Case.id)).where(
        col(Case.state).in_(list(final_states)),
        col(Case.closed_at) < before,
        col(Case.purged_at).is_(None),
    )


async def due_batch(
    *, session: AsyncSession, before: datetime, final_states: Iterable[str], limit: int
) -> list[int]:
    stmt = due_cases(before=before, final_states=final_states).order_by(col(Case.id)).limit(limit)
    return [int(case_id) for case_id in await session.scalars(stmt)]


def _published(cases: Cases) -> Select[Any]:
    """Proposals registered and posted to the public channel: their texts are public already."""
    return select(col(Proposal.case_id)).where(
        col(Proposal.case_id).in_(cases),
        col(Proposal.accepted_at).is_not(None),
        col(Proposal.channel_message_id).is_not(None),
    )


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _key(table: Table) -> Any:
    return table.c.id if table.name == Case.__tablename__ else table.c.case_id


def _emptied(table: Table, columns: Sequence[str]) -> dict[str, Any]:
    return {name: None if table.c[name].nullable else "" for name in columns}


def _holds(table: Table, columns: Sequence[str]) -> ColumnElement[bool]:
    """Rows with something left to empty in these columns."""
    return or_(
        *(
            table.c[name].is_not(None) if table.c[name].nullable else table.c[name] != ""
            for name in columns
        )
    )


@dataclass(frozen=True)
class Step:
    label: str
    table: Table
    where: ColumnElement[bool]
    values: Mapping[str, Any] | None = None  # None: the rows go
    pseudonymise: bool = False
    # What a pseudonymised row belongs to: its stand-ins are numbered -1, -2, … within it.
    owner: str = "case_id"


def steps(declaration: Declaration, cases: Cases, now: datetime) -> list[Step]:
    """Everything a purge of `cases` does, in order; the cases themselves last, so a batch
    is found again until it is done."""
    out: list[Step] = []
    published = _published(cases)
    for name, columns in declaration.unpublished.items():
        table = _table(name)
        kept = _key(table).in_(published)
        mark = declaration.published_mark.get(name)
        if mark is not None:
            kept = and_(kept, table.c[mark].is_not(None))
        where = and_(_key(table).in_(cases), not_(kept), _holds(table, columns))
        out.append(Step(f"{name} (texts)", table, where, _emptied(table, columns)))
    for name, columns in declaration.personal.items():
        table = _table(name)
        if name == Case.__tablename__:
            continue
        where = and_(_key(table).in_(cases), _holds(table, columns))
        out.append(Step(name, table, where, _emptied(table, columns)))
    for name in declaration.pseudonymised:
        table = _table(name)
        where = and_(table.c.case_id.in_(cases), table.c.user_id > 0)
        out.append(Step(name, table, where, pseudonymise=True))
    for name in declaration.deleted:
        table = _table(name)
        out.append(Step(name, table, table.c.case_id.in_(cases)))
    outbox = _table(OutboxMessage.__tablename__)
    out.append(Step("outbox", outbox, and_(outbox.c.case_id.in_(cases), outbox.c.status.in_(DONE))))
    cases_table = _table(Case.__tablename__)
    values = _emptied(cases_table, declaration.personal.get(Case.__tablename__, ()))
    out.append(
        Step("cases", cases_table, cases_table.c.id.in_(cases), {**values, "purged_at": now})
    )
    return out


async def count(*, session: AsyncSession, step: Step) -> int:
    stmt = select(func.count()).select_from(step.table).where(step.where)
    return int(await session.scalar(stmt) or 0)


async def apply(*, session: AsyncSession, step: Step) -> int:
    """The step done; how many rows it touched."""
    if step.pseudonymise:
        return await _pseudonymise(session, step)
    if step.values is None:
        result = await session.execute(delete(step.table).where(step.where))
    else:
        result = await session.execute(update(step.table).where(step.where).values(step.values))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _pseudonymise(session: AsyncSession, step: Step) -> int:
    """Each row again under -1, -2, … per case (or `step.owner`; Telegram user ids are
    positive), in the order they came, then the named rows removed: counts and times stay,
    who does not."""
    t = step.table
    owner = t.c[step.owner]
    order = (t.c.created_at, t.c.user_id)
    # After the stand-ins already there (a vote given after its session's purge, purged later).
    earlier = t.alias("earlier")
    taken = (
        select(func.coalesce(-func.min(earlier.c.user_id), 0))
        .where(earlier.c[step.owner] == owner, earlier.c.user_id < 0)
        .scalar_subquery()
    )
    stand_in = -(func.row_number().over(partition_by=owner, order_by=order) + taken)
    source = select(owner, stand_in, t.c.created_at).where(step.where)
    await session.execute(insert(t).from_select([step.owner, "user_id", "created_at"], source))
    result = await session.execute(delete(t).where(step.where))
    return int(result.rowcount)  # type: ignore[attr-defined]


def town_hall_steps(before: datetime, published: Sequence[str]) -> list[Step]:
    """Town-hall questions of sessions held before `before` (town halls are not cases): who
    asked goes; the texts of questions never `published` go (rejected, pending, merged, and
    a rejection's reason); votes stay as counts, each under a stand-in (-1, -2, … per
    question), no one's id."""
    questions = _table(TownHallQuestion.__tablename__)
    votes = _table(TownHallVote.__tablename__)
    held = select(col(TownHall.id)).where(col(TownHall.held_at) < before)
    of_held = questions.c.town_hall_id.in_(held)
    askers = ("asker_id", "asker_sealed", "asker_tag")
    texts = ("text", "reason")
    unpublished = and_(of_held, questions.c.status.not_in(list(published)))
    return [
        Step(
            "town_hall_questions (askers)",
            questions,
            and_(of_held, _holds(questions, askers)),
            _emptied(questions, askers),
        ),
        Step(
            "town_hall_questions (texts)",
            questions,
            and_(unpublished, _holds(questions, texts)),
            _emptied(questions, texts),
        ),
        Step(
            "town_hall_votes",
            votes,
            and_(
                votes.c.question_id.in_(select(questions.c.id).where(of_held)),
                votes.c.user_id > 0,
            ),
            pseudonymise=True,
            owner="question_id",
        ),
    ]


async def cards_of(*, session: AsyncSession, case_ids: Sequence[int]) -> list[int]:
    """Of these cases, those with a card in the officers' chat (which shows their data)."""
    stmt = select(col(Case.id)).where(
        col(Case.id).in_(case_ids), col(Case.card_message_id).is_not(None)
    )
    return [case_id for case_id in await session.scalars(stmt) if case_id is not None]


async def posted_proposals(*, session: AsyncSession, case_ids: Sequence[int]) -> list[Proposal]:
    """Of these cases, the proposals with a post in the public channel (which names the
    proposer)."""
    stmt = select(Proposal).where(
        col(Proposal.case_id).in_(case_ids), col(Proposal.channel_message_id).is_not(None)
    )
    return list(await session.scalars(stmt))


def old_rows(before: datetime, files_kept: Iterable[int] = ()) -> list[Step]:
    """What outlived the period regardless of cases: finished outbox rows, and generated
    files (reports) but those in `files_kept` (which a row still to be sent needs)."""
    outbox = _table(OutboxMessage.__tablename__)
    files = _table(StoredFile.__tablename__)
    old_files = files.c.created_at < before
    kept = list(files_kept)
    if kept:
        old_files = and_(old_files, files.c.id.not_in(kept))
    return [
        Step(
            "outbox (finished rows)",
            outbox,
            and_(outbox.c.status.in_(DONE), outbox.c.created_at < before),
        ),
        Step("stored_files", files, old_files),
    ]


async def files_needed(*, session: AsyncSession) -> set[int]:
    """Stored files a row still to be sent refers to (`{"stored_file": id}` in its payload)."""
    stmt = select(col(OutboxMessage.payload)).where(
        col(OutboxMessage.status).not_in(DONE),
        cast(col(OutboxMessage.payload), Text).like("%stored_file%"),
    )
    needed: set[int] = set()
    for payload in await session.scalars(stmt):
        for value in payload.values():
            if isinstance(value, dict) and "stored_file" in value:
                needed.add(int(value["stored_file"]))
    return needed
