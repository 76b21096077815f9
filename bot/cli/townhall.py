"""`studentvoice townhall export ID --out FILE`: a town hall's ranked questions (面对面) as
HTML for the screen and XLSX for the organisers, with their vote counts and answers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.database import NOT_MIGRATED, migrated

if TYPE_CHECKING:
    from bot.core.config import Settings

COMMANDS = frozenset({"townhall"})
EXIT_UNKNOWN = 2


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    townhall = sub.add_parser("townhall", help="face-to-face town halls (面对面)")
    townhall_sub = townhall.add_subparsers(dest="townhall_command", required=True)
    export = townhall_sub.add_parser("export", help="a session's ranked questions to files")
    export.add_argument("id", type=int)
    export.add_argument("--out", type=Path, required=True, help="FILE: writes FILE.html, .xlsx")
    export.add_argument("--locale", choices=("zh_Hans", "en"), default="zh_Hans")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.context import Services
    from bot.domain.townhall import TownHallError
    from bot.townhall import export

    async with migrated(settings) as factory:
        if factory is None:
            return NOT_MIGRATED
        services = Services.for_settings(settings)
        async with factory() as session:
            try:
                ranked = await export.collect(session=session, town_hall_id=args.id)
            except TownHallError:
                print(f"no town hall {args.id}", file=sys.stderr)
                return EXIT_UNKNOWN
    base: Path = args.out
    if base.suffix.lower() in (".html", ".xlsx"):
        base = base.with_suffix("")
    html_path, xlsx_path = base.with_suffix(".html"), base.with_suffix(".xlsx")
    html_path.write_text(export.render_html(services, args.locale, ranked), encoding="utf-8")
    xlsx_path.write_bytes(export.render_xlsx(services, args.locale, ranked))
    print(f"{len(ranked.questions)} questions: {html_path}, {xlsx_path}")
    return 0
