"""Conversation data kept sealed at rest: a student's half-finished step (in Redis, shared by
instances) may hold the id of the anonymous case they are adding to, under a key that names
them. What is stored is the data sealed under IDENTITY_KEY (`bot.core.sealing`); only the
process holding the key reads it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from bot.core.sealing import IdentitySeal

# The one field of what is stored: the data, sealed.
SEALED_FIELD = "sealed"


class SealedStorage(BaseStorage):
    def __init__(self, inner: BaseStorage, seal: IdentitySeal) -> None:
        self.inner = inner
        self.seal = seal

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self.inner.set_state(key, state)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self.inner.get_state(key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        # Empty data is not kept at all (the store deletes the key), so nothing to seal.
        sealed = {SEALED_FIELD: self.seal.seal_text(json.dumps(dict(data)))} if data else {}
        await self.inner.set_data(key, sealed)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        stored = await self.inner.get_data(key)
        token = stored.get(SEALED_FIELD)
        if not isinstance(token, str) or len(stored) != 1:
            return stored  # written before the data was sealed
        opened: dict[str, Any] = json.loads(self.seal.open_text(token))
        return opened

    async def close(self) -> None:
        await self.inner.close()


async def reseal_stored(redis_url: str, seal: IdentitySeal) -> int:
    """`keys rotate`: every conversation's data in Redis sealed under the newest key (data
    stored before it was sealed, too). How many values changed."""
    from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage

    storage = RedisStorage.from_url(redis_url)
    builder = storage.key_builder
    prefix = builder.prefix if isinstance(builder, DefaultKeyBuilder) else "fsm"
    separator = builder.separator if isinstance(builder, DefaultKeyBuilder) else ":"
    changed = 0
    try:
        async for key in storage.redis.scan_iter(match=f"{prefix}{separator}*{separator}data"):
            raw = await storage.redis.get(key)
            if raw is None:
                continue
            data = json.loads(raw)
            token = data.get(SEALED_FIELD) if isinstance(data, dict) and len(data) == 1 else None
            if isinstance(token, str):
                if seal.is_current(token):
                    continue
                sealed = seal.reseal(token)
            else:
                sealed = seal.seal_text(json.dumps(data))
            await storage.redis.set(key, json.dumps({SEALED_FIELD: sealed}), keepttl=True)
            changed += 1
    finally:
        await storage.close()
    return changed
