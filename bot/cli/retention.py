"""`studentvoice purge [--dry-run]`: the retention purge now, or what it would take."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.config import Settings

COMMANDS = frozenset({"purge"})


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    purge = sub.add_parser(
        "purge",
        help="purge the personal data of cases finished more than RETENTION_DAYS ago",
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="only count, per table, what would go"
    )


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.context import Services
    from bot.privacy import retention
    from storage.db import create_engine, create_session_factory

    services = Services.for_settings(settings)
    now = services.now()
    engine = create_engine(settings.database_url)
    try:
        session_factory = create_session_factory(engine)
        if args.dry_run:
            async with session_factory() as session:
                found = await retention.preview(
                    session=session, now=now, days=settings.retention_days
                )
        else:
            found = await retention.purge(
                session_factory=session_factory, services=services, now=now
            )
    finally:
        await engine.dispose()
    verb = "would purge" if args.dry_run else "purged"
    print(
        f"{verb} {found.cases} cases finished before {found.before:%Y-%m-%d %H:%M} UTC "
        f"(RETENTION_DAYS={settings.retention_days})"
    )
    for line in found.lines():
        print(f"  {line}")
    return 0
