"""`studentvoice keys rotate`: every sealed value re-sealed under the newest IDENTITY_KEY, and
every tag and stand-in recomputed, so that the older keys can then be removed. Anonymous cases
stored before identities were sealed (their author by id) are sealed on the way, with the rows
that would rebuild the link. Running it again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.casework import authors
from bot.core.sealing import IdentitySeal
from bot.domain.workflow import Role
from storage.crud import outbox as outbox_crud
from storage.models import (
    Case,
    CaseEvent,
    HeldMessage,
    MessageLink,
    OutboxMessage,
    TownHallQuestion,
)


@dataclass
class Rotated:
    sealed_cases: int = 0  # anonymous cases that still named their author, sealed now
    resealed_cases: int = 0
    moved_links: int = 0
    resealed_rows: int = 0  # outbox rows to a sealed chat
    resealed_held: int = 0  # messages a muted student sent, held
    resealed_questions: int = 0  # anonymous town hall questions' askers (面对面)
    current: int = 0  # values already under the newest key

    def add(self, other: Rotated) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


async def rotate(*, session: AsyncSession, seal: IdentitySeal) -> Rotated:
    done = Rotated()
    cases = await session.scalars(
        select(Case)
        .where(
            col(Case.anonymous),
            col(Case.author_sealed).is_not(None) | col(Case.submitter_id).is_not(None),
        )
        .order_by(col(Case.id))
    )
    for case in list(cases):
        if case.submitter_id is not None:
            await _seal_named(session, seal, case)
            done.sealed_cases += 1
            continue
        assert case.author_sealed is not None
        author = seal.open(case.author_sealed)
        if seal.is_current(case.author_sealed) and case.author_tag == seal.tag(author):
            done.current += 1
        else:
            case.author_sealed, case.author_tag = seal.reseal(case.author_sealed), seal.tag(author)
            session.add(case)
            done.resealed_cases += 1
        done.moved_links += await _move_links(session, case, seal.pseudonyms(author), seal)
    rows = await session.scalars(
        select(OutboxMessage).where(col(OutboxMessage.chat_sealed).is_not(None))
    )
    for row in rows:
        assert row.chat_sealed is not None
        lane = outbox_crud.sealed_lane(seal.tag(seal.open(row.chat_sealed)))
        if seal.is_current(row.chat_sealed) and row.lane == lane:
            done.current += 1
            continue
        row.chat_sealed, row.lane = seal.reseal(row.chat_sealed), lane
        session.add(row)
        done.resealed_rows += 1
    for held in await session.scalars(select(HeldMessage)):
        sealed = held.payload["sealed"]
        if seal.is_current(sealed):
            done.current += 1
            continue
        held.payload = {"sealed": seal.reseal(sealed)}
        session.add(held)
        done.resealed_held += 1
    questions = await session.scalars(
        select(TownHallQuestion).where(col(TownHallQuestion.asker_sealed).is_not(None))
    )
    for question in questions:
        assert question.asker_sealed is not None
        asker = seal.open(question.asker_sealed)
        if seal.is_current(question.asker_sealed) and question.asker_tag == seal.tag(asker):
            done.current += 1
            continue
        question.asker_sealed, question.asker_tag = (
            seal.reseal(question.asker_sealed),
            seal.tag(asker),
        )
        session.add(question)
        done.resealed_questions += 1
    await session.flush()
    return done


async def _seal_named(session: AsyncSession, seal: IdentitySeal, case: Case) -> None:
    """An anonymous case from before sealing: its author, their actions in its history, its
    links in their chat and its messages to them no longer name them."""
    author = case.submitter_id
    assert author is not None and case.id is not None
    authors.set_author(case, author, seal)
    if case.last_actor_id == author:
        case.last_actor_id = None
    session.add(case)
    await session.execute(
        update(CaseEvent)
        .where(
            col(CaseEvent.case_id) == case.id,
            col(CaseEvent.actor_id) == author,
            col(CaseEvent.actor_role) == Role.STUDENT,
        )
        .values(actor_id=None)
    )
    await _move_links(session, case, [author], seal)
    rows = await session.scalars(
        select(OutboxMessage).where(
            col(OutboxMessage.case_id) == case.id, col(OutboxMessage.chat_id) == author
        )
    )
    for row in rows:
        outbox_crud.seal_row(row, seal)
        session.add(row)


async def _move_links(session: AsyncSession, case: Case, old: list[int], seal: IdentitySeal) -> int:
    """The case's links in its author's chat, under the newest key's stand-in."""
    assert case.id is not None
    author = authors.author_id(case, seal)
    assert author is not None
    new = seal.pseudonym(author)
    stale = [chat for chat in old if chat != new]
    if not stale:
        return 0
    result = await session.execute(
        update(MessageLink)
        .where(col(MessageLink.case_id) == case.id, col(MessageLink.chat_id).in_(stale))
        .values(chat_id=new)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
