"""The echo bot again, on StudentVoice's house: what the plumbing alone costs an update.

The same texts as the bare echo, answered by one echo handler behind the product's own
middlewares, durable inbox, processor lanes, outbox and delivery worker, on a fresh SQLite
file (the embedded default). Its CPU per update, set beside the bare echo's and the product's,
tells how much of the product's ratio the guarantees of "commit first, then tell" take before
any feature does its work.
"""

from __future__ import annotations

from pathlib import Path

from aiogram import F, Router
from aiogram.types import Message
from sqlalchemy.exc import SQLAlchemyError

from bot.app.runtime import build_app, close, running
from bot.devkit.bench.channel import BenchError, Channel
from bot.devkit.bench.echo import WARMUP_UPDATES, EchoResult, chat
from bot.devkit.bench.meter import CpuWindow
from bot.devkit.bench.submissions import bench_settings, polling, quiet
from bot.ingest.polling import Poller
from storage.migrate import upgrade

# The talkers write far faster than the 30 a minute a student may; the gate still counts them.
UNLIMITED = 1_000_000


async def echo(message: Message) -> None:
    await message.answer(message.text or "")


def build_echo_router() -> Router:
    router = Router(name="house-echo")
    router.message.register(echo, F.text)
    return router


async def measure_house_echo(
    channel: Channel, base_url: str, workdir: Path, *, updates: int, people: int, limit: float
) -> EchoResult:
    """CPU of this process while ``people`` users send ``updates`` texts to the echo on the
    house and get them back, until the outbox is empty."""
    settings = bench_settings(
        base_url,
        f"sqlite+aiosqlite:///{workdir / 'house.db'}",
        limit_messages_per_minute=UNLIMITED,
    )
    app = build_app(settings, routers=[build_echo_router()])
    try:
        try:
            await upgrade(app.engine)
        except (OSError, SQLAlchemyError) as exc:
            raise BenchError(f"cannot prepare the house echo's database: {exc}") from exc
        poller = Poller(app.bot, app.inbox, app.dispatcher.resolve_used_update_types())
        async with running(app), polling(app, poller):
            await chat(channel, WARMUP_UPDATES, people, limit)
            await quiet(app, limit)
            window = CpuWindow()
            await chat(channel, updates, people, limit)
            await quiet(app, limit)
            return EchoResult(updates=updates, cpu_seconds=window.stop())
    finally:
        await close(app)
