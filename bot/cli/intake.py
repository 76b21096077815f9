"""`studentvoice intake import|template`: a batch of cases received offline (paper forms, the
mailbox, a face-to-face session), registered from a spreadsheet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.database import NOT_MIGRATED, migrated
from bot.core.progress import progress

if TYPE_CHECKING:
    from bot.core.config import Settings

COMMANDS = frozenset({"intake"})


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    intake = sub.add_parser("intake", help="cases received offline (paper, mailbox, sessions)")
    intake_sub = intake.add_subparsers(dest="intake_command", required=True)
    imp = intake_sub.add_parser("import", help="register the cases of an XLSX (or CSV) file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="check every row, register nothing")
    imp.add_argument("--out", type=Path, help="also write the case numbers and links to this XLSX")
    imp.add_argument("--bot", help="the bot's username, for the links (default BOT_USERNAME)")
    template = intake_sub.add_parser("template", help="write an empty import file")
    template.add_argument("file", type=Path)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.config import load_organisation
    from bot.intake import sheet

    org = load_organisation(settings.organisation_file)
    if args.intake_command == "template":
        args.file.write_bytes(sheet.template(org))
        print(f"template written to {args.file}: the accepted codes are on its second sheet")
        return 0
    return await _import(args, settings)


async def _import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.proposals import _bot_username
    from bot.core.context import Services
    from bot.domain.workflow import Actor, Role
    from bot.intake import sheet
    from bot.intake.register import register
    from bot.proposals.core import start_link
    from bot.proposals.roster import RosterFileError, read_table

    try:
        table = read_table(args.file)
    except RosterFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    services = Services.for_settings(settings)
    today = services.now().astimezone(settings.tz).date()
    checked = sheet.check(table, services.org, today)
    for line, column, problem in checked.problems:
        print(f"row {line}, column {column}: {problem}", file=sys.stderr)
    if checked.problems:
        print(f"{len(checked.problems)} problem(s): nothing registered", file=sys.stderr)
        return 1
    if args.dry_run:
        for row in checked.rows:
            d = row.draft
            print(
                f"row {row.line}: {d.source} {d.received_on} {d.kind} {d.category} {d.college}"
                f"{' anonymous' if d.anonymous else ' named'}{' +invite' if row.invite else ''}"
            )
        print(f"{len(checked.rows)} cases OK; dry run, nothing registered")
        return 0
    async with migrated(settings) as factory:
        if factory is None:
            return NOT_MIGRATED
        # An admin at the command line: no Telegram account stands behind it.
        registrar = Actor(None, Role.ADMIN)
        done: list[tuple[int, str, str | None]] = []
        with progress("registering", len(checked.rows), unit="case") as advance:
            # One transaction: the whole file, or (on any failure) nothing.
            async with factory.begin() as session:
                for row in checked.rows:
                    registered = await register(
                        session=session,
                        services=services,
                        registrar=registrar,
                        draft=row.draft,
                        invite=row.invite,
                    )
                    done.append((row.line, registered.case.number, registered.payload))
                    advance(1)
    username = args.bot or settings.bot_username
    if username is None and any(payload for _, _, payload in done):
        username = await _bot_username(settings)
    lines = [
        (line, number, start_link(username, payload) if payload else "")
        for line, number, payload in done
    ]
    for line, number, link in lines:
        print(f"row {line}: {number}\t{link}".rstrip())
    print(f"{len(done)} cases registered; their cards are posted when the bot runs")
    if args.out is not None:
        args.out.write_bytes(sheet.links_sheet(lines))
        print(f"numbers and links written to {args.out}")
    if username is None and any(link for _, _, link in lines):
        print("(set BOT_USERNAME or pass --bot to put the bot's name in the links)")
    return 0
