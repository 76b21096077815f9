"""`studentvoice config check`: the settings and the organisation file, checked before a start."""

from __future__ import annotations

import argparse
import sys

COMMANDS = frozenset({"config"})
EXIT_CONFIG = 2


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = sub.add_parser("config", help="the configuration")
    config_sub = config.add_subparsers(dest="config", required=True)
    config_sub.add_parser(
        "check",
        help="check the settings and the organisation file; print every error with its line, "
        "or the effective configuration with secrets masked",
    )


async def run(args: argparse.Namespace) -> int:
    from bot.core.config_check import (
        check_organisation,
        check_settings,
        describe,
        organisation_file,
    )

    settings, problems = check_settings()
    org, org_problems = check_organisation(organisation_file(settings))
    problems += org_problems
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"configuration errors: {len(problems)}", file=sys.stderr)
        return EXIT_CONFIG
    assert settings is not None and org is not None  # no problems: both were read
    print("\n".join(describe(settings, org)))
    print("configuration OK")
    return 0
