"""The baseline: a bare aiogram echo bot, polled and measured exactly like StudentVoice.

Dividing by its CPU per update turns "ms per submission" into a figure that travels between
machines: how many echo updates' worth of work one complete submission costs.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

from bot.devkit.bench.channel import BenchError, Channel
from bot.devkit.bench.meter import CpuWindow

TOKEN = "123456:BENCH-ECHO"
WARMUP_UPDATES = 40


@dataclass(frozen=True)
class EchoResult:
    updates: int
    cpu_seconds: float

    @property
    def cpu_per_update(self) -> float:
        return self.cpu_seconds / self.updates if self.updates else math.nan


def combined(parts: Sequence[EchoResult]) -> EchoResult:
    return EchoResult(
        updates=sum(part.updates for part in parts),
        cpu_seconds=sum(part.cpu_seconds for part in parts),
    )


async def echo(message: Message) -> None:
    await message.answer(message.text or "")


def build_echo_dispatcher() -> Dispatcher:
    dispatcher = Dispatcher()
    dispatcher.message.register(echo, F.text)
    return dispatcher


async def measure_echo(
    channel: Channel, base_url: str, *, updates: int, people: int, limit: float
) -> EchoResult:
    """CPU of this process while ``people`` users send ``updates`` texts and get them back."""
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))
    dispatcher = build_echo_dispatcher()
    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    try:
        # The first updates pay for lazy imports and model building; the bot's run gets the
        # same courtesy from onboarding and a warm-up submission.
        await chat(channel, WARMUP_UPDATES, people, limit)
        window = CpuWindow()
        await chat(channel, updates, people, limit)
        return EchoResult(updates=updates, cpu_seconds=window.stop())
    finally:
        with contextlib.suppress(RuntimeError):
            await dispatcher.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(polling, timeout=5)
        await bot.session.close()


async def chat(channel: Channel, count: int, people: int, limit: float) -> None:
    answer = await channel.ask("chat", limit=limit, count=count, people=people)
    if answer["failed"]:
        raise BenchError(
            f"the echo bot did not answer {answer['failed']} text(s): {answer['failures']}"
        )
