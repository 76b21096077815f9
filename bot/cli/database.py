"""The database as the commands that read or write it find it: only once its schema is current,
so that a command never runs against tables a pending migration is about to change."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bot.core.config import Settings

# The exit status of a command refused because migrations are pending.
NOT_MIGRATED = 2


@asynccontextmanager
async def migrated(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession] | None]:
    """The session factory, or None (already told on stderr) while migrations are pending; the
    engine is disposed on leaving."""
    from storage.db import create_engine, create_session_factory
    from storage.revision import revisions

    engine = create_engine(settings.database_url)
    try:
        current, head = await revisions(engine)
        if current != head:
            print(
                "the database is not up to date: run `studentvoice migrate` first", file=sys.stderr
            )
            yield None
        else:
            yield create_session_factory(engine)
    finally:
        await engine.dispose()
