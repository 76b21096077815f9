"""What a feature does when delivery learns something about its rows: a reply that could not
be delivered, a chat the bot lost or that moved. The wiring passes the features' answer in;
delivery knows only this shape."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services


class Reactions(Protocol):
    async def delivery_failed(
        self,
        *,
        session: AsyncSession,
        services: Services,
        case_id: int,
        reason: str,
        rejected: bool,
    ) -> None: ...

    async def chat_lost(
        self, *, session: AsyncSession, services: Services, chat_id: int, reason: str
    ) -> bool:
        """True when `chat_id` was a bound chat (now lost)."""
        ...

    async def chat_migrated(
        self, *, session: AsyncSession, services: Services, old: int, new: int
    ) -> None: ...
