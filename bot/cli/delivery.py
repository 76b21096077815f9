"""`studentvoice outbox failed|retry` and `deliver` (an instance that only delivers)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.core.config import Settings

COMMANDS = frozenset({"outbox", "deliver"})
EXIT_CONFIG = 2


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    outbox = sub.add_parser("outbox", help="messages that could not be delivered")
    outbox_sub = outbox.add_subparsers(dest="outbox", required=True)
    failed = outbox_sub.add_parser("failed", help="list them with Telegram's answer")
    failed.add_argument("--limit", type=int, default=20)
    retry = outbox_sub.add_parser("retry", help="queue them again (given ids, or --all)")
    retry.add_argument("ids", nargs="*", type=int)
    retry.add_argument("--all", action="store_true")
    sub.add_parser(
        "deliver", help="run only the delivery worker (another instance beside `run`, PostgreSQL)"
    )


async def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "deliver":
        return await _deliver(settings)
    from storage.db import create_engine, create_session_factory

    engine = create_engine(settings.database_url)
    try:
        session_factory = create_session_factory(engine)
        if args.outbox == "failed":
            return await _list_failed(session_factory, args.limit)
        return await _retry(session_factory, args)
    finally:
        await engine.dispose()


async def _list_failed(session_factory: Any, limit: int) -> int:
    from bot.delivery import admin

    async with session_factory() as session:
        items, total = await admin.failed(session=session, limit=limit)
    for item in items:
        row, case = item.row, item.case
        where = f"chat {row.chat_id}" if row.chat_id is not None else "officers' chat"
        about = f" {case.number}" if case is not None else ""
        print(f"#{row.id} {row.created_at:%Y-%m-%d %H:%M} {where}{about}: {row.last_error}")
    print(f"{total} failed" + (f", {len(items)} shown" if total > len(items) else ""))
    return 0


async def _retry(session_factory: Any, args: argparse.Namespace) -> int:
    from storage.crud import outbox as outbox_crud
    from storage.types import utcnow

    if not args.all and not args.ids:
        print("outbox retry: name the ids, or --all", file=sys.stderr)
        return EXIT_CONFIG
    async with session_factory.begin() as session:
        count = await outbox_crud.retry_failed(
            session=session, ids=None if args.all else args.ids, now=utcnow()
        )
    print(f"{count} queued again; the running bot sends them")
    return 0


async def _deliver(settings: Settings) -> int:
    """The worker alone, until SIGTERM or SIGINT: requests made are finished, the rest is left
    for the next instance."""
    from bot.app.runtime import announce, build_app, close, freeze_startup_heap, running
    from bot.core import logs
    from storage.revision import revisions

    logs.at_least_info()

    app = build_app(settings)
    try:
        current, head = await revisions(app.engine)
        if current != head:
            print(
                f"the database is at revision {current or 'none'} but the code needs {head}: "
                "run `studentvoice migrate` first",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        freeze_startup_heap()
        async with running(app):
            await announce(app, "delivery only")
            await stop.wait()
        return 0
    finally:
        await close(app)
