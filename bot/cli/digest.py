"""`studentvoice digest --period 2026-W47 [--send] [--out FILE]`: any period, from stored data."""

from __future__ import annotations

import argparse
import asyncio
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
    from bot.core.render import Renderer
    from bot.digest.build import generate
    from storage.db import create_engine, create_session_factory

    services = Services(
        settings=settings,
        org=org,
        renderer=Renderer(org, settings.tz),
        group_locale=settings.group_locale,
    )
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
        await _send(settings, rendered)
    return 0


async def _send(settings: Settings, rendered: Rendered) -> None:
    """Through the outbox like every message, then delivered before the command returns."""
    from bot.app.runtime import bind_configured_chats, build_app
    from bot.core.config import ConfigError
    from bot.digest.build import queue
    from bot.domain.chats import COMMITTEE
    from storage.crud import users as users_crud

    app = build_app(settings)
    try:
        await bind_configured_chats(app)
        async with app.session_factory() as session:
            binding = await users_crud.get_binding(session=session, purpose=COMMITTEE)
        if binding is None:
            raise ConfigError("COMMITTEE_CHAT_ID: no committee chat to --send to")
        async with app.session_factory.begin() as session:
            await queue(
                session=session, services=app.services, rendered=rendered, chat_id=binding.chat_id
            )
        await app.worker.drain(limit_seconds=60)
        print(f"sent to the committee chat {binding.chat_id}")
    finally:
        await app.bot.session.close()
        await app.engine.dispose()
