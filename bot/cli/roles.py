"""`studentvoice roles list|grant|revoke` and `studentvoice export audit`: roles and the audit
log from the server's command line. The operator (their operating-system user) stands in the
audit log where an admin's Telegram id would."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.database import NOT_MIGRATED, migrated

if TYPE_CHECKING:
    from bot.core.config import Settings
    from bot.core.context import Services

COMMANDS = frozenset({"roles", "export"})


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    roles = sub.add_parser("roles", help="who holds which role; grant and revoke roles")
    roles_sub = roles.add_subparsers(dest="roles_command", required=True)
    roles_sub.add_parser("list", help="who holds which role")
    for name, says in (("grant", "give"), ("revoke", "take away")):
        change = roles_sub.add_parser(name, help=f"{says} a role (admin, officer, liaison, reader)")
        change.add_argument("role", help="admin, officer, liaison or reader (the committee's)")
        change.add_argument("user", help="@username or numeric id of someone the bot knows")
        change.add_argument(
            "scope",
            nargs="?",
            help="a liaison's department code; a college officer's college:<code>",
        )
    export = sub.add_parser("export", help="exports for oversight")
    export_sub = export.add_subparsers(dest="export_command", required=True)
    audit = export_sub.add_parser("audit", help="case events and the audit log of a period")
    audit.add_argument("--from", dest="start", required=True, type=date.fromisoformat)
    audit.add_argument("--to", dest="end", required=True, type=date.fromisoformat, help="included")
    audit.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    audit.add_argument(
        "--identities", action="store_true", help="ids and names instead of pseudonyms (logged)"
    )
    audit.add_argument("--out", type=Path, help="default: audit-FROM-TO.csv|xlsx")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.config import load_organisation
    from bot.core.context import Services
    from bot.core.render import Renderer

    async with migrated(settings) as factory:
        if factory is None:
            return NOT_MIGRATED
        org = load_organisation(settings.organisation_file)
        services = Services(settings=settings, org=org, renderer=Renderer(org, settings.tz))
        if args.command == "export":
            return await _export(args, services, factory)
        return await _roles(args, services, factory)


async def _roles(args: argparse.Namespace, services: Services, factory: Any) -> int:
    from bot.domain.labels import TRANSITION_ERROR
    from bot.domain.workflow import TransitionError
    from bot.privacy import roles

    if args.roles_command == "list":
        async with factory() as session:
            found = await roles.holders(session=session, services=services)
        for role, people in found.items():
            print(f"{role}:")
            for person in people:
                extra = " (ADMIN_IDS)" if person.from_settings else ""
                scope = f" [{person.scope}]" if person.scope else ""
                print(f"  {person.user_id}\t{person.name}{scope}{extra}")
            if not people:
                print("  nobody")
        return 0
    operator = roles.Operator(name=getpass.getuser())
    change = roles.grant if args.roles_command == "grant" else roles.revoke
    try:
        async with factory.begin() as session:
            done = await change(
                session=session,
                services=services,
                operator=operator,
                role=args.role,
                who=args.user,
                scope=args.scope if args.roles_command == "revoke" else (args.scope or ""),
            )
    except TransitionError as exc:
        print(TRANSITION_ERROR.get(exc.reason, exc.reason), file=sys.stderr)
        return 1
    name = roles.person_name(done.user, done.user.id)
    verb = "granted to" if args.roles_command == "grant" else "revoked from"
    print(f"{done.role}{f' [{done.scope}]' if done.scope else ''} {verb} {name} ({done.user.id})")
    return 0


async def _export(args: argparse.Namespace, services: Services, factory: Any) -> int:
    from bot.privacy import audit_export

    if args.end < args.start:
        print("--to must not be before --from", file=sys.stderr)
        return 2
    tz = services.settings.tz
    start = datetime.combine(args.start, time(0), tzinfo=tz)
    end = datetime.combine(args.end + timedelta(days=1), time(0), tzinfo=tz)
    out: Path = args.out or Path(f"audit-{args.start}-{args.end}.{args.format}")
    flags = f"--from {args.start} --to {args.end} --format {args.format}" + (
        " --identities" if args.identities else ""
    )
    async with factory.begin() as session:
        await audit_export.record(
            session=session, services=services, operator=getpass.getuser(), flags=flags
        )
    async with factory() as session:
        table = await audit_export.rows(
            session=session, services=services, start=start, end=end, identities=args.identities
        )
    audit_export.write(out, table, args.format)
    print(f"{len(table) - 1} rows written to {out}")
    return 0
