"""`studentvoice` / `python -m bot`: run, migrate, demo, bench."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import proposal_cli
from bot.core import logs
from bot.core.config import ConfigError, Settings, load_organisation, load_settings
from bot.delivery import cli as delivery_cli

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studentvoice", description="StudentVoice (学生之声) bot")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot with long polling")
    sub.add_parser("migrate", help="bring the database schema up to date")
    sub.add_parser("catalogs", help="update the translation catalogs from the code (developers)")
    demo = sub.add_parser("demo", help="play a scripted story against a local Bot API emulator")
    demo.add_argument("--keep-db", action="store_true", help="keep the demo's SQLite file")
    bench = sub.add_parser("bench", help="benchmarks")
    bench_sub = bench.add_subparsers(dest="bench", required=True)
    ingest = bench_sub.add_parser("ingest", help="simulated students submitting cases")
    ingest.add_argument("-n", "--students", type=int, default=200)
    ingest.add_argument("--concurrency", type=int, default=20)
    ingest.add_argument("--json", action="store_true", help="one JSON object on the last line")
    ingest.add_argument("--database-url", help="an empty database instead of a fresh SQLite file")
    ingest.add_argument(
        "--echo-updates", type=int, help="echo baseline updates (default 5/student)"
    )
    bench_digest = bench_sub.add_parser("digest", help="digest generation over 100,000 cases")
    bench_digest.add_argument("-n", "--cases", type=int, default=100_000)
    bench_digest.add_argument(
        "--json", action="store_true", help="one JSON object on the last line"
    )
    bench_digest.add_argument(
        "--database-url", help="an empty database instead of a fresh SQLite file"
    )
    delivery_cli.add_bench(bench_sub)
    digest = sub.add_parser("digest", help="render (and send) the digest of a past period")
    digest.add_argument(
        "--period", required=True, help="a week 2026-W47, month 2026-11, semester 2026-fall"
    )
    digest.add_argument("--send", action="store_true", help="send it to the committee chat")
    digest.add_argument("--out", type=Path, help="write the full HTML report to this file")
    proposal_cli.add_commands(sub)
    delivery_cli.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logs.setup(verbose=args.verbose)
    try:
        return asyncio.run(_dispatch(args))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "catalogs":
        from bot.devkit.catalogs import main as update_catalogs

        return update_catalogs()
    if args.command == "demo":
        from bot.devkit.demo import run_demo

        return await run_demo(keep_db=args.keep_db)
    if args.command == "bench" and args.bench == "digest":
        from bot.devkit.bench.digest import run_digest_bench

        return await run_digest_bench(
            cases=args.cases, as_json=args.json, database_url=args.database_url
        )
    if args.command == "bench" and args.bench == "delivery":
        return await delivery_cli.bench(args)
    if args.command == "bench":
        from bot.devkit.bench.ingest import run_ingest_bench

        return await run_ingest_bench(
            students=args.students,
            concurrency=args.concurrency,
            as_json=args.json,
            database_url=args.database_url,
            echo_updates=args.echo_updates,
        )
    settings = load_settings()
    logs.allow_personal_data(settings.log_personal_data)
    load_organisation(settings.organisation_file)
    if args.command == "migrate":
        return await _migrate(settings)
    if args.command in delivery_cli.COMMANDS:
        return await delivery_cli.run(args, settings)
    if args.command in proposal_cli.COMMANDS:
        return await proposal_cli.run(args, settings)
    if args.command == "digest":
        from bot.digest.command import run_digest_command

        return await run_digest_command(
            settings, period_text=args.period, send=args.send, out=args.out
        )
    return await _run(settings)


async def _migrate(settings: Settings) -> int:
    from storage.db import create_engine
    from storage.migrate import revisions, upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        current, _ = await revisions(engine)
    finally:
        await engine.dispose()
    print(f"database is at revision {current}")
    return 0


async def _run(settings: Settings) -> int:
    from sqlalchemy import exc as sa_exc

    from bot.app.runtime import LIFECYCLE, build_app, run_polling
    from storage.migrate import revisions

    if not settings.bot_token:
        raise ConfigError("BOT_TOKEN: required to run (try `studentvoice demo` without one)")
    logging.getLogger(LIFECYCLE).setLevel(logging.INFO)
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
    await run_polling(app)
    return 0


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
