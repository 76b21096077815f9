"""Role grants as admins see and change them, and the audit log read back for a case or a
period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import AuditEntry, Case, CaseEvent, RoleGrant, User


async def find_user(*, session: AsyncSession, ref: str) -> User | None:
    """A user the bot has met, by numeric id or @username (any case)."""
    ref = ref.strip()
    if ref.lstrip("-").isdigit():
        return await session.get(User, int(ref))
    name = ref.removeprefix("@").lower()
    if not name:
        return None
    stmt = select(User).where(func.lower(col(User.username)) == name)
    return (await session.scalars(stmt.limit(1))).first()


async def all_grants(*, session: AsyncSession) -> list[tuple[RoleGrant, User | None]]:
    stmt = (
        select(RoleGrant, User)
        .outerjoin(User, col(User.id) == col(RoleGrant.user_id))
        .order_by(col(RoleGrant.role), col(RoleGrant.department_code), col(RoleGrant.user_id))
    )
    return [(grant, user) for grant, user in (await session.execute(stmt)).all()]


async def grants_of(*, session: AsyncSession, user_id: int, role: str) -> list[RoleGrant]:
    stmt = select(RoleGrant).where(col(RoleGrant.user_id) == user_id, col(RoleGrant.role) == role)
    return list(await session.scalars(stmt))


async def holders(*, session: AsyncSession, role: str) -> set[int]:
    stmt = select(col(RoleGrant.user_id)).where(col(RoleGrant.role) == role)
    return set(await session.scalars(stmt))


async def remove(*, session: AsyncSession, grant_ids: list[int]) -> None:
    await session.execute(delete(RoleGrant).where(col(RoleGrant.id).in_(grant_ids)))


async def audit_of_case(*, session: AsyncSession, case_id: int) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(col(AuditEntry.case_id) == case_id)
    return list(await session.scalars(stmt.order_by(col(AuditEntry.at), col(AuditEntry.id))))


async def audit_between(
    *, session: AsyncSession, start: datetime, end: datetime
) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(col(AuditEntry.at) >= start, col(AuditEntry.at) < end)
    return list(await session.scalars(stmt.order_by(col(AuditEntry.at), col(AuditEntry.id))))


async def events_between(
    *, session: AsyncSession, start: datetime, end: datetime
) -> list[tuple[CaseEvent, str]]:
    """Every case's events in the period, with the case's number."""
    stmt = (
        select(CaseEvent, col(Case.number))
        .join(Case, col(Case.id) == col(CaseEvent.case_id))
        .where(col(CaseEvent.created_at) >= start, col(CaseEvent.created_at) < end)
        .order_by(col(CaseEvent.created_at), col(CaseEvent.id))
    )
    return [(event, number) for event, number in (await session.execute(stmt)).all()]


async def case_numbers(*, session: AsyncSession, case_ids: set[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    stmt = select(col(Case.id), col(Case.number)).where(col(Case.id).in_(list(case_ids)))
    rows = (await session.execute(stmt)).all()
    return {case_id: number for case_id, number in rows if case_id is not None}


async def record_change(
    *,
    session: AsyncSession,
    action: str,
    actor_id: int | None,
    target_id: int,
    role: str,
    scope: str,
    actor_name: str | None = None,
    at: datetime | None = None,
) -> None:
    """A role change's audit entry, in the change's transaction."""
    entry = AuditEntry(
        action=action,
        actor_ids=[actor_id] if actor_id is not None else [],
        actor_name=actor_name,
        target_id=target_id,
        role=role,
        scope=scope,
    )
    if at is not None:
        entry.at = at
    session.add(entry)
    await session.flush()
