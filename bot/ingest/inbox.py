"""Updates kept in the database before they are acknowledged, then handed to the processor.

`accept` returns only once a batch is stored (one transaction for the batch), so whoever
acknowledges after it — the next getUpdates offset, a webhook's response — acknowledges only
what a crash cannot lose. While the database is away it keeps trying, taking in what arrives
meanwhile (acknowledged with the batch once stored), and people whose updates wait for longer
than a few seconds are told that they arrived.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import timedelta
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

Refetch = Callable[[], Awaitable[Sequence[Update]]]
RawRefetch = Callable[[], Awaitable[Sequence[dict[str, Any]]]]


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

    async def accept(self, updates: Sequence[Update], *, more: Refetch | None = None) -> int:
        """Stores the batch and hands it on; the id of the last update stored (Telegram may
        forget it and everything before it). While the database is away, `more` is asked
        for what arrived since: stored with the batch, and its people told too."""

        async def more_payloads() -> list[dict[str, Any]]:
            assert more is not None
            return [as_payload(update) for update in await more()]

        payloads = [as_payload(update) for update in updates]
        return await self.accept_raw(payloads, more=more_payloads if more else None)

    async def accept_raw(
        self, payloads: Sequence[dict[str, Any]], *, more: RawRefetch | None = None
    ) -> int:
        items = self._incoming(payloads, {})
        last = max(item.update_id for item in items)
        if self.durable:
            items, last = await self._store(items, more)
        self.processor.add(items)
        return last

    async def accept_once(self, payloads: Sequence[dict[str, Any]]) -> None:
        """Stores the updates in one attempt and hands them on. Raises while the database is
        away: a sender that gets no answer (a webhook's 5xx) sends them again, so waiting here
        would only hold its connection."""
        items = self._incoming(payloads, {})
        if self.durable:
            try:
                fresh = await self._store_batch(items)
            except Exception as exc:
                if transient(exc):
                    raise
                fresh = await self._store_one_by_one(items)
            items = [item for item in items if item.update_id in fresh]
        self.processor.add(items)

    def _incoming(
        self, payloads: Iterable[dict[str, Any]], known: dict[int, Incoming]
    ) -> list[Incoming]:
        """`known` with what is new in `payloads`, in update order."""
        found = dict(known)
        for payload in map(clean, payloads):
            update_id = int(payload["update_id"])
            if update_id not in found:
                found[update_id] = Incoming(update_id, lane_of(payload), payload, utcnow())
        return [found[update_id] for update_id in sorted(found)]

    async def _store(
        self, items: list[Incoming], more: RawRefetch | None
    ) -> tuple[list[Incoming], int]:
        """What is new of the batch (the rest was stored or handled before), and the last id
        stored."""
        delay, failed = STORE_RETRY_FIRST, False
        while True:
            try:
                fresh = await self._store_batch(items)
            except Exception as exc:
                if not transient(exc):
                    fresh = await self._store_one_by_one(items)
                    return [item for item in items if item.update_id in fresh], items[-1].update_id
                failed = True
                log.warning(
                    "storing %s update(s) failed (%s); trying again",
                    len(items),
                    type(exc).__name__,
                )
                await self._tell_late(items)
                await asyncio.sleep(delay)
                delay = min(STORE_RETRY_MAX, delay * 2)
                items = await self._widen(items, more)
                continue
            if failed:
                log.info("the database is back; %s update(s) stored", len(fresh))
                self.processor.recovered()
            return [item for item in items if item.update_id in fresh], items[-1].update_id

    async def _store_batch(self, items: list[Incoming]) -> set[int]:
        """The ids that were new, all stored in one transaction."""
        async with self.session_factory(execution_options={DURABLE: True}) as session:
            rows = [(item.update_id, item.lane, item.payload) for item in items]
            fresh = set(await inbox_crud.store(session=session, updates=rows))
            await session.commit()
        return fresh

    async def _store_one_by_one(self, items: list[Incoming]) -> set[int]:
        """A batch the database refuses for a reason that will not pass: each update on its
        own, so one that cannot be stored does not hold back the others (it is logged and
        left out; Telegram will not send it again)."""
        fresh: set[int] = set()
        for item in items:
            try:
                async with self.session_factory(execution_options={DURABLE: True}) as session:
                    row = (item.update_id, item.lane, item.payload)
                    fresh |= set(await inbox_crud.store(session=session, updates=[row]))
                    await session.commit()
            except Exception as exc:
                if transient(exc):
                    raise
                log.error(
                    "update %s cannot be stored (%s); dropped", item.update_id, type(exc).__name__
                )
        return fresh

    async def _tell_late(self, items: list[Incoming]) -> None:
        if not self.notice.enabled:
            return
        late = utcnow() - timedelta(seconds=self.notice.after)
        await self.notice.tell(item.payload for item in items if item.received_at <= late)

    async def _widen(self, items: list[Incoming], more: RawRefetch | None) -> list[Incoming]:
        """The batch with what arrived while it waited (nothing of it is acknowledged yet)."""
        if more is None:
            return items
        try:
            payloads = await more()
        except Exception as exc:  # Telegram away as well: the batch waits as it is
            log.info("could not look for more updates: %s", type(exc).__name__)
            return items
        return self._incoming(payloads, {item.update_id: item for item in items})
