"""The simulated world, in a process of its own: two Bot API emulators and the people in them.

Serving Bot API requests and playing students costs CPU that must not be charged to the bot, so
all of it lives here and the bot's process only drives it with commands over a pipe. One
emulator is for the echo baseline, one for StudentVoice, so neither sees the other's updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Any

from bot.devkit.bench.balancer import Balancer
from bot.devkit.bench.channel import Channel, spawned
from bot.devkit.bench.officers import Desk
from bot.devkit.bench.students import Inbox, Student, case_text, in_flight, watching
from bot.devkit.emulator import BotAPIEmulator
from bot.devkit.emulator.html_entities import parse_html

OFFICERS_CHAT = -1003000000001
ADMIN_ID = 90001
OFFICER_IDS = (90011, 90012, 90013)
STUDENT_ID_BASE = 20_000_000
ECHO_ID_BASE = 30_000_000
STUDENT_LANGUAGE = "zh-hans"
FAILURES_SHOWN = 5

Command = Callable[..., Awaitable[dict[str, Any]]]


def student_name(user_id: int) -> str:
    """Both processes derive it, so the bot's copy of a profile matches what Telegram sends."""
    return f"学生{user_id - STUDENT_ID_BASE}"


@contextlib.asynccontextmanager
async def spawned_world(limit: float) -> AsyncIterator[tuple[Channel, dict[str, Any]]]:
    """The world in a process of its own; yields the channel to it and its emulators' addresses."""
    name = "studentvoice-bench-world"
    async with spawned(serve, (), name=name, what="the simulated world", limit=limit) as world:
        yield world


def serve(conn: Connection) -> None:
    """Entry point of the spawned process; returns when told to stop or the pipe closes."""
    # Ctrl-C reaches both processes; the bot's side reports it, this one just ends.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(Channel(conn)))


async def _serve(channel: Channel) -> None:
    async with BotAPIEmulator() as echo_emu, BotAPIEmulator() as app_emu:
        stage = Stage(echo_emu, app_emu)
        async with (
            watching(stage.echo_inbox),
            watching(stage.app_inbox),
            watching(stage.desk),
            watching(stage.balancer),
        ):
            channel.send("ready", echo_url=echo_emu.base_url, app_url=app_emu.base_url)
            commands: dict[str, Command] = {
                "chat": stage.chat,
                "onboard": stage.onboard,
                "submit": stage.submit,
                "aim": stage.aim,
            }
            await _obey(channel, commands)


async def _obey(channel: Channel, commands: dict[str, Command]) -> None:
    while True:
        kind, body = await channel.recv(None)
        if kind == "stop":
            return
        started = time.process_time()
        try:
            command = commands.get(kind)
            if command is None:
                raise ValueError(f"unknown command {kind!r}")
            answer = await command(**body)
        except Exception as exc:  # reported to the bot's process, which decides what to do
            channel.send("error", message=f"{type(exc).__name__}: {exc}")
        else:
            # Near one core's worth per second of the window means the world, not the bot,
            # set the pace.
            channel.send("ok", world_cpu_seconds=time.process_time() - started, **answer)


class Stage:
    def __init__(self, echo_emu: BotAPIEmulator, app_emu: BotAPIEmulator) -> None:
        self.echo_emu = echo_emu
        self.app_emu = app_emu
        self.echo_inbox = Inbox(echo_emu)
        self.app_inbox = Inbox(app_emu)
        self._talkers: dict[int, Student] = {}
        self._students: dict[int, Student] = {}
        group = app_emu.add_group(chat_id=OFFICERS_CHAT, title="权益部工作群", is_forum=False)
        admin = app_emu.add_user(user_id=ADMIN_ID, first_name="张部长", username="union_admin")
        group.add_member(admin, status="creator")
        self.officers = [
            app_emu.add_user(user_id=user_id, first_name=f"干事{n}")
            for n, user_id in enumerate(OFFICER_IDS, start=1)
        ]
        for officer in self.officers:
            group.add_member(officer)
        self.desk = Desk(app_emu, OFFICERS_CHAT)
        # Idle until aimed: a polled bot takes the updates itself.
        self.balancer = Balancer(app_emu)

    async def aim(self, *, targets: list[str], secret: str) -> dict[str, Any]:
        """Updates are posted to these webhook addresses in turn from now on (`--instances`)."""
        self.balancer.aim(targets, secret)
        return {"refused": self.balancer.refused}

    async def chat(self, *, count: int, people: int) -> dict[str, Any]:
        """``count`` texts to the echo bot from ``people`` users, each waiting for its echo."""
        people = max(1, min(people, count))

        async def talk(index: int) -> None:
            talker = self._talker(ECHO_ID_BASE + index)
            for n in range(index, count, people):
                text = f"echo {n}"
                reply = await talker.say(text)
                if reply.get("text") != text:
                    raise AssertionError(f"sent {text!r}, got back {reply.get('text')!r}")

        return _outcome(await in_flight(range(people), people, talk))

    async def onboard(self, *, ids: list[int], concurrency: int) -> dict[str, Any]:
        return _outcome(await in_flight(ids, concurrency, self._onboard))

    async def submit(
        self, *, ids: list[int], concurrency: int, number: str, notice: str
    ) -> dict[str, Any]:
        """Each student submits a case and an officer acts on its card; ``concurrency`` such
        walks at a time. Answers which updates they made, the cards' latencies (提交 pressed →
        card sent, in seconds) and how many "received, please wait" notices the bot sent.
        ``number`` (the case number's pattern) and ``notice`` (that notice's HTML) come from the
        bot's process, so this one need not import the bot (and aiogram) to learn them."""
        desk = self.desk
        desk.number = re.compile(number)
        self.app_inbox.notice = parse_html(notice).text.strip()
        notices, refused = self.app_inbox.notices, self.balancer.refused
        first = self._next_update_id()
        latencies: list[float] = []

        async def one(user_id: int) -> None:
            number, submitted_at = await self._student(user_id).submit(
                case_text(user_id), desk.number
            )
            officer = self.officers[user_id % len(self.officers)]
            card_sent_at = await desk.handle(officer, number)
            latencies.append(card_sent_at - submitted_at)

        outcome = _outcome(await in_flight(ids, concurrency, one))
        return {
            **outcome,
            "updates": [first, self._next_update_id()],
            "latencies": latencies,
            "notices": self.app_inbox.notices - notices,
            "refused": self.balancer.refused - refused,
        }

    def _next_update_id(self) -> int:
        """The id the next update will have (updates are numbered in the order people act)."""
        updates = self.app_emu.updates
        return int(updates[-1]["update_id"]) + 1 if updates else 0

    async def _onboard(self, user_id: int) -> None:
        await self._student(user_id).onboard()

    def _student(self, user_id: int) -> Student:
        if user_id not in self._students:
            user = self.app_emu.add_user(
                user_id=user_id, first_name=student_name(user_id), language_code=STUDENT_LANGUAGE
            )
            self._students[user_id] = Student(user, self.app_inbox)
        return self._students[user_id]

    def _talker(self, user_id: int) -> Student:
        if user_id not in self._talkers:
            user = self.echo_emu.add_user(user_id=user_id, first_name=f"Echo{user_id % 10000}")
            self._talkers[user_id] = Student(user, self.echo_inbox)
        return self._talkers[user_id]


def _outcome(failures: list[str]) -> dict[str, Any]:
    return {"failed": len(failures), "failures": failures[:FAILURES_SHOWN]}
