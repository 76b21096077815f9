"""What served its purpose goes: records of handled updates after two days, sent messages'
rows after a month; failed rows stay for /failed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.models import OutboxMessage, ProcessedUpdate
from tests.support.harness import Harness
from tests.support.officer_helpers import seed_case, seed_student


async def count(h: Harness, model: type) -> int:
    assert h.app is not None
    async with h.app.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_old_records_go_recent_ones_stay(harness: Harness) -> None:
    h = harness
    assert h.app is not None and h.app.jobs is not None
    await seed_case(h, await seed_student(h, 1001, "Alice"))
    processed, sent = await count(h, ProcessedUpdate), await count(h, OutboxMessage)
    assert processed > 0 and sent > 0
    now = h.app.services.now()

    await h.app.jobs.housekeeping(now + timedelta(hours=1))
    assert (await count(h, ProcessedUpdate), await count(h, OutboxMessage)) == (processed, sent)

    await h.app.jobs.housekeeping(now + timedelta(days=3))
    assert await count(h, ProcessedUpdate) == 0
    assert await count(h, OutboxMessage) == sent

    await h.app.jobs.housekeeping(now + timedelta(days=31))
    assert await count(h, OutboxMessage) == 0
