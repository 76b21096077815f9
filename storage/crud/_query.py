"""Queries that several tables ask the same way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Table, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from storage.crud._upsert import supports_skip_locked
from storage.models import Case, CaseFollower, CollegeFollow, ProposalSupport

Row = TypeVar("Row", bound=SQLModel)


def table(model: type[SQLModel]) -> Table:
    """The model's table: a statement on it is plain SQL, which costs SQLAlchemy about half of
    what the same statement on the model does (the ORM's bulk and synchronisation steps). For
    the statements of every update, where no object of the table is in the session to keep in
    step."""
    found = model.__table__  # type: ignore[attr-defined]
    assert isinstance(found, Table)
    return found


async def fresh(
    session: AsyncSession, model: type[Row], row_id: int, *, for_update: bool
) -> Row | None:
    """The row as the database has it now, not the session's older copy; locked on PostgreSQL
    when the caller is about to change it (SQLite's single writer needs no lock)."""
    key = inspect(model).primary_key[0]
    stmt = select(model).where(key == row_id).execution_options(populate_existing=True)
    if for_update and supports_skip_locked(session):
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def numbers_linked(
    session: AsyncSession,
    link: type[CaseFollower] | type[ProposalSupport] | type[CollegeFollow],
    user_id: int,
) -> list[str]:
    """The numbers of the cases a user is linked to through `link` (follows, supports), oldest
    first."""
    stmt = (
        select(col(Case.number))
        .join(link, col(link.case_id) == col(Case.id))
        .where(col(link.user_id) == user_id)
        .order_by(col(Case.id))
    )
    return list(await session.scalars(stmt))


async def add_all(session: AsyncSession, rows: Sequence[Row]) -> list[Row]:
    """Rows inserted together, flushed so that their ids are known."""
    session.add_all(rows)
    await session.flush()
    return list(rows)
