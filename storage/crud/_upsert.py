"""INSERT … ON CONFLICT for both dialects."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Any) -> Any:
    # Each dialect's module is loaded only where it is used: a command on SQLite starts without
    # PostgreSQL's (about 35 ms).
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def supports_skip_locked(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"
