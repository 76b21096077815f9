"""Run the emulator standalone: ``python -m bot.devkit.emulator --port 8081``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from .emulator import BotAPIEmulator
from .faults import Policies, RandomFaults
from .limits import StrictLimits
from .policy import Policy


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.devkit.emulator", description="Local fake Telegram Bot API server."
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
    parser.add_argument(
        "--strict", action="store_true", help="answer 429 to calls over Telegram's limits"
    )
    parser.add_argument("--global-rate", type=float, default=30, help="per second, all chats")
    parser.add_argument("--chat-rate", type=float, default=1, help="per second, one chat")
    parser.add_argument("--chat-burst", type=int, default=3)
    parser.add_argument("--group-rate", type=float, default=20, help="per minute, one group")
    parser.add_argument(
        "--faults",
        default="",
        metavar="5xx=0.05,timeout=0.01,403=0.01",
        help="shares of calls that fail, time out, or find the user has blocked the bot",
    )
    parser.add_argument("--seed", type=int, help="repeat the same faults")
    return parser.parse_args(argv)


def _policy(args: argparse.Namespace) -> Policy | None:
    policies: list[Policy] = []
    if args.faults:
        rates = {
            k.strip(): float(v) for k, _, v in (p.partition("=") for p in args.faults.split(","))
        }
        policies.append(
            RandomFaults(
                server_errors=rates.get("5xx", 0.0),
                timeouts=rates.get("timeout", 0.0),
                forbidden=rates.get("403", 0.0),
                seed=args.seed,
            )
        )
    if args.strict:
        policies.append(
            StrictLimits(
                global_per_second=args.global_rate,
                chat_per_second=args.chat_rate,
                chat_burst=args.chat_burst,
                group_per_minute=args.group_rate,
            )
        )
    return Policies(*policies) if policies else None


async def _serve(args: argparse.Namespace) -> None:
    emu = BotAPIEmulator(args.bot_id, args.bot_username, args.bot_name, policy=_policy(args))
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
