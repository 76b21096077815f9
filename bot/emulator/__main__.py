"""Run the emulator standalone: ``python -m bot.emulator --port 8081``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from .emulator import BotAPIEmulator


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.emulator", description="Local fake Telegram Bot API server."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--bot-id", type=int, default=7000000001)
    parser.add_argument("--bot-username", default="StudentVoiceBot")
    parser.add_argument("--bot-name", default="学生之声")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="ID:NAME",
        help="pre-create a user who has already started the bot (repeatable)",
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    emu = BotAPIEmulator(args.bot_id, args.bot_username, args.bot_name)
    for spec in args.user:
        user_id, _, name = spec.partition(":")
        emu.add_user(int(user_id), name or f"User{user_id}", started=True)
    await emu.start(host=args.host, port=args.port)
    print(f"Bot API emulator for @{args.bot_username} at {emu.base_url}", flush=True)
    print("Point aiogram at it with TelegramAPIServer.from_base(...). Ctrl-C stops.", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await emu.stop()
        print(f"stopped after {len(emu.requests)} request(s)", flush=True)


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_parse_args(argv)))


if __name__ == "__main__":
    main()
