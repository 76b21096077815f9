"""The search structures each database builds its own way: SQLite's FTS5 table (trigram
tokenizer) kept by triggers, PostgreSQL's `pg_trgm` GIN indexes. Their migration owns them;
the models describe the schema both databases share, so comparing the two leaves these out.

A migration that rebuilds `cases` or `proposals` on SQLite (Alembic's batch mode copies the
table and drops the old one) drops the triggers with it and must create them again
(`sqlite_triggers`); the search stories fail if it does not.
"""

from __future__ import annotations

from typing import Any

FTS_TABLE = "case_search"
PG_INDEXES = frozenset({"ix_cases_text_trgm", "ix_proposals_title_trgm"})

# What a case is found by: its text, and a proposal's title.
_BODY = (
    "SELECT c.id, c.text || coalesce(char(10) || p.title, '') FROM cases c "
    "LEFT JOIN proposals p ON p.case_id = c.id"
)


def _refresh(case: str) -> str:
    return (
        f"DELETE FROM {FTS_TABLE} WHERE rowid = {case}; "
        f"INSERT INTO {FTS_TABLE}(rowid, body) {_BODY} WHERE c.id = {case};"
    )


def sqlite_triggers() -> dict[str, str]:
    """The triggers that keep `case_search` in step with cases and proposals, by name."""
    on = {
        "case_search_case_insert": ("AFTER INSERT ON cases", _refresh("new.id")),
        "case_search_case_text": ("AFTER UPDATE OF text ON cases", _refresh("new.id")),
        "case_search_case_delete": (
            "AFTER DELETE ON cases",
            f"DELETE FROM {FTS_TABLE} WHERE rowid = old.id;",
        ),
        "case_search_proposal_insert": ("AFTER INSERT ON proposals", _refresh("new.case_id")),
        "case_search_proposal_title": (
            "AFTER UPDATE OF title ON proposals",
            _refresh("new.case_id"),
        ),
        "case_search_proposal_delete": ("AFTER DELETE ON proposals", _refresh("old.case_id")),
    }
    return {
        name: f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN {body} END"
        for name, (when, body) in on.items()
    }


def sqlite_fill() -> str:
    """The index built from the rows already there."""
    return f"INSERT INTO {FTS_TABLE}(rowid, body) {_BODY}"


def is_search_object(name: str | None, type_: str) -> bool:
    """The FTS5 table and its shadow tables (`case_search_data`, …), or a trigram index."""
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
