"""Simulated officers for `bench ingest`: they wait for a case's card and act on it.

A card is the bot's message in the officers' chat whose first line names the case. Officers
press 受理, then 转办 and a department, each time waiting until the bot has answered the press
and changed the card, as a person waits for the card to show what they did.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import TypeVar

from bot.devkit.bench.students import follow_requests
from bot.devkit.emulator import BotAPIEmulator, RecordedRequest, SimUser
from bot.devkit.emulator.models import SimMessage

ACCEPT, FORWARD = "受理", "转办"
# 受理, 转办, a department: what officers add to each submission.
PRESSES = 3
STEP_TIMEOUT = 30.0

T = TypeVar("T")


class Desk:
    """The officers' chat as the emulator records it: cards by case number, with when they came.

    One watcher reads each recorded request once, however many officers are waiting.
    """

    def __init__(self, emu: BotAPIEmulator, chat_id: int) -> None:
        self._emu = emu
        self._chat_id = chat_id
        # Told with the first submissions, before any card can come.
        self.number = re.compile(r"(?!)")
        self._cards: dict[str, tuple[int, float]] = {}

    async def watch(self) -> None:
        await follow_requests(self._emu, self._seen)

    def _seen(self, request: RecordedRequest) -> None:
        if request.ok and request.method == "sendMessage" and request.chat_id == self._chat_id:
            first_line = str(request.response.get("text", "")).split("\n", 1)[0]
            found = self.number.search(first_line)
            if found is not None:
                self._cards.setdefault(
                    found.group(0), (int(request.response["message_id"]), request.t)
                )

    async def card(self, number: str) -> tuple[SimMessage, float]:
        """The card of a case and when the bot sent it (the emulator's monotonic clock)."""
        message_id, sent_at = await self._until(lambda: self._cards.get(number), f"card {number}")
        message = self._emu.chat(self._chat_id).get(message_id)
        if message is None:
            raise AssertionError(f"the card of {number} is gone")
        return message, sent_at

    async def press(self, officer: SimUser, card: SimMessage, button: str | int) -> None:
        """Press a button on the card; back once the press is answered and the card changed."""
        since = self._emu.world.mark()
        query_id = await officer.press(card, button)

        def done() -> bool | None:
            answer = self._emu.callback_answers.get(query_id)
            if answer is None or card.changed_mark < since:
                return None
            text, alert = answer
            if alert:
                raise AssertionError(f"{button!r} on the card was refused: {text}")
            return True

        await self._until(done, f"{button!r} on the card")

    async def _until(self, check: Callable[[], T | None], what: str) -> T:
        world = self._emu.world
        try:
            async with asyncio.timeout(STEP_TIMEOUT):
                while True:
                    changed = world.changed
                    found = check()
                    if found is not None:
                        return found
                    await changed.wait()
        except TimeoutError:
            raise AssertionError(f"waited {STEP_TIMEOUT:.0f}s for {what}") from None

    async def handle(self, officer: SimUser, number: str) -> float:
        """受理, 转办, a department on the case's card; when the card had come."""
        card, sent_at = await self.card(number)
        await self.press(officer, card, ACCEPT)
        await self.press(officer, card, FORWARD)
        await self.press(officer, card, 0)
        return sent_at
