from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.crud._upsert import insert_for
from storage.models import ProcessedUpdate
from storage.types import utcnow


async def claim_update(*, session: AsyncSession, update_id: int) -> bool:
    """Record the update as handled; False if it was handled before (a redelivery)."""
    stmt = insert_for(session, ProcessedUpdate).values(update_id=update_id, processed_at=utcnow())
    result = await session.execute(stmt.on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def was_handled(*, session: AsyncSession, update_id: int) -> bool:
    return await session.get(ProcessedUpdate, update_id) is not None
