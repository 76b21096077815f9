"""Hooks that can answer a request before the emulator does: rate limits, fault injection."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

# In a policy's answer: the HTML page to answer with instead of the Bot API's JSON.
PAGE = "page"


class Policy(Protocol):
    async def before(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """Return an error response (``error_code``, ``description``, optional ``parameters``)
        to answer the request with it instead of running the method; ``None`` to proceed."""
        ...


class NoopPolicy:
    async def before(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        return None


@dataclass
class _Fault:
    code: int
    description: str
    parameters: dict[str, Any] | None
    page: str | None = None


class FaultPolicy:
    """Fails the next calls of chosen methods, then lets them through again.

    ``policy.fail("sendMessage", times=2, code=500, description="Internal Server Error")``;
    ``page="<html>…"`` answers with that page instead of JSON, as a proxy in front of the Bot
    API does when the server behind it is down.
    """

    def __init__(self) -> None:
        self._faults: dict[str, deque[_Fault]] = {}
        self.injected: list[tuple[str, int]] = []

    def fail(
        self,
        method: str,
        *,
        times: int = 1,
        code: int = 400,
        description: str = "Bad Request: injected fault",
        parameters: dict[str, Any] | None = None,
        page: str | None = None,
    ) -> FaultPolicy:
        queue = self._faults.setdefault(method.lower(), deque())
        queue.extend(_Fault(code, description, parameters, page) for _ in range(times))
        return self

    def rate_limit(self, method: str, retry_after: int, *, times: int = 1) -> FaultPolicy:
        return self.fail(
            method,
            times=times,
            code=429,
            description=f"Too Many Requests: retry after {retry_after}",
            parameters={"retry_after": retry_after},
        )

    def pending(self, method: str) -> int:
        return len(self._faults.get(method.lower(), ()))

    async def before(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        queue = self._faults.get(method.lower())
        if not queue:
            return None
        fault = queue.popleft()
        self.injected.append((method, fault.code))
        response: dict[str, Any] = {
            "ok": False,
            "error_code": fault.code,
            "description": fault.description,
        }
        if fault.parameters:
            response["parameters"] = fault.parameters
        if fault.page is not None:
            response[PAGE] = fault.page
        return response
