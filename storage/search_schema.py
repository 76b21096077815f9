"""The search structures each database builds its own way: SQLite's FTS5 table (trigram
tokenizer) over `cases.text`, kept by triggers; PostgreSQL's `pg_trgm` GIN index on it. A
proposal's case text begins with its title (`bot.proposals.core.case_text`), so titles are
found too. Their migration owns them; the models describe the schema both databases share, so
comparing the two leaves these out.

A migration that rebuilds `cases` on SQLite (Alembic's batch mode copies the table and drops
the old one) drops the triggers with it and must create them again (`sqlite_triggers`); the
search stories fail if it does not.
"""

from __future__ import annotations

from typing import Any

FTS_TABLE = "case_search"
PG_INDEXES = frozenset({"ix_cases_text_trgm"})


def sqlite_triggers() -> dict[str, str]:
    """The triggers that keep `case_search` in step with `cases`, by name."""
    insert = f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, new.text);"
    delete = f"DELETE FROM {FTS_TABLE} WHERE rowid = old.id;"
    on = {
        "case_search_insert": ("AFTER INSERT ON cases", insert),
        "case_search_text": ("AFTER UPDATE OF text ON cases", f"{delete} {insert}"),
        "case_search_delete": ("AFTER DELETE ON cases", delete),
    }
    return {
        name: f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN {body} END"
        for name, (when, body) in on.items()
    }


def sqlite_fill() -> str:
    """The index built from the rows already there."""
    return f"INSERT INTO {FTS_TABLE}(rowid, body) SELECT id, text FROM cases"


def is_search_object(name: str | None, type_: str) -> bool:
    """The FTS5 table and its shadow tables (`case_search_data`, …), or the trigram index."""
    if name is None:
        return False
    if type_ == "table":
        return name == FTS_TABLE or name.startswith(f"{FTS_TABLE}_")
    return type_ == "index" and name in PG_INDEXES


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's filter: the search structures are left out of autogenerate's comparison."""
    del obj, compare_to
    return not (reflected and is_search_object(name, type_))
