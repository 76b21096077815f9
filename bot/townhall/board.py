"""What anyone may read of a town hall (the web board reads it here): its approved questions
by votes, with their answers, and never who asked."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import townhall as rules
from storage.crud import townhall as crud
from storage.crud.townhall import PublicQuestion

# /start townhall_ID: the web board's link into the bot, where one person has one vote.
LINK_PREFIX = "townhall_"


async def approved_questions(*, session: AsyncSession, town_hall_id: int) -> list[PublicQuestion]:
    """A session's approved questions, most votes first, with their vote counts and answers."""
    return await crud.ranked(session=session, town_hall_id=town_hall_id, statuses=rules.PUBLIC)
