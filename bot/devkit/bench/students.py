"""Simulated people for the benchmarks: they act, then wait for the bot's next message to them.

``bot.devkit.scenario`` waits with ``settle()`` or for any change in the chat; an edit of the
previous message (keyboards are removed as soon as a button is pressed) would satisfy the latter
before the next question arrives, so with many students in flight each one waits here for the next
*new* message in their own chat instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from bot.devkit.emulator import BotAPIEmulator, RecordedRequest, SimUser

COLLEGE, LANGUAGE = "临床医学院", "中文"
KIND, CATEGORY = "权益诉求", "后勤餐饮"
STEP_TIMEOUT = 30.0

BotMessage = dict[str, Any]


async def follow_requests(emu: BotAPIEmulator, seen: Callable[[RecordedRequest], None]) -> None:
    """Hand each request the emulator records to `seen`, once and in order, until cancelled."""
    world = emu.world
    read = 0
    while True:
        changed = world.changed
        requests = world.requests
        for request in requests[read:]:
            seen(request)
        read = len(requests)
        await changed.wait()


class Inbox:
    """The bot's sendMessage answers to private chats, queued per chat as the emulator records them.

    One watcher reads each recorded request once, so waiting costs the same for 2 students in
    flight as for 200.
    """

    def __init__(self, emu: BotAPIEmulator) -> None:
        self._emu = emu
        # The bot's "we received your message" to people who wait long (a message, or the
        # toast of a press): not an answer to anything, so not queued; only counted.
        self.notice: str | None = None
        self.notices = 0
        self._queues: dict[int, deque[BotMessage]] = {}
        self._arrived: dict[int, asyncio.Event] = {}

    async def watch(self) -> None:
        await follow_requests(self._emu, self._seen)

    def _seen(self, request: RecordedRequest) -> None:
        chat_id = request.chat_id
        if request.ok and request.method == "answerCallbackQuery":
            if self._is_notice(request.params.get("text")):
                self.notices += 1
        elif request.ok and request.method == "sendMessage" and chat_id and chat_id > 0:
            if self._is_notice(request.response.get("text")):
                self.notices += 1
                return
            self._queue(chat_id).append(request.response)
            self._event(chat_id).set()

    def _is_notice(self, text: object) -> bool:
        return self.notice is not None and isinstance(text, str) and text.strip() == self.notice

    def forget(self, chat_id: int) -> None:
        """Before an action: what came earlier is not the answer to it."""
        self._queue(chat_id).clear()
        self._event(chat_id).clear()

    async def next(self, chat_id: int) -> BotMessage:
        queue, event = self._queue(chat_id), self._event(chat_id)
        async with asyncio.timeout(STEP_TIMEOUT):
            while not queue:
                event.clear()
                await event.wait()
        return queue.popleft()

    def _queue(self, chat_id: int) -> deque[BotMessage]:
        return self._queues.setdefault(chat_id, deque())

    def _event(self, chat_id: int) -> asyncio.Event:
        return self._arrived.setdefault(chat_id, asyncio.Event())


class Student:
    def __init__(self, user: SimUser, inbox: Inbox) -> None:
        self.user = user
        self.inbox = inbox

    async def say(self, text: str) -> BotMessage:
        self.inbox.forget(self.user.id)
        await self.user.send(text)
        return await self.inbox.next(self.user.id)

    async def press(self, message: BotMessage, button: str | int) -> BotMessage:
        self.inbox.forget(self.user.id)
        await self.user.press(int(message["message_id"]), button)
        return await self.inbox.next(self.user.id)

    async def onboard(self) -> None:
        """Consent, language, college: what /start asks of a newcomer."""
        message = await self.say("/start")
        message = await self.press(message, 0)
        message = await self.press(message, LANGUAGE)
        await self.press(message, COLLEGE)

    async def submit(self, text: str, number: re.Pattern[str]) -> tuple[str, float]:
        """/new → kind → category → text → no attachments → under my name → 提交; the case
        number, and when 提交 was pressed (the emulator's monotonic clock)."""
        message = await self.say("/new")
        message = await self.press(message, KIND)
        message = await self.press(message, CATEGORY)
        message = await self.say(text)
        message = await self.press(message, 0)
        message = await self.press(message, 0)
        submitted_at = time.monotonic()
        message = await self.press(message, 0)
        found = number.search(str(message.get("text", "")))
        if found is None:
            raise AssertionError(f"expected a case number, got {message.get('text')!r}")
        return found.group(0), submitted_at


def case_text(user_id: int) -> str:
    return f"【{user_id}】三号食堂二楼的饭菜连续一周出现异物，希望后勤加强对承包商的检查。"


async def in_flight(
    items: Sequence[int], concurrency: int, act: Callable[[int], Awaitable[Any]]
) -> list[str]:
    """Runs ``act`` for every item, at most ``concurrency`` at a time; the failures, described."""
    gate = asyncio.Semaphore(max(1, concurrency))
    failures: list[str] = []

    async def one(item: int) -> None:
        async with gate:
            try:
                await act(item)
            except Exception as exc:  # one stuck student must not hide the others' results
                failures.append(f"{item}: {type(exc).__name__}: {exc}")

    await asyncio.gather(*(one(item) for item in items))
    return failures


class Watcher(Protocol):
    async def watch(self) -> None: ...


W = TypeVar("W", bound=Watcher)


@contextlib.asynccontextmanager
async def watching(watcher: W) -> AsyncIterator[W]:
    task = asyncio.create_task(watcher.watch(), name="bench-watcher")
    try:
        yield watcher
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
