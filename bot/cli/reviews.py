"""`studentvoice review open|close|status`: a semester review round (述职评议), set up from the
command line; its status and results are also asked for in the committee chat."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.database import NOT_MIGRATED, migrated

if TYPE_CHECKING:
    from bot.core.config import Settings

COMMANDS = frozenset({"review"})


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = sub.add_parser("review", help="semester reviews (述职评议)")
    review_sub = review.add_subparsers(dest="review_command", required=True)
    opened = review_sub.add_parser("open", help="open a round and invite its panel")
    opened.add_argument("--semester", required=True, help="e.g. 2026-fall")
    opened.add_argument(
        "--reviewees", type=Path, required=True, help="XLSX or CSV with 姓名 (name), 职务 (post)"
    )
    opened.add_argument(
        "--staff",
        action="append",
        default=[],
        metavar="NAME:UNIT",
        help="a staff member of 学生工作部 or 团委 on the panel (repeat)",
    )
    opened.add_argument(
        "--deadline", required=True, help="YYYY-MM-DD (end of that day) or YYYY-MM-DDTHH:MM"
    )
    opened.add_argument("--quorum", default="2/3", help="share of the panel that must vote")
    opened.add_argument(
        "--congress-session", type=int, help="the roster's session (default: the latest)"
    )
    opened.add_argument("--bot", help="the bot's username, for the links (default BOT_USERNAME)")
    for name, text in (("close", "close a round now and report"), ("status", "turnout")):
        cmd = review_sub.add_parser(name, help=text)
        cmd.add_argument("--semester", required=True)


def _deadline(text: str, settings: Settings) -> datetime:
    moment = datetime.fromisoformat(text)
    if len(text) <= 10:  # a day: the whole of it
        moment = datetime.combine(moment.date(), time(23, 59))
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.tz)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.context import Services
    from bot.proposals.core import start_link
    from bot.proposals.roster import RosterFileError, read_table
    from bot.reviews import report, rules, setup
    from bot.reviews.schedule import close
    from storage.crud import reviews as crud

    services = Services.for_settings(settings)
    async with migrated(settings) as factory:
        if factory is None:
            return NOT_MIGRATED
        if args.review_command != "open":
            async with factory.begin() as session:
                review = await crud.round_by_semester(session=session, semester=args.semester)
                if review is None or review.id is None:
                    print(f"no review round for {args.semester}", file=sys.stderr)
                    return 1
                if args.review_command == "close":
                    found = await close(
                        session=session, services=services, round_id=review.id, now=services.now()
                    )
                    if found is None:
                        print("that round is already closed", file=sys.stderr)
                        return 1
                else:
                    found = await report.turnout(session=session, review=review)
            print(f"{review.semester}: {found.voted} of {found.panel} voted, quorum {found.needed}")
            return 0
        try:
            people = setup.reviewees_from(read_table(args.reviewees))
            staff = setup.staff_from(args.staff)
            quorum = rules.parse_quorum(args.quorum)
            deadline = _deadline(args.deadline, settings)
            async with factory.begin() as session:
                opened = await setup.open_round(
                    session=session,
                    services=services,
                    semester=args.semester,
                    reviewees=people,
                    staff=staff,
                    deadline=deadline,
                    quorum=quorum,
                    congress_session_id=args.congress_session,
                )
        except (RosterFileError, setup.SetupError, ValueError) as exc:
            print(f"{exc}: nothing opened", file=sys.stderr)
            return 1
    username = args.bot or settings.bot_username
    print(f"round {args.semester} opened: {len(people)} reviewees; {opened.told} members invited")
    for name, unit, payload in opened.links:
        print(f"{name}\t{unit}\t{start_link(username, payload)}")
    if opened.links:
        print("send each link to that person only: it gives one seat on the panel")
    return 0
