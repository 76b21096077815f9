"""The Bot's HTTP session: aiogram's own, without its pause at closing when there is no TLS."""

from __future__ import annotations

from aiogram.client.session.aiohttp import AiohttpSession


class BotSession(AiohttpSession):
    async def close(self) -> None:
        """aiogram waits a quarter of a second after closing, for TLS connections to shut down
        cleanly (aiohttp's advice). A Bot API server reached over plain HTTP without a proxy
        (a local `telegram-bot-api`, the emulator) leaves none to wait for."""
        session = self._session
        plain = self.api.base.startswith("http://") and self._proxy is None
        if plain and session is not None and not session.closed:
            await session.close()
            return
        await super().close()
