"""Updates kept in the database before they are acknowledged, then handed to the processor.

`accept` returns only once a batch is stored (one transaction for the batch), so whoever
acknowledges after it — the next getUpdates offset, a webhook's response — acknowledges only
what a crash cannot lose. While the database is away it keeps trying, and people whose updates
wait for longer than a few seconds are told that they arrived.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ingest.edge import clean, lane_of
from bot.ingest.failures import transient
from bot.ingest.notice import Notice
from bot.ingest.processor import Incoming, Processor
from storage.crud import inbox as inbox_crud
from storage.db import DURABLE
from storage.types import utcnow

log = logging.getLogger(__name__)

STORE_RETRY_FIRST, STORE_RETRY_MAX = 0.2, 5.0


def as_payload(update: Update) -> dict[str, Any]:
    return clean(update.model_dump(mode="json", exclude_unset=True, by_alias=True))


class Inbox:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        processor: Processor,
        notice: Notice,
        *,
        durable: bool = True,
    ) -> None:
        self.session_factory = session_factory
        self.processor = processor
        self.notice = notice
        # Off only to measure what durability costs (`bench ingest`).
        self.durable = durable

    async def recover(self) -> int:
        """What a previous run stored but did not handle is handled first."""
        async with self.session_factory() as session:
            rows = await inbox_crud.waiting(session=session)
        self.processor.add(
            Incoming(row.update_id, row.lane, row.payload, row.received_at) for row in rows
        )
        if rows:
            log.info("%s stored update(s) from before the restart to handle", len(rows))
        return len(rows)

    async def accept(self, updates: Sequence[Update]) -> None:
        payloads = [as_payload(update) for update in updates]
        await self.accept_raw(payloads)

    async def accept_raw(self, payloads: Sequence[dict[str, Any]]) -> None:
        items = [
            Incoming(int(p["update_id"]), lane_of(p), p, utcnow())
            for p in (clean(p) for p in payloads)
        ]
        if self.durable:
            fresh = set(await self._store(items))
            items = [item for item in items if item.update_id in fresh]
        self.processor.add(items)

    async def _store(self, items: list[Incoming]) -> list[int]:
        rows = [(item.update_id, item.lane, item.payload) for item in items]
        delay, told = STORE_RETRY_FIRST, False
        started = asyncio.get_running_loop().time()
        while True:
            try:
                async with self.session_factory(execution_options={DURABLE: True}) as session:
                    fresh = await inbox_crud.store(session=session, updates=rows)
                    await session.commit()
                if told:
                    log.info("the database is back; %s update(s) stored", len(fresh))
                return fresh
            except Exception as exc:
                if not transient(exc):
                    return await self._store_one_by_one(rows)
                waited = asyncio.get_running_loop().time() - started
                log.warning(
                    "storing %s update(s) failed (%s); trying again", len(rows), type(exc).__name__
                )
                if self.notice.enabled and waited >= self.notice.after and not told:
                    told = True
                    await self.notice.tell(item.payload for item in items)
                await asyncio.sleep(delay)
                delay = min(STORE_RETRY_MAX, delay * 2)

    async def _store_one_by_one(self, rows: list[tuple[int, str, dict[str, Any]]]) -> list[int]:
        """A batch the database refuses for a reason that will not pass: each update on its
        own, so one that cannot be stored does not hold back the others (it is logged and
        left to Telegram, which will not send it again)."""
        fresh: list[int] = []
        for row in rows:
            try:
                async with self.session_factory(execution_options={DURABLE: True}) as session:
                    fresh += await inbox_crud.store(session=session, updates=[row])
                    await session.commit()
            except Exception as exc:
                if transient(exc):
                    raise
                log.error("update %s cannot be stored (%s); dropped", row[0], type(exc).__name__)
        return fresh
