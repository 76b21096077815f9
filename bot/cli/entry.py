"""The parser, put together from each group's commands, and the dispatch to the group."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.cli import (
    config,
    delivery,
    devtools,
    digest,
    intake,
    keys,
    migrate,
    proposals,
    retention,
    reviews,
    roles,
    run,
    townhall,
)
from bot.core import logs

if TYPE_CHECKING:
    from bot.core.config import Settings

EXIT_CONFIG = 2


class _Version(argparse.Action):
    """`--version`, looked up only when asked for: importing importlib.metadata costs more than
    building the whole parser."""

    def __init__(self, option_strings: Sequence[str], dest: str) -> None:
        super().__init__(
            option_strings,
            argparse.SUPPRESS,
            nargs=0,
            default=argparse.SUPPRESS,
            help="print the version and exit",
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        from importlib.metadata import version

        print(f"studentvoice {version('studentvoice')}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studentvoice", description="StudentVoice (学生之声) bot")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True)
    run.add_commands(sub)
    migrate.add_commands(sub)
    config.add_commands(sub)
    devtools.add_commands(sub)
    digest.add_commands(sub)
    proposals.add_commands(sub)
    intake.add_commands(sub)
    delivery.add_commands(sub)
    retention.add_commands(sub)
    keys.add_commands(sub)
    roles.add_commands(sub)
    reviews.add_commands(sub)
    townhall.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.setup(verbose=args.verbose)
    # Not before the arguments are parsed: `--help` has no need of pydantic.
    from bot.core.config import ConfigError

    try:
        return asyncio.run(_dispatch(args))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace) -> int:
    if args.command in devtools.COMMANDS:
        return await devtools.run(args)
    if args.command in keys.COMMANDS and args.keys == "new":
        return keys.new_key()
    # Before the settings are loaded: it reports every error rather than stopping at the first.
    if args.command in config.COMMANDS:
        return await config.run(args)
    settings = _settings()
    if args.command in migrate.COMMANDS:
        return await migrate.run(args, settings)
    if args.command in delivery.COMMANDS:
        return await delivery.run(args, settings)
    if args.command in keys.COMMANDS:
        return await keys.run(args, settings)
    if args.command in proposals.COMMANDS:
        return await proposals.run(args, settings)
    if args.command in intake.COMMANDS:
        return await intake.run(args, settings)
    if args.command in digest.COMMANDS:
        return await digest.run(args, settings)
    if args.command in retention.COMMANDS:
        return await retention.run(args, settings)
    if args.command in roles.COMMANDS:
        return await roles.run(args, settings)
    if args.command in reviews.COMMANDS:
        return await reviews.run(args, settings)
    if args.command in townhall.COMMANDS:
        return await townhall.run(args, settings)
    return await run.run(args, settings)


def _settings() -> Settings:
    """The settings, and the organisation file checked, before any command that uses them."""
    from bot.core.config import load_organisation, load_settings

    settings = load_settings()
    logs.allow_personal_data(settings.log_personal_data)
    logs.use_format(settings.log_format)
    load_organisation(settings.organisation_file)
    return settings
