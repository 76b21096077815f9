"""A transaction asks for the officers' chat many times and reads it once; what it reads is
what the database holds, after each change it makes and, in its next transaction, after a
change another instance made."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.chats import OFFICERS
from storage.crud import users as users_crud
from storage.db import create_session_factory
from storage.types import utcnow
from tests.support.harness import reset_database


async def officers_chat(session: AsyncSession) -> int | None:
    binding = await users_crud.get_binding(session=session, purpose=OFFICERS)
    return None if binding is None else binding.chat_id


async def bind(session: AsyncSession, chat_id: int) -> None:
    await users_crud.set_binding(
        session=session, purpose=OFFICERS, chat_id=chat_id, is_forum=False, title=None, restore=True
    )


async def test_a_binding_is_read_as_the_database_holds_it(database_url: str) -> None:
    engine = await reset_database(database_url)
    sessions = create_session_factory(engine)
    try:
        async with sessions.begin() as session:
            assert await officers_chat(session) is None
            await bind(session, -1001)
            assert await officers_chat(session) == -1001
            await bind(session, -1002)
            assert await officers_chat(session) == -1002
            await users_crud.mark_lost(session=session, purpose=OFFICERS, when=utcnow(), reason="")
            binding = await users_crud.get_binding(session=session, purpose=OFFICERS)
            assert binding is not None and binding.lost_at is not None
            del binding
            await users_crud.unbind(session=session, purpose=OFFICERS)
            assert await officers_chat(session) is None

        async with sessions() as reader:
            async with reader.begin():
                assert await officers_chat(reader) is None
            async with sessions.begin() as writer:
                await bind(writer, -1003)
            async with reader.begin():
                assert await officers_chat(reader) == -1003
    finally:
        await engine.dispose()
