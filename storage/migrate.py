"""Schema migrations, run from the CLI (no alembic.ini needed) or checked before start-up."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))

    def _upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")

    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def revisions(engine: AsyncEngine) -> tuple[str | None, str | None]:
    """(the database's revision(s), the code's head revision(s)), comma-joined and sorted.

    Features are developed on parallel branches of the migration history, so there may be
    several heads until a merge revision joins them.
    """
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    heads = ",".join(sorted(script.get_heads())) or None

    def _current(connection: Connection) -> str | None:
        return ",".join(sorted(MigrationContext.configure(connection).get_current_heads())) or None

    async with engine.connect() as connection:
        current = await connection.run_sync(_current)
    return current, heads
