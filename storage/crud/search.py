"""Finding cases by words in their text (a proposal's begins with its title), each database its
own way (`storage.search_schema`): SQLite's FTS5 trigram index, PostgreSQL's `pg_trgm` one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import column, func, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Case
from storage.search_schema import FTS_TABLE

# A trigram index finds a word of three characters or more; a shorter one is looked for
# row by row (LIKE).
TRIGRAM = 3


async def search_cases(
    *,
    session: AsyncSession,
    terms: Sequence[str],
    states: Sequence[str],
    categories: Sequence[str] | None,
    exclude_categories: bool,
    colleges: Sequence[str] | None,
    limit: int,
    offset: int,
    level: str | None = None,
) -> tuple[list[Case], int]:
    """Cases in `states` whose text holds every term (letters and digits only, as the caller
    gives them), newest first, with their number in all. `categories`: those the cases are
    in, or with `exclude_categories` those they are not; None for any. `level`: the level (校院两级)
    holding them, None for either."""
    conditions: list[Any] = [col(Case.state).in_(states)]
    if categories is not None:
        inside = col(Case.category_code).in_(categories)
        conditions.append(~inside if exclude_categories else inside)
    if colleges is not None:
        conditions.append(col(Case.college_code).in_(colleges))
    if level is not None:
        conditions.append(col(Case.level) == level)
    conditions += text_conditions(session, terms)
    base = select(Case).where(*conditions)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    rows = await session.scalars(
        base.order_by(col(Case.created_at).desc(), col(Case.id).desc()).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


def text_conditions(session: AsyncSession, terms: Sequence[str]) -> list[Any]:
    """Conditions on `Case` that hold for a case whose text holds every term (none for none),
    for other queries over cases (the public board's) to search as `search_cases` does."""
    if not terms:
        return []
    if session.get_bind().dialect.name == "sqlite":
        return _fts5(terms)
    return _trigram(terms)


def _fts5(terms: Sequence[str]) -> list[Any]:
    """The FTS5 table for words of three characters or more; it finds no shorter ones (not even
    through LIKE), which are looked for in the texts themselves."""
    long = [term for term in terms if len(term) >= TRIGRAM]
    conditions = [col(Case.text).like(f"%{term}%") for term in terms if len(term) < TRIGRAM]
    if long:
        fts = table(FTS_TABLE, column("rowid"))
        # A quoted phrase is matched as a substring by the trigram tokenizer; terms hold no quote.
        phrase = " AND ".join(f'"{term}"' for term in long)
        found = select(fts.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(phrase))
        conditions.append(col(Case.id).in_(found))
    return conditions


def _trigram(terms: Sequence[str]) -> list[Any]:
    """ILIKE, which the GIN trigram index answers for terms of three characters or more (terms
    hold no % or _)."""
    return [col(Case.text).ilike(f"%{term}%") for term in terms]
