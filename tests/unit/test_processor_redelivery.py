"""An update Telegram redelivers while it is being handled comes back into the inbox after the
handler's commit removed it; the processor feeds it once more, so the row is removed (the
update is already recorded as handled) instead of waiting for the next restart."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from bot.ingest.processor import Incoming, Processor
from storage.types import utcnow


class Notice:
    enabled = False

    def forget(self, lane: str) -> None:
        del lane


async def test_a_redelivered_update_is_fed_again_after_the_first_handling() -> None:
    processor = Processor(cast(Any, None), cast(Any, None), cast(Any, None), cast(Any, Notice()))
    fed: list[int] = []
    first = asyncio.Event()
    release = asyncio.Event()

    async def handle(item: Incoming) -> bool:
        fed.append(item.update_id)
        if len(fed) == 1:
            first.set()
            await release.wait()
        return True

    processor._handle = handle  # type: ignore[method-assign]
    update = Incoming(update_id=7, lane="c1", payload={}, received_at=utcnow())
    processor.add([update])
    await first.wait()
    processor.add([Incoming(update_id=7, lane="c1", payload={}, received_at=utcnow())])
    release.set()
    await processor.idle()

    assert fed == [7, 7]
