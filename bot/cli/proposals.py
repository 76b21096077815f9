"""`studentvoice session|roster|report`: congress sessions, their rosters, and the session's
implementation report, from the command line."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.database import NOT_MIGRATED, migrated
from bot.core import exports
from bot.core.progress import progress

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from bot.core.config import Organisation, Settings
    from bot.core.context import Services

COMMANDS = frozenset({"session", "roster", "report"})


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    session = sub.add_parser("session", help="congress sessions (学代会) and proposal windows")
    session_sub = session.add_subparsers(dest="session_command", required=True)
    create = session_sub.add_parser("create", help="a new session with its proposal window")
    create.add_argument("--name", required=True, help="e.g. 第十届学生代表大会第二次会议")
    create.add_argument("--opens", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    create.add_argument("--closes", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    create.add_argument("--cosigners", type=int, default=2, help="co-signers needed (default 2)")
    session_sub.add_parser("list", help="the sessions, newest last")
    roster = sub.add_parser("roster", help="a session's roster of representatives")
    roster_sub = roster.add_subparsers(dest="roster_command", required=True)
    imp = roster_sub.add_parser("import", help="import a CSV or XLSX roster")
    imp.add_argument("file", type=Path)
    imp.add_argument("--session", type=int, required=True, help="the session's id")
    imp.add_argument("--dry-run", action="store_true", help="check every row, import nothing")
    imp.add_argument("--links", type=Path, help="also write the invite links to this CSV")
    imp.add_argument("--bot", help="the bot's username, for the links (default BOT_USERNAME)")
    report = sub.add_parser("report", help="reports to files")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    rep = report_sub.add_parser("session", help="a session's implementation report (提案落实情况)")
    rep.add_argument("id", type=int)
    rep.add_argument("--out", type=Path, required=True, help="FILE: writes FILE.html, FILE.xlsx")
    rep.add_argument("--locale", choices=("zh_Hans", "en"), default="zh_Hans")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.config import load_organisation

    async with migrated(settings) as factory:
        if factory is None:
            return NOT_MIGRATED
        org = load_organisation(settings.organisation_file)
        if args.command == "session":
            return await _session(args, settings, factory)
        if args.command == "roster":
            return await _roster(args, settings, org, factory)
        return await _report(args, _services(settings, org), factory)


def _services(settings: Settings, org: Organisation) -> Services:
    """For the report only: the renderer loads every template and translation catalog."""
    from bot.core.context import Services

    return Services.for_settings(settings, org)


def _local_day(tz: ZoneInfo, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _day(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d")


async def _session(args: argparse.Namespace, settings: Settings, factory: Any) -> int:
    from storage.crud import proposals as crud
    from storage.models import CongressSession

    if args.session_command == "list":
        async with factory() as session:
            sessions = await crud.list_sessions(session=session)
        for congress in sessions:
            opens = _day(congress.opens_at, settings.tz)
            closes = _day(congress.closes_at - timedelta(seconds=1), settings.tz)
            print(
                f"{congress.id}\t{congress.name}\t{opens} – {closes}\t"
                f"co-signers needed: {congress.cosigners_required}"
            )
        if not sessions:
            print("no sessions yet: `studentvoice session create --name … --opens … --closes …`")
        return 0
    if args.closes < args.opens or args.cosigners < 0:
        print("--closes must not be before --opens, --cosigners not negative", file=sys.stderr)
        return 2
    async with factory.begin() as session:
        congress = await crud.add_session(
            session=session,
            congress=CongressSession(
                name=args.name.strip(),
                opens_at=_local_day(settings.tz, args.opens),
                # The window includes its last day.
                closes_at=_local_day(settings.tz, args.closes + timedelta(days=1)),
                cosigners_required=args.cosigners,
            ),
        )
    print(f"session {congress.id} created: {congress.name}")
    return 0


async def _roster(
    args: argparse.Namespace, settings: Settings, org: Organisation, factory: Any
) -> int:
    from bot.proposals import roster
    from bot.proposals.core import start_link
    from storage.crud import proposals as crud

    try:
        with progress("reading the roster", 1, unit="file") as advance:
            table = roster.read_table(args.file)
            advance(1)
    except roster.RosterFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    async with factory() as session:
        congress = await crud.get_session(session=session, session_id=args.session)
        if congress is None:
            print(f"no session {args.session} (see `studentvoice session list`)", file=sys.stderr)
            return 2
        existing = await crud.roster_numbers(session=session, session_id=args.session)
    checked = roster.check(table, org, existing)
    for line, problem in checked.problems:
        print(f"row {line}: {problem}", file=sys.stderr)
    if checked.problems:
        print(f"{len(checked.problems)} problem(s): nothing imported", file=sys.stderr)
        return 1
    if args.dry_run:
        print(f"{len(checked.rows)} representatives OK; dry run, nothing imported")
        return 0
    with progress("importing", len(checked.rows), unit="representative") as advance:
        async with factory.begin() as session:
            stored = await roster.store(session=session, session_id=args.session, rows=checked.rows)
        advance(len(stored))
    username = args.bot or settings.bot_username or await _bot_username(settings)
    print(f"{len(stored)} representatives imported into {congress.name}")
    links = [(rep, start_link(username, rep.invite_code)) for rep in stored]
    for rep, link in links:
        print(f"{rep.name}\t{rep.student_no}\t{link}")
    if args.links is not None:
        rows: list[list[object]] = [["姓名", "学号", "院系", "代表团/班级", "邀请链接"]]
        for rep, link in links:
            college = org.college(rep.college_code)
            college_name = college.name_zh if college else ""
            rows.append([rep.name, rep.student_no, college_name, rep.delegation, link])
        with args.links.open("w", encoding="utf-8-sig", newline="") as out:
            exports.write_csv(out, rows)
        print(f"invite links written to {args.links}")
    if username is None:
        print("(set BOT_USERNAME or pass --bot to put the bot's name in the links)")
    return 0


async def _bot_username(settings: Settings) -> str | None:
    """The bot's username from Telegram, when a token is configured."""
    if not settings.bot_token:
        return None
    from bot.app.runtime import build_bot

    bot = build_bot(settings)
    try:
        return (await bot.me()).username
    except Exception as exc:  # no network, a bad token: the links can still be fixed by hand
        print(f"could not ask Telegram for the bot's name: {exc}", file=sys.stderr)
        return None
    finally:
        await bot.session.close()


async def _report(args: argparse.Namespace, services: Services, factory: Any) -> int:
    from bot.proposals.report import UnknownSession, collect, render_html, render_xlsx

    async with factory() as session:
        try:
            with progress("collecting the report", 1, unit="report") as advance:
                report = await collect(session=session, services=services, session_id=args.id)
                advance(1)
        except UnknownSession:
            print(f"no session {args.id} (see `studentvoice session list`)", file=sys.stderr)
            return 2
    base: Path = args.out
    if base.suffix.lower() in (".html", ".xlsx"):
        base = base.with_suffix("")
    html_path, xlsx_path = base.with_suffix(".html"), base.with_suffix(".xlsx")
    with progress("writing the report", 2, unit="file") as advance:
        html_path.write_text(render_html(services, args.locale, report), encoding="utf-8")
        advance(1)
        xlsx_path.write_bytes(render_xlsx(services, args.locale, report))
        advance(1)
    print(f"{len(report.proposals)} proposals: {html_path}, {xlsx_path}")
    return 0
