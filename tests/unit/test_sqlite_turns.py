"""SQLite writers of one process take turns on the process's own lock, in the order they asked,
and a turn is given back however a transaction ends; readers never wait for a writer.

SQLite's own wait for its write lock is cut to a hundredth of a second here: a writer that
asked SQLite rather than waiting for its turn would fail with "database is locked"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import SQLModel, col

from storage.db import READ_ONLY, create_engine, create_session_factory
from storage.models import ProcessedUpdate

WHEN = datetime(2026, 9, 1, tzinfo=UTC)


@dataclass
class Db:
    sessions: async_sessionmaker[AsyncSession]
    # Transactions begun so far, counted as their BEGIN is about to be sent.
    began: int = 0
    counted: asyncio.Event = field(default_factory=asyncio.Event)

    async def until_begun(self, count: int) -> None:
        while self.began < count:
            self.counted.clear()
            await self.counted.wait()
        # From its BEGIN to waiting for its turn, a writer makes no trip to another thread.
        for _ in range(20):
            await asyncio.sleep(0)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Db]:
    engine = create_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}", connect_args={"timeout": 0.01}
    )
    async with engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all)
    found = Db(create_session_factory(engine))

    def count(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("BEGIN"):
            found.began += 1
            found.counted.set()

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    yield found
    await engine.dispose()


async def write(db: Db, update_id: int, done: list[int] | None = None) -> None:
    async with db.sessions() as session:
        session.add(ProcessedUpdate(update_id=update_id, processed_at=WHEN))
        await session.commit()
    if done is not None:
        done.append(update_id)


async def stored(db: Db) -> list[int]:
    async with db.sessions(execution_options={READ_ONLY: True}) as session:
        rows = await session.scalars(
            select(col(ProcessedUpdate.update_id)).order_by(col(ProcessedUpdate.update_id))
        )
        return list(rows)


async def finished(*work: Awaitable[object]) -> None:
    await asyncio.wait_for(asyncio.gather(*work), 30)


async def test_a_writer_waits_for_its_turn_and_goes_when_the_writer_before_commits(db: Db) -> None:
    async with db.sessions() as first:
        first.add(ProcessedUpdate(update_id=1, processed_at=WHEN))
        await first.flush()
        second = asyncio.create_task(write(db, 2))
        await db.until_begun(2)
        assert not second.done()
        # A reader waits for neither, and sees nothing uncommitted.
        assert await stored(db) == []
        await first.commit()
    await finished(second)
    assert await stored(db) == [1, 2]


async def test_writers_go_in_the_order_they_asked(db: Db) -> None:
    done: list[int] = []
    async with db.sessions() as holder:
        holder.add(ProcessedUpdate(update_id=100, processed_at=WHEN))
        await holder.flush()
        waiting = []
        for update_id in (3, 1, 2):
            waiting.append(asyncio.create_task(write(db, update_id, done)))
            await db.until_begun(1 + len(waiting))
        assert done == []
        await holder.commit()
    await finished(*waiting)
    assert done == [3, 1, 2]


async def test_a_failed_or_rolled_back_transaction_gives_its_turn_back(db: Db) -> None:
    await write(db, 1)
    with pytest.raises(IntegrityError):
        async with db.sessions() as failing:
            failing.add(ProcessedUpdate(update_id=1, processed_at=WHEN))
            await failing.commit()
    await finished(write(db, 2))
    async with db.sessions() as rolled_back:
        rolled_back.add(ProcessedUpdate(update_id=3, processed_at=WHEN))
        await rolled_back.flush()
        await rolled_back.rollback()
    await finished(write(db, 4))
    assert await stored(db) == [1, 2, 4]
