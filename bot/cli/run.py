"""`studentvoice run` and `studentvoice webhook`: the bot with long polling or with Telegram's
webhook, once the database is reachable and migrated."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.runtime import App
    from bot.core.config import Settings

COMMANDS = frozenset({"run", "webhook"})
EXIT_CONFIG = 2


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("run", help="run the bot with long polling")
    sub.add_parser(
        "webhook", help="run the bot behind an HTTPS reverse proxy with Telegram's webhook"
    )


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.config import ConfigError

    # Every missing setting is told before the bot is loaded (seconds of aiogram's types).
    if not settings.bot_token:
        raise ConfigError("BOT_TOKEN: required to run (try `studentvoice demo` without one)")
    if args.command == "webhook":
        if not settings.webhook_secret:
            raise ConfigError("WEBHOOK_SECRET: required for the webhook (A-Z, a-z, 0-9, _ and -)")
        if not settings.webhook_url:
            raise ConfigError("WEBHOOK_URL: required for the webhook (the public https:// base)")
        if not settings.webhook_listen:
            raise ConfigError("WEBHOOK_LISTEN: required for the webhook (host:port)")
    app = await _ready_app(settings)
    if isinstance(app, int):
        return app
    if args.command == "webhook":
        from bot.app.webhook_server import WebhookServer

        await WebhookServer(app).run()
    else:
        from bot.app.runtime import run_polling

        await run_polling(app)
    return 0


async def _ready_app(settings: Settings) -> App | int:
    """The app on a reachable database at the code's revision, or the exit status."""
    from sqlalchemy import exc as sa_exc

    from bot.app.runtime import build_app
    from bot.core import logs
    from storage.revision import revisions

    logs.at_least_info()
    unreachable = (OSError, TimeoutError, sa_exc.DBAPIError)
    try:
        app = build_app(settings)  # a SQLite file's folder is made here
    except OSError as exc:
        return _unreachable(settings, exc)
    try:
        current, head = await revisions(app.engine)
    except unreachable as exc:
        await app.engine.dispose()
        await app.bot.session.close()
        return _unreachable(settings, exc)
    if current != head:
        await app.engine.dispose()
        await app.bot.session.close()
        print(
            f"the database is at revision {current or 'none'} but the code needs {head}: "
            "run `studentvoice migrate` first",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    return app


def _unreachable(settings: Settings, exc: BaseException) -> int:
    print(
        f"DATABASE_URL: cannot reach the database ({_where(settings.database_url)}): "
        f"{_first_line(exc)}",
        file=sys.stderr,
    )
    return EXIT_CONFIG


def _where(database_url: str) -> str:
    """The database's kind and place, without credentials."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite {url.database or ':memory:'}"
    place = f"{url.host or 'localhost'}:{url.port}" if url.port else url.host or "localhost"
    return f"{url.get_backend_name()} at {place}/{url.database or ''}"


def _first_line(exc: BaseException) -> str:
    """What went wrong, in one line: a database error's text goes on about the statement."""
    cause = getattr(exc, "orig", None) or exc
    cause = cause.__cause__ or cause  # the driver's own error, under SQLAlchemy's adapter
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0]}" if text else type(cause).__name__
