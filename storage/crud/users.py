from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._upsert import insert_for
from storage.models import ChatBinding, RoleGrant, User
from storage.session import app_session
from storage.types import utcnow


async def upsert_user(
    *,
    session: AsyncSession,
    user_id: int,
    first_name: str | None,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
) -> User:
    profile = {
        "first_name": first_name,
        "last_name": last_name,
        "username": username,
        "language_code": language_code,
    }
    stmt = insert_for(session, User).values(id=user_id, created_at=utcnow(), **profile)
    stmt = stmt.on_conflict_do_update(index_elements=[User.id], set_=profile)
    await session.execute(stmt)
    user = await session.get(User, user_id, populate_existing=True)
    assert user is not None
    return user


async def get_user(*, session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def meet(*, session: AsyncSession, user_id: int, name: str) -> None:
    """Someone the bot has not met yet, named by an admin: `name` stands in for their profile
    until they write to the bot. A user it knows keeps the profile Telegram gave."""
    if await get_user(session=session, user_id=user_id) is None:
        await upsert_user(session=session, user_id=user_id, first_name=name)


async def user_and_roles(*, session: AsyncSession, user_id: int) -> tuple[User | None, set[str]]:
    """The user and their roles in one query: every update asks for both."""
    stmt = (
        select(User, col(RoleGrant.role))
        .outerjoin(RoleGrant, col(RoleGrant.user_id) == col(User.id))
        .where(col(User.id) == user_id)
    )
    rows = (await session.execute(stmt)).all()
    if not rows:
        return None, set()
    return rows[0][0], {role for _, role in rows if role is not None}


async def set_unreachable(*, session: AsyncSession, user_id: int, when: datetime | None) -> None:
    await session.execute(update(User).where(col(User.id) == user_id).values(unreachable_at=when))


async def roles_of(*, session: AsyncSession, user_id: int) -> set[str]:
    rows = await session.scalars(
        select(col(RoleGrant.role)).where(col(RoleGrant.user_id) == user_id)
    )
    return set(rows)


async def grant_role(
    *, session: AsyncSession, user_id: int, role: str, granted_by: int | None, department: str = ""
) -> bool:
    stmt = insert_for(session, RoleGrant).values(
        user_id=user_id,
        role=role,
        department_code=department,
        granted_by=granted_by,
        created_at=utcnow(),
    )
    result = await session.execute(stmt.on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def revoke_role(*, session: AsyncSession, user_id: int, role: str) -> bool:
    result = await session.execute(
        delete(RoleGrant).where(col(RoleGrant.user_id) == user_id, col(RoleGrant.role) == role)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def users_with_role(*, session: AsyncSession, role: str) -> list[User]:
    stmt = (
        select(User)
        .join(RoleGrant, col(RoleGrant.user_id) == col(User.id))
        .where(col(RoleGrant.role) == role)
        .order_by(col(User.id))
    )
    return list(await session.scalars(stmt))


async def get_binding(*, session: AsyncSession, purpose: str) -> ChatBinding | None:
    known = app_session(session).bindings
    if purpose not in known:
        known[purpose] = await session.get(ChatBinding, purpose)
    return known[purpose]


def _forget_bindings(session: AsyncSession) -> None:
    """After a write the ORM does not follow (an upsert, a delete): asked anew, from the
    database, the next time."""
    for binding in app_session(session).bindings.values():
        if binding is not None and binding in session:
            session.expunge(binding)
    app_session(session).bindings.clear()


async def set_binding(
    *,
    session: AsyncSession,
    purpose: str,
    chat_id: int,
    is_forum: bool,
    title: str | None,
    restore: bool = False,
) -> None:
    """A lost binding is left alone (the settings read at start-up must not put a chat the bot
    was removed from back in service) unless `restore`: an admin's /bind."""
    values: dict[str, object] = {
        "chat_id": chat_id,
        "is_forum": is_forum,
        "title": title,
        "updated_at": utcnow(),
    }
    if restore:
        values |= {"lost_at": None, "lost_reason": None}
    stmt = insert_for(session, ChatBinding).values(purpose=purpose, **values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["purpose"],
            set_=values,
            where=None if restore else col(ChatBinding.lost_at).is_(None),
        )
    )
    _forget_bindings(session)


async def unbind(*, session: AsyncSession, purpose: str) -> None:
    binding = await session.get(ChatBinding, purpose)
    if binding is not None:
        await session.delete(binding)
        await session.flush()
    app_session(session).bindings[purpose] = None


async def bindings_of_chat(*, session: AsyncSession, chat_id: int) -> list[ChatBinding]:
    stmt = select(ChatBinding).where(col(ChatBinding.chat_id) == chat_id)
    return list(await session.scalars(stmt.execution_options(populate_existing=True)))


async def mark_lost(*, session: AsyncSession, purpose: str, when: datetime, reason: str) -> bool:
    """True when the binding was in service until now (so this is news)."""
    result = await session.execute(
        update(ChatBinding)
        .where(col(ChatBinding.purpose) == purpose, col(ChatBinding.lost_at).is_(None))
        .values(lost_at=when, lost_reason=reason)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def lost_chat_ids(*, session: AsyncSession) -> set[int]:
    stmt = select(col(ChatBinding.chat_id)).where(col(ChatBinding.lost_at).is_not(None))
    return set(await session.scalars(stmt))


async def bindings(*, session: AsyncSession) -> list[ChatBinding]:
    return list(await session.scalars(select(ChatBinding)))
