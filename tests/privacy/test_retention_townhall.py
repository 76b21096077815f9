"""What a purge keeps of a town hall (面对面) held longer than the retention period ago: its
questions' figures (status, college, answer, vote counts: the board and the export rank and
count as before) and the texts that were published (approved, answered or not); not who
asked, who voted, nor the texts never published (pending, rejected with its reason, merged).
A recent session and the students' opt-ins are left alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from bot.privacy import retention
from bot.townhall import board, export
from storage.crud import townhall as townhall_crud
from storage.db import create_session_factory
from storage.models import TownHall, TownHallOptIn, TownHallQuestion, TownHallVote
from tests.privacy.test_retention_digest import services_for
from tests.support.digest_fixture import at
from tests.support.dump_scan import stored_values
from tests.support.harness import reset_database

NOW = at(1, 9, month=12) + timedelta(days=400)
OLD = at(10, 9)
ASKERS = (2001, 2002, 2003, 2004, 2005)
VOTERS = (3001, 3002, 3003)
SEALED, TAG = "sealed-asker-blob-7f3a", "tag-5c1e9d"
LIBRARY = "图书馆能否在考试周延长开放到凌晨一点？"
WATER = "宿舍楼的热水经常中断，学校有没有改造计划？"
SPAM, SPAM_REASON = "某某老师上课总是拖堂，点名批评他", "涉及对个人的指名批评"
PENDING, MERGED = "食堂能不能增加清真窗口？", "考试周图书馆可以晚些关门吗？"
RECENT = "下学期选课系统能否提前开放？"
ANSWER = "考试周起图书馆开放至凌晨一点。"


@dataclass
class Seeded:
    factory: async_sessionmaker[AsyncSession]
    old: int
    recent: int
    ids: dict[str, int]


async def _question(session: AsyncSession, town_hall_id: int, **values: Any) -> int:
    question = TownHallQuestion(town_hall_id=town_hall_id, college_code="clinical", **values)
    session.add(question)
    await session.flush()
    assert question.id is not None
    return question.id


@pytest.fixture
async def seeded(database_url: str) -> AsyncIterator[Seeded]:
    engine = await reset_database(database_url)
    factory = create_session_factory(engine)
    ids: dict[str, int] = {}
    async with factory.begin() as session:
        halls = [
            TownHall(
                title=title,
                held_at=held,
                place="学生活动中心",
                attendees="分管副校长",
                opens_at=held - timedelta(days=10),
                closes_at=held - timedelta(days=1),
                colleges=[],
                created_by=4001,
                created_at=held - timedelta(days=11),
            )
            for title, held in (("第一期", OLD), ("第九期", NOW - timedelta(days=10)))
        ]
        session.add_all(halls)
        await session.flush()
        old, recent = (hall.id or 0 for hall in halls)
        ids[LIBRARY] = await _question(
            session, old, text=LIBRARY, asker_id=2001, status="approved", created_at=OLD
        )
        ids[WATER] = await _question(
            session,
            old,
            text=WATER,
            anonymous=True,
            asker_sealed=SEALED,
            asker_tag=TAG,
            status="approved",
            answer=ANSWER,
            answered_by="分管副校长",
            answered_at=OLD,
            created_at=OLD,
        )
        ids[SPAM] = await _question(
            session,
            old,
            text=SPAM,
            asker_id=2003,
            status="rejected",
            reason=SPAM_REASON,
            created_at=OLD,
        )
        ids[PENDING] = await _question(session, old, text=PENDING, asker_id=2004, created_at=OLD)
        ids[MERGED] = await _question(
            session,
            old,
            text=MERGED,
            asker_id=2005,
            status="merged",
            merged_into_id=ids[LIBRARY],
            created_at=OLD,
        )
        ids[RECENT] = await _question(
            session, recent, text=RECENT, asker_id=2002, status="approved", created_at=NOW
        )
        votes = [(LIBRARY, uid) for uid in (3001, 3002, 2002)]
        votes += [(WATER, 3001), (RECENT, 3003)]
        session.add_all(
            TownHallVote(question_id=ids[text], user_id=uid, created_at=OLD) for text, uid in votes
        )
        session.add_all(TownHallOptIn(user_id=uid) for uid in (3001, 2001))
    yield Seeded(factory, old, recent, ids)
    await engine.dispose()


async def ranked(seeded: Seeded, town_hall_id: int) -> list[tuple[int, str, int, str | None]]:
    async with seeded.factory() as session:
        shown = await board.approved_questions(session=session, town_hall_id=town_hall_id)
        exported = await export.collect(session=session, town_hall_id=town_hall_id)
    assert [(q.id, q.votes) for q in exported.questions] == [(q.id, q.votes) for q in shown]
    return [(q.id, q.text, q.votes, q.answer) for q in shown]


async def traces(seeded: Seeded) -> list[str]:
    """Every value in the town-hall tables (reflected, so a column added later is scanned
    too) that names an asker or a voter, or holds a text never published."""
    people = {*ASKERS, *VOTERS}
    words = (SEALED, TAG, SPAM, SPAM_REASON, PENDING, MERGED)
    metadata = MetaData()
    found: list[str] = []
    async with seeded.factory() as session:
        connection = await session.connection()
        await connection.run_sync(metadata.reflect)
        for name in ("town_hall_questions", "town_hall_votes"):
            table = metadata.tables[name]
            for row in (await session.execute(select(table))).mappings():
                if row.get("town_hall_id", seeded.old) != seeded.old:
                    continue
                if name == "town_hall_votes" and row["question_id"] == seeded.ids[RECENT]:
                    continue
                for column, value in row.items():
                    for item in stored_values(value):
                        if (isinstance(item, int) and item in people) or (
                            isinstance(item, str) and any(word in item for word in words)
                        ):
                            found.append(f"{name}.{column} = {value!r:.80}")
    return found


async def test_an_old_town_hall_keeps_its_figures_and_published_questions_not_its_people(
    seeded: Seeded, database_url: str
) -> None:
    services = services_for(database_url)
    before_old, before_recent = (
        await ranked(seeded, seeded.old),
        await ranked(seeded, seeded.recent),
    )
    assert before_old == [
        (seeded.ids[LIBRARY], LIBRARY, 3, None),
        (seeded.ids[WATER], WATER, 1, ANSWER),
    ]
    assert await traces(seeded)  # the scan does find them before the purge
    async with seeded.factory() as session:
        preview = await retention.preview(session=session, now=NOW, days=365)

    done = await retention.purge(session_factory=seeded.factory, services=services, now=NOW)

    assert done.counts["town_hall_questions (askers)"] == 5
    assert done.counts["town_hall_questions (texts)"] == 3
    assert done.counts["town_hall_votes"] == 4
    for label in ("town_hall_questions (askers)", "town_hall_questions (texts)", "town_hall_votes"):
        assert preview.counts[label] == done.counts[label], label
    # The board and the export rank and count exactly as before.
    assert await ranked(seeded, seeded.old) == before_old
    assert await ranked(seeded, seeded.recent) == before_recent
    assert await traces(seeded) == []
    async with seeded.factory() as session:
        rows = {q.id: q for q in await session.scalars(select(TownHallQuestion))}
        by_text = {text: rows[qid] for text, qid in seeded.ids.items()}
        assert [by_text[t].text for t in (SPAM, PENDING, MERGED)] == ["", "", ""]
        assert by_text[SPAM].reason is None and by_text[SPAM].status == "rejected"
        assert by_text[MERGED].merged_into_id == seeded.ids[LIBRARY]
        assert by_text[WATER].anonymous and by_text[WATER].answered_by == "分管副校长"
        assert all(q.college_code == "clinical" for q in rows.values())
        # A recent session is not touched; the opt-ins are the students' own to switch off.
        assert by_text[RECENT].asker_id == 2002
        recent_voters = await townhall_crud.voter_ids(
            session=session, question_id=seeded.ids[RECENT]
        )
        assert recent_voters == [3003]
        assert set(await session.scalars(select(col(TownHallOptIn.user_id)))) == {2001, 3001}
        assert await townhall_crud.session_voter_ids(session=session, town_hall_id=seeded.old) == []

    again = await retention.purge(session_factory=seeded.factory, services=services, now=NOW)
    assert not any(label.startswith("town_hall") for label, n in again.counts.items() if n)


async def test_a_vote_given_after_the_purge_is_purged_after_the_others(
    seeded: Seeded, database_url: str
) -> None:
    services = services_for(database_url)
    await retention.purge(session_factory=seeded.factory, services=services, now=NOW)
    async with seeded.factory.begin() as session:
        for uid in (3009, 3008):
            added = await townhall_crud.add_vote(
                session=session, question_id=seeded.ids[LIBRARY], user_id=uid
            )
            assert added

    later = await retention.purge(
        session_factory=seeded.factory, services=services, now=NOW + timedelta(days=1)
    )

    assert later.counts["town_hall_votes"] == 2
    async with seeded.factory() as session:
        stand_ins = await townhall_crud.voter_ids(session=session, question_id=seeded.ids[LIBRARY])
    assert stand_ins == [-5, -4, -3, -2, -1]
    assert (await ranked(seeded, seeded.old))[0][2] == 5
