"""Closing the Bot's session waits for TLS connections only where there can be some."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer

from bot.app.bot_session import BotSession

LOCAL = TelegramAPIServer.from_base("http://127.0.0.1:8081")


@pytest.mark.parametrize(
    ("api", "proxy", "pauses"),
    [
        pytest.param(LOCAL, None, [], id="local-http"),
        pytest.param(PRODUCTION, None, [0.25], id="telegram-https"),
        pytest.param(LOCAL, "http://proxy.example:3128", [0.25], id="http-through-a-proxy"),
    ],
)
async def test_only_a_plain_session_closes_without_aiograms_pause(
    monkeypatch: pytest.MonkeyPatch,
    api: TelegramAPIServer,
    proxy: str | None,
    pauses: list[float],
) -> None:
    session = BotSession(api=api, proxy=proxy)
    client = await session.create_session()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    await session.close()

    assert client.closed
    assert slept == pauses
