"""Hooks that can answer a request before the emulator does: rate limits, fault injection."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import TelegramError

TIMEOUT_DESCRIPTION = "Gateway Timeout"
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


@dataclass(frozen=True)
class _Fault:
    code: int
    description: str
    parameters: dict[str, Any] | None = None
    # Seconds the request is held before the answer: longer than the client waits, it is a
    # timeout to the client, and the call was never carried out.
    hold: float = 0.0
    # An HTML page answered instead of JSON, as a proxy in front of the Bot API would.
    page: str | None = None


@dataclass(frozen=True)
class Injection:
    """One request answered by a fault instead of the method."""

    method: str
    code: int
    chat_id: int | str | None
    held: float


# A script is a queue of what the next calls meet: a fault, or None to let one through.
_Script = deque[_Fault | None]


class FaultPolicy:
    """Fails chosen calls, per method (optionally per chat) and per call, then lets them
    through again::

        policy.fail("sendMessage", times=2, code=500, description="Internal Server Error")
        policy.fail("answerCallbackQuery", nth=2, code=502)  # the 2nd from now; the 1st passes
        policy.fail("sendMessage", chat_id=1001, code=500)   # the next one to that chat
        policy.timeout("editMessageText", hold=1.5)          # held 1.5 s, then 504, not done
        policy.forbid(1001)                                  # 403 to that chat until allow()

    Each method's script continues after what is already scripted for it: ``nth`` counts the
    calls from there. A call to a chat that has a script of its own (``chat_id=``) is counted
    in that script only. `injected` lists (method, code) of each fault answered; `records`
    the same with the chat and how long the request was held.
    """

    def __init__(self) -> None:
        self._scripts: dict[tuple[str, int | str | None], _Script] = {}
        self._forbidden: dict[int | str, str] = {}
        self.injected: list[tuple[str, int]] = []
        self.records: list[Injection] = []

    def fail(
        self,
        method: str,
        *,
        times: int = 1,
        nth: int = 1,
        code: int = 400,
        description: str | None = None,
        parameters: dict[str, Any] | None = None,
        chat_id: int | str | None = None,
        page: str | None = None,
    ) -> FaultPolicy:
        """``page="<html>…"`` answers with that page instead of JSON (a proxy's error page)."""
        if description is None:
            description = _DESCRIPTIONS.get(code, "Bad Request: injected fault")
        fault = _Fault(code, description, parameters, page=page)
        return self._script(method, chat_id, nth, times, fault)

    def timeout(
        self,
        method: str,
        *,
        hold: float = 5.0,
        times: int = 1,
        nth: int = 1,
        chat_id: int | str | None = None,
    ) -> FaultPolicy:
        """Hold the call for `hold` seconds, then answer 504 without carrying it out: a client
        whose request timeout is shorter sees a timeout, and nothing happened."""
        fault = _Fault(504, TIMEOUT_DESCRIPTION, hold=hold)
        return self._script(method, chat_id, nth, times, fault)

    def rate_limit(self, method: str, retry_after: int, *, times: int = 1) -> FaultPolicy:
        return self.fail(
            method,
            times=times,
            code=429,
            description=f"Too Many Requests: retry after {retry_after}",
            parameters={"retry_after": retry_after},
        )

    def forbid(
        self, chat_id: int | str, description: str = "Forbidden: bot was blocked by the user"
    ) -> FaultPolicy:
        """Every call that names the chat (reads aside) is refused with 403 until `allow`."""
        self._forbidden[chat_id] = description
        return self

    def allow(self, chat_id: int | str) -> FaultPolicy:
        self._forbidden.pop(chat_id, None)
        return self

    def clear(self) -> None:
        """Forget every scripted fault (what was injected stays recorded)."""
        self._scripts.clear()
        self._forbidden.clear()

    def pending(self, method: str) -> int:
        """Faults still to come for the method, over all its scripts."""
        wanted = method.lower()
        return sum(
            sum(1 for step in script if step is not None)
            for (name, _), script in self._scripts.items()
            if name == wanted
        )

    def _script(
        self, method: str, chat_id: int | str | None, nth: int, times: int, fault: _Fault
    ) -> FaultPolicy:
        if nth < 1 or times < 1:
            raise ValueError("nth and times count calls from 1")
        script = self._scripts.setdefault((method.lower(), chat_id), deque())
        script.extend([None] * (nth - 1))
        script.extend([fault] * times)
        return self

    def _next(self, method: str, chat_id: int | str | None) -> _Fault | None:
        name = method.lower()
        script = self._scripts.get((name, chat_id)) if chat_id is not None else None
        if not script:
            script = self._scripts.get((name, None))
        return script.popleft() if script else None

    async def before(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int | str) or isinstance(chat_id, bool):
            chat_id = None
        if chat_id in self._forbidden and not method.lower().startswith("get"):
            fault: _Fault | None = _Fault(403, self._forbidden[chat_id])
        else:
            fault = self._next(method, chat_id)
        if fault is None:
            return None
        self.injected.append((method, fault.code))
        self.records.append(Injection(method, fault.code, chat_id, fault.hold))
        if fault.hold:
            await asyncio.sleep(fault.hold)
        response = TelegramError(fault.code, fault.description, fault.parameters).to_response()
        if fault.page is not None:
            response[PAGE] = fault.page
        return response


_DESCRIPTIONS = {
    403: "Forbidden: injected fault",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: TIMEOUT_DESCRIPTION,
}
