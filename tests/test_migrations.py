"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.migrate import revisions
from tests.harness import reset_database


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = await reset_database(database_url)

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
        current, head = await revisions(engine)
    finally:
        await engine.dispose()
    assert differences == []
    assert current == head is not None
