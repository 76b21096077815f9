"""The delivery bench's Telegram: a strict emulator in a process of its own.

It counts what a real Telegram would: every message's arrival time by chat, and each 429 it
had to answer. Its clock is `time.monotonic`, the same clock the bot's process reads (on one
machine both are the system's monotonic clock), so latencies are arrival minus queueing.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import re
from collections.abc import AsyncIterator
from multiprocessing.connection import Connection
from typing import Any

from bot.devkit.bench.channel import Channel, spawned
from bot.devkit.emulator import BotAPIEmulator, StrictLimits

TAG = re.compile(r"⟦(i\d+)⟧")


@contextlib.asynccontextmanager
async def spawned_telegram(
    limit: float, *, limits: dict[str, float], users: list[int]
) -> AsyncIterator[tuple[Channel, str]]:
    name = "studentvoice-bench-telegram"
    args = (limits, users)
    async with spawned(serve, args, name=name, what="the emulator", limit=limit) as telegram:
        channel, ready = telegram
        yield channel, str(ready["url"])


def serve(conn: Connection, limits: dict[str, float], users: list[int]) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(Channel(conn), limits, users))


async def _serve(channel: Channel, limits: dict[str, float], users: list[int]) -> None:
    strict = StrictLimits(
        global_per_second=limits["global_per_second"],
        chat_per_second=limits["chat_per_second"],
        chat_burst=int(limits["chat_burst"]),
        group_per_minute=limits["group_per_minute"],
    )
    async with BotAPIEmulator(policy=strict) as emu:
        for user_id in users:
            emu.add_user(user_id, f"学生{user_id}", language_code="zh-hans", started=True)
        # This process stands in for Telegram: its garbage collector's pauses over the growing
        # record of requests must not pass for the bot's latency. What exists now is frozen
        # out of the collector's sight, and again at every poll.
        gc.freeze()
        channel.send("ready", url=emu.base_url)
        seen = 0
        while True:
            kind, _ = await channel.recv(None)
            if kind == "stop":
                return
            stats, seen = _stats(emu, strict, seen)
            channel.send("ok", **stats)
            gc.freeze()


def _stats(emu: BotAPIEmulator, strict: StrictLimits, seen: int) -> tuple[dict[str, Any], int]:
    """Messages that arrived since request `seen`, as (chat, time, interactive tag or "");
    only the new ones, so answering costs the emulator next to nothing while it is timed."""
    requests = emu.requests
    arrivals = []
    for request in requests[seen:]:
        if not request.ok or request.method != "sendMessage" or request.chat_id is None:
            continue
        tag = TAG.search(str(request.params.get("text", "")))
        arrivals.append((request.chat_id, request.t, tag.group(1) if tag else ""))
    stats = {
        "arrivals": arrivals,
        "rejected": len(strict.rejected),
        "hammered": strict.hammered,
        "accepted": strict.accepted,
    }
    return stats, len(requests)
