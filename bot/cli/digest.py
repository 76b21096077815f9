"""`studentvoice digest --period 2026-W47 [--send] [--out FILE]`: any period, from stored data."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.config import Settings
    from bot.digest.build import Rendered

COMMANDS = frozenset({"digest"})
EXIT_USAGE = 2
EXIT_NOT_SENT = 1
PARTS = {"sendMessage": "summary", "sendPhoto": "chart", "sendDocument": "report"}
TAG = re.compile(r"<[^>]+>")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    digest = sub.add_parser("digest", help="render (and send) the digest of a past period")
    digest.add_argument(
        "--period", required=True, help="a week 2026-W47, month 2026-11, semester 2026-fall"
    )
    digest.add_argument("--send", action="store_true", help="send it to the committee chat")
    digest.add_argument("--out", type=Path, help="write the full HTML report to this file")


def plain(text: str) -> str:
    """The chat summary for a terminal: tags dropped, entities decoded."""
    return html.unescape(TAG.sub("", text))


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.config import ConfigError, load_organisation
    from bot.digest.periods import PeriodError, parse_period

    org = load_organisation(settings.organisation_file)
    try:
        period = parse_period(args.period, org.calendar.semesters)
    except PeriodError as exc:
        print(f"studentvoice digest: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from storage.types import utcnow  # SQLAlchemy, not needed to answer a typo

    now = utcnow()
    start, end = period.bounds(settings.tz)
    if start > now:
        print(f"studentvoice digest: {period.code} has not begun yet", file=sys.stderr)
        return EXIT_USAGE
    if args.send and not settings.bot_token:
        raise ConfigError("BOT_TOKEN: required to --send")
    # Imported once the arguments are known to be good: a typo is answered at once.
    from bot.core.context import Services
    from bot.digest.build import generate
    from storage.db import create_engine, create_session_factory

    services = Services.for_settings(settings, org)
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            rendered = await generate(
                session=session, services=services, period=period, now=now, so_far=end > now
            )
    finally:
        await engine.dispose()
    if args.out is not None:
        await asyncio.to_thread(args.out.write_text, rendered.html, encoding="utf-8")
    print(plain(rendered.summary))
    if args.send:
        return await _send(settings, rendered)
    return 0


async def _send(settings: Settings, rendered: Rendered) -> int:
    """Through the outbox like every message, then delivered before the command returns;
    EXIT_NOT_SENT, with the reason on one line, when the committee got none of it."""
    from bot.app.runtime import bind_configured_chats, build_app
    from bot.digest.build import queue
    from bot.domain.chats import COMMITTEE
    from storage.crud import outbox as outbox_crud
    from storage.crud import users as users_crud

    app = build_app(settings)
    try:
        await bind_configured_chats(app)
        async with app.session_factory() as session:
            binding = await users_crud.get_binding(session=session, purpose=COMMITTEE)
        if binding is None:
            print(
                "studentvoice digest: nothing sent: no committee chat is bound "
                "(set COMMITTEE_CHAT_ID)",
                file=sys.stderr,
            )
            return EXIT_NOT_SENT
        async with app.session_factory.begin() as session:
            rows = await queue(
                session=session, services=app.services, rendered=rendered, chat_id=binding.chat_id
            )
        ids = [row.id for row in rows if row.id is not None]
        parts = ", ".join(PARTS.get(row.method, row.method) for row in rows)
        print(f"queued {len(ids)} messages ({parts}) for the committee chat {binding.chat_id}")
        # A send that keeps failing for a passing reason stays queued for the running bot's
        # worker; the command reports it rather than waiting for the retries.
        with contextlib.suppress(TimeoutError):
            await app.worker.drain(limit_seconds=60)
        async with app.session_factory() as session:
            statuses = await outbox_crud.statuses(session=session, ids=ids)
        sent = statuses.count(outbox_crud.SENT)
        if sent == 0:
            print(
                f"studentvoice digest: nothing sent: none of the {len(ids)} messages reached "
                f"the committee chat {binding.chat_id} (see `studentvoice outbox failed`)",
                file=sys.stderr,
            )
            return EXIT_NOT_SENT
        print(f"sent {sent} of {len(ids)} messages to the committee chat {binding.chat_id}")
        return 0
    finally:
        await app.bot.session.close()
        await app.engine.dispose()
