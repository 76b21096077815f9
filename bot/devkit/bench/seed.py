"""The bench's database: it must start empty, and its students are onboarded by example.

Walking 200 students through consent, language and college is ~800 updates of bot CPU spent
before the measured window. One student walks it for real; the others get copies of what it
left in their user row, under their own Telegram profile, which is what the dialogue would
have written for them.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.devkit.bench.channel import BenchError
from bot.devkit.bench.world import STUDENT_LANGUAGE, student_name
from storage.crud import users as users_crud
from storage.models import ProcessedUpdate, User

# What Telegram sends about the person, not what onboarding decides.
PROFILE_FIELDS = {"id", "first_name", "last_name", "username", "language_code", "created_at"}


async def require_empty(session_factory: async_sessionmaker[AsyncSession]) -> None:
    """The world's update and user ids start from the same numbers every run; in a used
    database the bot would drop the updates as redeliveries and know the students already."""
    async with session_factory() as session:
        updates = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
        users = await session.scalar(select(func.count()).select_from(User))
    if updates or users:
        raise BenchError(
            f"the database already holds {updates} update(s) and {users} user(s); "
            "the bench needs an empty one"
        )


async def onboard_like(
    session_factory: async_sessionmaker[AsyncSession], example_id: int, user_ids: list[int]
) -> None:
    async with session_factory.begin() as session:
        example = await session.get(User, example_id)
        if example is None or example.consent_at is None:
            raise BenchError(f"student {example_id} was not onboarded by the dialogue")
        choices = example.model_dump(exclude=PROFILE_FIELDS)
        session.add_all(
            User(
                id=user_id,
                first_name=student_name(user_id),
                language_code=STUDENT_LANGUAGE,
                **choices,
            )
            for user_id in user_ids
        )


async def grant_officers(
    session_factory: async_sessionmaker[AsyncSession], user_ids: list[int], *, granted_by: int
) -> None:
    """What an admin's /officer in the officers' chat would record for each of them."""
    async with session_factory.begin() as session:
        for user_id in user_ids:
            await users_crud.grant_role(
                session=session, user_id=user_id, role="officer", granted_by=granted_by
            )
