from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import StoredFile


async def store_file(
    *,
    session: AsyncSession,
    filename: str,
    content_type: str,
    data: bytes,
    owner_id: int | None = None,
) -> StoredFile:
    """`owner_id`: the person whose data the file is, so erasing them deletes it."""
    stored = StoredFile(filename=filename, content_type=content_type, data=data, owner_id=owner_id)
    session.add(stored)
    await session.flush()
    return stored


async def get_file(*, session: AsyncSession, file_id: int) -> StoredFile | None:
    return await session.get(StoredFile, file_id)
