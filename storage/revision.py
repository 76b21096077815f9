"""Which schema revision the code expects and which the database has, without Alembic: every
command checks this before it touches the data, so it must cost next to nothing (Alembic and
what it loads take about a second to import; `storage.migrate` loads it only to migrate)."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"


def code_heads(versions: Path = VERSIONS) -> str | None:
    """The revisions no other revision builds on, comma-joined and sorted: read from the
    migration files' `revision` and `down_revision` as Alembic reads them."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target: ast.expr
            if isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            else:
                continue
            if not isinstance(target, ast.Name):
                continue
            if target.id == "revision":
                revisions.add(ast.literal_eval(value))
            elif target.id == "down_revision":
                down = ast.literal_eval(value)
                parents.update([down] if isinstance(down, str) else down or ())
    return ",".join(sorted(revisions - parents)) or None


def _database_heads(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    return ",".join(sorted(rows)) or None


async def revisions(engine: AsyncEngine) -> tuple[str | None, str | None]:
    """(the database's revision(s), the code's head revision(s)), comma-joined and sorted.

    Features are developed on parallel branches of the migration history, so there may be
    several heads until a merge revision joins them.
    """
    async with engine.connect() as connection:
        current = await connection.run_sync(_database_heads)
    return current, code_heads()
