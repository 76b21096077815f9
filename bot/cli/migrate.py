"""`studentvoice migrate`: the database schema brought up to date."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.config import Settings

COMMANDS = frozenset({"migrate"})


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("migrate", help="bring the database schema up to date")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import create_engine
    from storage.revision import revisions

    engine = create_engine(settings.database_url)
    try:
        current, head = await revisions(engine)
        if current != head:
            from storage.migrate import upgrade

            await upgrade(engine)
            current, _ = await revisions(engine)
    finally:
        await engine.dispose()
    print(f"database is at revision {current}")
    return 0
