"""Fault mode: a share of calls fails the way Telegram's API fails in real life.

``RandomFaults(server_errors=0.05, timeouts=0.01, forbidden=0.01, seed=7)`` answers 5% of the
counted calls with a 500/502, holds 1% for ``hang`` seconds before a 504 (longer than the bot's
request timeout, so it sees a timeout; the call was never carried out), and answers 1% of the
sends to private chats with 403 as if the user had blocked the bot. A seed makes a run
repeatable. ``Policies(a, b)`` asks each policy in turn; the first answer wins.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

from .limits import counted
from .policy import Policy

SERVER_ERRORS = ((500, "Internal Server Error"), (502, "Bad Gateway"))


class RandomFaults:
    def __init__(
        self,
        *,
        server_errors: float = 0.0,
        timeouts: float = 0.0,
        forbidden: float = 0.0,
        hang: float = 5.0,
        seed: int | None = None,
        applies: Callable[[str], bool] = counted,
    ) -> None:
        if server_errors + timeouts + forbidden > 1:
            raise ValueError("the fault rates add up to more than 1")
        self.server_errors = server_errors
        self.timeouts = timeouts
        self.forbidden = forbidden
        self.hang = hang
        self.applies = applies
        self._random = random.Random(seed)
        self.injected: list[tuple[str, int]] = []

    async def before(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        if not self.applies(method):
            return None
        draw = self._random.random()
        if draw < self.server_errors:
            code, description = self._random.choice(SERVER_ERRORS)
            return self._answer(method, code, description)
        draw -= self.server_errors
        if draw < self.timeouts:
            await asyncio.sleep(self.hang)
            return self._answer(method, 504, "Gateway Timeout")
        draw -= self.timeouts
        chat_id = params.get("chat_id")
        private = isinstance(chat_id, int) and chat_id > 0
        if draw < self.forbidden and private and method.lower().startswith("send"):
            return self._answer(method, 403, "Forbidden: bot was blocked by the user")
        return None

    def _answer(self, method: str, code: int, description: str) -> dict[str, Any]:
        self.injected.append((method, code))
        return {"ok": False, "error_code": code, "description": description}


class Policies:
    """Several policies in a row: fault injection first, then limits, for instance."""

    def __init__(self, *policies: Policy) -> None:
        self.policies = list(policies)

    async def before(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        for policy in self.policies:
            answer = await policy.before(method, params)
            if answer is not None:
                return answer
        return None
