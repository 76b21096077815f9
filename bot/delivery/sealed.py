"""Rows to the author of an anonymous case: stored with their chat sealed (`storage.crud.outbox.
seal_chat`), opened here — by the delivery worker, in memory, when the row's turn comes — and
never written back: its outcome records no chat, its message links a stand-in for it
(`IdentitySeal.pseudonym`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.sealing import SealError
from bot.delivery.errors import Outcome
from bot.delivery.kinds import Context, Target, build_method, with_files
from storage.models import OutboxMessage


def opened_chat(row: OutboxMessage, ctx: Context) -> int:
    """Raises `SealError` when no key of IDENTITY_KEY opens it."""
    assert row.chat_sealed is not None
    return ctx.services.sealer.open(row.chat_sealed)


class SealedKind:
    links_messages = True

    async def targets(
        self, session: AsyncSession, rows: Sequence[OutboxMessage], ctx: Context
    ) -> dict[int, Target | Outcome]:
        found: dict[int, Target | Outcome] = {}
        for row in rows:
            assert row.id is not None
            try:
                found[row.id] = Target(opened_chat(row, ctx))
            except (SealError, AssertionError):
                found[row.id] = Outcome("failed", error="no identity key opens the row's chat")
        return found

    async def send(self, row: OutboxMessage, ctx: Context) -> Any:
        payload = await with_files(ctx, row, dict(row.payload))
        if row.method != "answerCallbackQuery":  # a button's answer goes by the query, not a chat
            payload["chat_id"] = opened_chat(row, ctx)
        method = build_method(row.method, payload)
        return await ctx.bot(method, request_timeout=math.ceil(ctx.request_timeout))
