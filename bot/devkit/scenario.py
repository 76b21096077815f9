"""Scripted people acting against the emulator: shared by the demo, the benchmarks and tests."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.devkit.driver import Driver
from bot.devkit.emulator import BotAPIEmulator, SimGroup, SimUser
from bot.devkit.emulator.models import SimMessage

CASE_NUMBER = re.compile(r"\b[GSPQ]\d{4}-\d{4,}\b")


@dataclass
class Scenario:
    emu: BotAPIEmulator
    driver: Driver
    group: SimGroup

    async def settle(self) -> None:
        """Until the bot has handled every update and sent everything it queued."""
        await self.driver.settle()

    def last(self, who: SimUser | SimGroup) -> SimMessage:
        message = self.emu.last_bot_message(who.id)
        assert message is not None, f"no bot message in chat {who.id}"
        return message

    def texts(self, who: SimUser | SimGroup) -> list[str]:
        return [m.text or m.caption or "" for m in self.emu.bot_messages(who.id)]

    def card(self, number: str, chat: SimGroup | None = None) -> SimMessage:
        """A case's card in the officers' chat (or another, such as a college union's): the
        bot's message whose first line names it."""
        where = chat or self.group
        for message in self.emu.bot_messages(where.id):
            first_line = (message.text or "").split("\n", 1)[0]
            if number in first_line and not message.deleted:
                return message
        raise AssertionError(f"no card for {number} in chat {where.title}")

    async def onboard(
        self, user: SimUser, *, college: str = "临床医学院", language: str = "中文"
    ) -> None:
        await user.send("/start")
        await self.settle()
        await user.press(self.last(user), 0)
        await self.settle()
        await user.press(self.last(user), language)
        await self.settle()
        await user.press(self.last(user), college)
        await self.settle()

    async def submit(
        self,
        student: SimUser,
        text: str,
        *,
        kind: str = "权益诉求",
        category: str = "后勤餐饮",
        anonymous: bool = False,
        photos: int = 0,
    ) -> str:
        """Walk the /new dialogue; returns the case number the student is told."""
        await student.send("/new")
        await self.settle()
        await student.press(self.last(student), kind)
        await self.settle()
        await student.press(self.last(student), category)
        await self.settle()
        await student.send(text)
        await self.settle()
        for _ in range(photos):
            await student.send_photo()
            await self.settle()
        await student.press(self.last(student), 0)
        await self.settle()
        await student.press(self.last(student), 1 if anonymous else 0)
        await self.settle()
        await student.press(self.last(student), 0)
        await self.settle()
        for message in reversed(self.emu.bot_messages(student.id)):
            found = CASE_NUMBER.search(message.text or "")
            if found:
                return found.group(0)
        raise AssertionError("the student was not told a case number")
