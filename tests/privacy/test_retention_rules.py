"""What a purge keeps of a proposal: its text only if it was published (registered and posted
to the public channel), its co-signatures and supports as counts; and what outlived the
period beside cases (finished outbox rows, generated reports) goes unless still needed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from bot.privacy import retention
from storage.db import create_session_factory
from storage.models import (
    Case,
    CongressSession,
    OutboxMessage,
    Proposal,
    ProposalAssignment,
    ProposalCosign,
    ProposalSupport,
    StoredFile,
)
from tests.privacy.test_retention_digest import services_for
from tests.support.digest_fixture import at
from tests.support.harness import reset_database

NOW = at(1, 9, month=12) + timedelta(days=400)
OLD = at(10, 9)
TITLE, PROBLEM = "关于延长图书馆开放时间的提案", "期末复习期间图书馆座位紧张，晚上十点闭馆过早。"


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = await reset_database(database_url)
    factory = create_session_factory(engine)
    async with factory.begin() as session:
        congress = CongressSession(name="第十届学代会", opens_at=OLD, closes_at=OLD)
        session.add(congress)
        await session.flush()
        for number, posted in (("P2026-0001", True), ("P2026-0002", False)):
            case = Case(
                number=number,
                kind="proposal",
                category_code="teaching",
                text=f"{TITLE}\n{PROBLEM}",
                state="closed",
                submitter_id=2001,
                rating=3,
                created_at=OLD,
                closed_at=OLD + timedelta(days=20),
            )
            session.add(case)
            await session.flush()
            assert case.id is not None and congress.id is not None
            session.add(
                Proposal(
                    case_id=case.id,
                    session_id=congress.id,
                    title=TITLE,
                    problem=PROBLEM,
                    reasons="理由",
                    measures="措施",
                    accepted_at=OLD + timedelta(days=1),
                    channel_chat_id=-100777 if posted else None,
                    channel_message_id=5 if posted else None,
                )
            )
            session.add_all(
                [
                    ProposalCosign(case_id=case.id, user_id=2002, agreed=True, created_at=OLD),
                    ProposalCosign(case_id=case.id, user_id=2003, agreed=True, created_at=OLD),
                    ProposalSupport(case_id=case.id, user_id=3001, created_at=OLD),
                    ProposalSupport(case_id=case.id, user_id=3002, created_at=OLD),
                    ProposalAssignment(
                        case_id=case.id,
                        department_code="library",
                        status="published",
                        answer="图书馆将在考试周延长开放至23点。",
                        liaison_id=4001,
                        review_comment="请补充具体日期",
                        published_at=OLD + timedelta(days=10),
                    ),
                    ProposalAssignment(
                        case_id=case.id,
                        department_code="logistics",
                        status="review",
                        answer="草稿：后勤配合延长供暖。",
                        liaison_id=4002,
                    ),
                ]
            )
        report = StoredFile(
            filename="w47.html", content_type="text/html", data=b"x", created_at=OLD
        )
        waiting = StoredFile(
            filename="w48.html", content_type="text/html", data=b"y", created_at=OLD
        )
        session.add_all([report, waiting])
        await session.flush()
        session.add_all(
            [
                OutboxMessage(chat_id=2001, status="failed", created_at=OLD, payload={"t": 1}),
                OutboxMessage(chat_id=2001, status="sent", created_at=NOW - timedelta(days=1)),
                OutboxMessage(
                    chat_id=-100888,
                    method="sendDocument",
                    status="pending",
                    created_at=OLD,
                    payload={"document": {"stored_file": waiting.id}},
                ),
            ]
        )
    yield factory
    await engine.dispose()


async def test_a_published_proposal_keeps_its_text_and_counts_not_its_people(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    done = await retention.purge(
        session_factory=sessions, services=services_for(database_url), now=NOW
    )
    assert done.cases == 2
    async with sessions() as session:
        cases = {c.number: c for c in await session.scalars(select(Case))}
        published, private = cases["P2026-0001"], cases["P2026-0002"]
        assert published.text == f"{TITLE}\n{PROBLEM}" and private.text == ""
        assert published.submitter_id is None and private.submitter_id is None
        proposals = {p.case_id: p for p in await session.scalars(select(Proposal))}
        assert proposals[published.id].title == TITLE  # type: ignore[index]
        hidden = proposals[private.id]  # type: ignore[index]
        assert (hidden.title, hidden.problem, hidden.reasons, hidden.measures) == ("", "", "", "")
        parts = {
            (p.case_id, p.department_code): p
            for p in await session.scalars(select(ProposalAssignment))
        }
        assert all(p.liaison_id is None and p.review_comment is None for p in parts.values())
        # Only a published answer of a published proposal stays.
        answers = {key: p.answer for key, p in parts.items()}
        assert answers == {
            (published.id, "library"): "图书馆将在考试周延长开放至23点。",
            (published.id, "logistics"): None,
            (private.id, "library"): None,
            (private.id, "logistics"): None,
        }
        cosigners = list(await session.scalars(select(col(ProposalCosign.user_id))))
        assert cosigners == [None] * 4
        supports = list(
            await session.execute(
                select(col(ProposalSupport.case_id), func.count())
                .where(col(ProposalSupport.user_id) < 0)
                .group_by(col(ProposalSupport.case_id))
            )
        )
        assert sorted(n for _, n in supports) == [2, 2]
        assert (
            await session.scalar(select(func.count()).where(col(ProposalSupport.user_id) > 0)) == 0
        )
        # The old failed row and the old report went; the recent row and the file a waiting
        # row needs stayed.
        rows = list(await session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id))))
        assert [r.status for r in rows] == ["sent", "pending"]
        files = list(await session.scalars(select(col(StoredFile.filename))))
        assert files == ["w48.html"]
    assert done.counts["stored_files"] == 1 and done.counts["outbox (finished rows)"] == 1
