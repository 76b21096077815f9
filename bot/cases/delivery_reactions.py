"""How the officers' side answers what delivery learns (`bot.delivery.reactions`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import conversation, lost_chats
from bot.core.context import Services


class CaseReactions:
    async def delivery_failed(
        self,
        *,
        session: AsyncSession,
        services: Services,
        case_id: int,
        reason: str,
        rejected: bool,
    ) -> None:
        await conversation.delivery_failed(
            session=session, services=services, case_id=case_id, reason=reason, rejected=rejected
        )

    async def chat_lost(
        self, *, session: AsyncSession, services: Services, chat_id: int, reason: str
    ) -> bool:
        return await lost_chats.lose(
            session=session, services=services, chat_id=chat_id, reason=reason, title=None
        )

    async def chat_migrated(
        self, *, session: AsyncSession, services: Services, old: int, new: int
    ) -> None:
        await lost_chats.migrated(session=session, services=services, old=old, new=new)
