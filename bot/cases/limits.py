"""Per-student limits on what reaches the officers: cases a day (messages a minute are the
dispatcher's, `bot.app.flood`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import authors
from bot.core.context import Services

DAY = timedelta(hours=24)


async def next_submission_at(
    *, session: AsyncSession, services: Services, user_id: int
) -> datetime | None:
    """When the student may submit again, if they reached `limit_submissions_per_day` in the
    last 24 hours (None: they may now, or there is no limit)."""
    limit = services.settings.limit_submissions_per_day
    if limit <= 0:
        return None
    now = services.now()
    count, earliest = await authors.count_recent_submissions(
        session=session, seal=services.sealer, user_id=user_id, since=now - DAY
    )
    if count < limit:
        return None
    # Exact when the count is the limit; with more (held cases released at once), the first
    # moment it could be: the limit is a brake, not a ledger.
    return (earliest or now) + DAY
