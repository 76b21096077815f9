"""Reveal requests and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.crud._query import fresh
from storage.models import AuditEntry, RevealRequest, RoleGrant

OPEN = "open"


async def add_request(*, session: AsyncSession, request: RevealRequest) -> RevealRequest:
    session.add(request)
    await session.flush()
    return request


async def get_request(
    *, session: AsyncSession, request_id: int, for_update: bool = False
) -> RevealRequest | None:
    return await fresh(session, RevealRequest, request_id, for_update=for_update)


async def open_requests_of_case(*, session: AsyncSession, case_id: int) -> list[RevealRequest]:
    stmt = select(RevealRequest).where(
        col(RevealRequest.case_id) == case_id, col(RevealRequest.status) == OPEN
    )
    return list(await session.scalars(stmt))


async def expired_open_ids(*, session: AsyncSession, now: datetime) -> list[int]:
    stmt = select(col(RevealRequest.id)).where(
        col(RevealRequest.status) == OPEN, col(RevealRequest.expires_at) <= now
    )
    return [row for row in await session.scalars(stmt) if row is not None]


async def granted_admin_ids(*, session: AsyncSession) -> set[int]:
    """Admins by a role grant, besides ADMIN_IDS."""
    stmt = select(col(RoleGrant.user_id)).where(col(RoleGrant.role) == "admin")
    return set(await session.scalars(stmt))


async def add_audit(*, session: AsyncSession, entry: AuditEntry) -> None:
    session.add(entry)
    await session.flush()


async def latest_audit(*, session: AsyncSession, limit: int) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    return list(await session.scalars(stmt.limit(limit)))
