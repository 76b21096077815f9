"""The limits shared by every instance through Redis: each check-and-take is one Lua script.

A scope's window is a sorted set of sends scored by when their answer came (Redis's own clock,
so instances need not agree on time). A send in flight is scored with a provisional deadline,
`IN_FLIGHT_TTL` ahead: should its process die before the answer, the slot frees itself.
Blocks (429) hold the app-clock time until which the scope waits.

A chat's keys are named by a keyed hash of its id (the key: the bot's token), so no key says
whom the bot wrote to — also in the minutes after a person erased their data.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import math
import os
import socket
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.delivery.limiter import LEARN_SECONDS, MAX_STRETCH, STRETCH, Grant, Limiter, Limits

IN_FLIGHT_TTL_MS = 90_000
PREFIX = "sv:delivery"

# KEYS: per scope its window, block and stretch keys (3 each).
# ARGV: token, app-now ms, in-flight ttl ms, then per scope: limit, window ms, headroom.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local token, app_now, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local scopes = #KEYS / 3
local blocked, wait = 0, 0
for i = 1, scopes do
  local zset, block, stretch = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local limit, window = tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  local until_ = tonumber(redis.call('GET', block) or '0')
  if until_ > app_now and until_ > blocked then blocked = until_ end
  local factor = tonumber(redis.call('GET', stretch) or '1')
  window = window * math.max(1, factor / limit)
  limit = math.max(1, math.floor(limit / factor))
  limit = limit - math.min(tonumber(ARGV[3 * i + 3]), limit - 1)
  redis.call('ZREMRANGEBYSCORE', zset, '-inf', now - window)
  local used = redis.call('ZCARD', zset)
  if used >= limit then
    local free = 10
    if limit > 0 then
      local entry = redis.call('ZRANGE', zset, used - limit, used - limit, 'WITHSCORES')
      local score = tonumber(entry[2])
      if score <= now then free = math.max(1, score + window - now) end
    end
    if free > wait then wait = free end
  end
end
if blocked > 0 then return {-1, tostring(blocked)} end
if wait > 0 then return {0, tostring(wait)} end
for i = 1, scopes do
  redis.call('ZADD', KEYS[3 * i - 2], now + ttl, token)
  redis.call('PEXPIRE', KEYS[3 * i - 2], ttl + 600000)
end
return {1, '0'}
"""

# KEYS: windows; ARGV: token, used (1: score it answered now, 0: drop it).
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS do
  if ARGV[2] == '1' then
    redis.call('ZADD', KEYS[i], 'XX', now, ARGV[1])
  else
    redis.call('ZREM', KEYS[i], ARGV[1])
  end
end
return 1
"""

# KEYS: window, stretch; ARGV: limit, window ms.
_AVAILABLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, factor = tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[2]) or '1')
local window = tonumber(ARGV[2]) * math.max(1, factor / limit)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
return math.max(1, math.floor(limit / factor)) - redis.call('ZCARD', KEYS[1])
"""

# KEYS: per scope block, stretch; ARGV: until ms, block ttl ms, factor, max, learn ms.
_PENALIZE = """
for i = 1, #KEYS / 2 do
  local block, stretch = KEYS[2 * i - 1], KEYS[2 * i]
  if tonumber(redis.call('GET', block) or '0') < tonumber(ARGV[1]) then
    redis.call('SET', block, ARGV[1], 'PX', ARGV[2])
  end
  local factor = tonumber(redis.call('GET', stretch) or '1') * tonumber(ARGV[3])
  redis.call('SET', stretch, tostring(math.min(factor, tonumber(ARGV[4]))), 'PX', ARGV[5])
end
return 1
"""


def _ms(moment: datetime, *, up: bool = False) -> int:
    """Milliseconds since the epoch; a block's end rounded up, so it never ends early."""
    value = moment.timestamp() * 1000
    return math.ceil(value) if up else math.floor(value)


class RedisLimiter(Limiter):
    def __init__(self, limits: Limits, redis: Any, *, secret: str, prefix: str = PREFIX) -> None:
        super().__init__(limits)
        self.redis = redis
        self.prefix = prefix
        self._secret = secret.encode()
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)
        self._available = redis.register_script(_AVAILABLE)
        self._penalize = redis.register_script(_PENALIZE)
        self._instance = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._tokens = itertools.count(1)

    @classmethod
    def from_url(cls, limits: Limits, url: str, *, secret: str) -> RedisLimiter:
        from redis.asyncio import Redis

        return cls(limits, Redis.from_url(url), secret=secret)

    def _keys(self, scope: str) -> list[str]:
        kind, _, chat = scope.partition(":")
        if chat:
            digest = hmac.new(self._secret, chat.encode(), hashlib.sha256).hexdigest()
            scope = f"{kind}:{digest[:24]}"
        base = f"{self.prefix}:{scope}"
        return [f"{base}:w", f"{base}:b", f"{base}:s"]

    async def try_acquire(
        self, scopes: Sequence[str], *, app_now: datetime, headroom: int = 0
    ) -> Grant:
        keys: list[str] = []
        args: list[Any] = [
            f"{self._instance}:{next(self._tokens)}",
            _ms(app_now),
            IN_FLIGHT_TTL_MS,
        ]
        for scope in scopes:
            rate = self.limits.rate(scope)
            keys += self._keys(scope)
            args += [rate.limit, int(rate.window * 1000), headroom]
        status, value = await self._acquire(keys=keys, args=args)
        status, value = int(status), float(value)
        if status == 1:
            return Grant(True, tuple(scopes), token=str(args[0]))
        if status == -1:
            return Grant(
                False, tuple(scopes), blocked_until=datetime.fromtimestamp(value / 1000, UTC)
            )
        return Grant(False, tuple(scopes), wait=value / 1000)

    async def release(self, grant: Grant, *, used: bool = True) -> None:
        keys = [self._keys(scope)[0] for scope in grant.scopes]
        await self._release(keys=keys, args=[grant.token, 1 if used else 0])

    async def available(self, scope: str) -> int:
        rate = self.limits.rate(scope)
        window, _, stretch = self._keys(scope)
        free = await self._available(
            keys=[window, stretch], args=[rate.limit, int(rate.window * 1000)]
        )
        return max(0, int(free))

    async def penalize(self, scopes: Sequence[str], *, until: datetime, app_now: datetime) -> None:
        keys: list[str] = []
        for scope in scopes:
            keys += self._keys(scope)[1:]
        ttl = max(1000, _ms(until) - _ms(app_now) + 60_000)
        args = [_ms(until, up=True), ttl, STRETCH, MAX_STRETCH, int(LEARN_SECONDS * 1000)]
        await self._penalize(keys=keys, args=args)

    async def close(self) -> None:
        await self.redis.aclose()
