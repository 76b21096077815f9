"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.migrate import MIGRATIONS
from storage.revision import code_heads, revisions
from storage.search_schema import include_object
from tests.support.harness import reset_database


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    # The migrations run here, not the harness's migrated copy of them.
    engine = await reset_database(database_url, copy=False)

    def diff(connection: Connection) -> list[object]:
        # The search structures are each database's own (`storage.search_schema`).
        opts = {"compare_type": True, "include_object": include_object}
        context = MigrationContext.configure(connection, opts=opts)
        return list(compare_metadata(context, SQLModel.metadata))

    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
        current, head = await revisions(engine)
    finally:
        await engine.dispose()
    assert differences == []
    assert current == head is not None


def test_the_quick_revision_check_reads_the_history_as_alembic_does(tmp_path: Path) -> None:
    """`storage.revision` reads heads without Alembic; Alembic itself must agree, also when
    the history branches and merges."""
    assert code_heads() == ",".join(sorted(ScriptDirectory(str(MIGRATIONS)).get_heads()))
    (tmp_path / "a.py").write_text('revision: str = "a"\ndown_revision = None\n')
    (tmp_path / "b.py").write_text('revision = "b"\ndown_revision = "a"\n')
    (tmp_path / "c.py").write_text('revision = "c"\ndown_revision: str | None = "a"\n')
    assert code_heads(tmp_path) == "b,c"
    (tmp_path / "d.py").write_text('revision = "d"\ndown_revision = ("b", "c")\n')
    assert code_heads(tmp_path) == "d"
