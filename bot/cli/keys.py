"""`studentvoice keys new|rotate`: the keys that seal who wrote an anonymous case
(`bot.core.sealing`)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.config import Settings

COMMANDS = frozenset({"keys"})


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = sub.add_parser("keys", help="the identity keys (IDENTITY_KEY)")
    keys_sub = keys.add_subparsers(dest="keys", required=True)
    keys_sub.add_parser("new", help="print a new key, to put in front of IDENTITY_KEY")
    keys_sub.add_parser(
        "rotate",
        help="re-seal everything under IDENTITY_KEY's first key (and seal anonymous cases "
        "stored before sealing); then the older keys can go",
    )


def new_key() -> int:
    """Needs no settings: the key is made before it is configured."""
    from bot.core.sealing import new_key

    print(new_key())
    return 0


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app.sealed_fsm import reseal_stored
    from bot.core.sealing import SealError, load_seal
    from bot.privacy.key_rotation import rotate
    from storage.db import create_engine, create_session_factory

    key = settings.identity_key
    seal = load_seal(key.get_secret_value() if key else None, settings.identity_key_file)
    engine = create_engine(settings.database_url)
    try:
        # One transaction: a value no key opens leaves everything as it was.
        async with create_session_factory(engine).begin() as session:
            done = await rotate(session=session, seal=seal)
        conversations = await reseal_stored(settings.redis_url, seal) if settings.redis_url else 0
    except SealError:
        print(
            "keys rotate: a value is sealed under a key IDENTITY_KEY no longer lists; put the "
            "old key back after the new one and run it again",
            file=sys.stderr,
        )
        return 1
    finally:
        await engine.dispose()
    print(
        f"sealed {done.sealed_cases} anonymous case(s) that named their author; re-sealed "
        f"{done.resealed_cases} case(s), {done.resealed_rows} outbox row(s) and "
        f"{done.resealed_held} held message(s), moved "
        f"{done.moved_links} message link(s), re-sealed {conversations} conversation(s) and "
        f"{done.resealed_questions} town hall question(s); "
        f"{done.current} value(s) were already under the newest key"
    )
    return 0
