"""What the ingest tests share: students with open cases who add information that can be
counted (one case event per update, each carrying a token of its own), and the real bot as a
process of its own."""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bot.cases.actions import Draft, submit_case
from bot.devkit.driver import Driver
from bot.devkit.emulator import BotAPIEmulator, SimUser
from storage.db import READ_ONLY, create_engine, create_session_factory
from storage.models import CaseEvent, InboxUpdate, OutboxMessage, ProcessedUpdate, User
from storage.types import utcnow
from tests.support.harness import (
    OFFICERS_CHAT,
    RELAXED_LIMITS,
    process_env,
    reset_database,
    start_bot,
)

STUDENT_BASE = 5_100_000


@dataclass
class Submitter:
    emu: BotAPIEmulator
    user: SimUser
    # The bot's confirmation of their case: a reply to it adds information to the case.
    confirmation: int
    number: str

    async def add_info(self, token: str) -> int:
        """Sends `token` as information for the case; the update's id."""
        await self.user.send(f"补充 {token}", reply_to=self.confirmation)
        return int(self.emu.updates[-1]["update_id"])


async def seed_cases(emu: BotAPIEmulator, database_url: str, count: int) -> list[Submitter]:
    """A fresh database with `count` students who each submitted a case: its card is in the
    officers' chat and its confirmation in the student's chat."""
    engine = await reset_database(database_url)
    await engine.dispose()
    if OFFICERS_CHAT not in emu.world.chats:
        emu.add_group(OFFICERS_CHAT, "权益部工作群")
    ids = [STUDENT_BASE + n for n in range(count)]
    users = {
        uid: emu.add_user(uid, f"学生{uid}", language_code="zh-hans", started=True) for uid in ids
    }
    async with start_bot(emu, database_url) as app:
        async with app.session_factory.begin() as session:
            await session.execute(
                insert(User),
                [
                    {
                        "id": uid,
                        "first_name": f"学生{uid}",
                        "language_code": "zh-hans",
                        "locale": "zh_Hans",
                        "college_code": "clinical",
                        "consent_at": utcnow(),
                        "consent_version": app.services.org.privacy.notice_version,
                        "created_at": utcnow(),
                    }
                    for uid in ids
                ],
            )
        for uid in ids:
            async with app.session_factory.begin() as session:
                submitter = await session.get(User, uid)
                assert submitter is not None
                draft = Draft("grievance", "logistics", f"食堂的问题，学生 {uid} 反映。", False)
                await submit_case(
                    session=session, services=app.services, submitter=submitter, draft=draft
                )
        driver = Driver(app)
        try:
            await driver.deliver()
        finally:
            await driver.close()
    seeded = []
    for uid, user in users.items():
        confirmation = emu.last_bot_message(uid)
        assert confirmation is not None, "the case's confirmation reached the student"
        number = re.search(r"G\d{4}-\d{4}", confirmation.content)
        assert number is not None
        seeded.append(Submitter(emu, user, confirmation.message_id, number.group()))
    return seeded


def bot_process(
    emu: BotAPIEmulator, database_url: str, tmp_path: Path, log: Path, **env: str
) -> subprocess.Popen[bytes]:
    """`studentvoice run` against the emulator; what it logs goes to `log`."""
    clean = process_env(
        emu, database_url, RELAXED_LIMITS, **{"OFFICERS_CHAT_ID": str(OFFICERS_CHAT), **env}
    )
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=clean,
            stdout=sink,
            stderr=sink,
        )


async def ended(process: subprocess.Popen[bytes], within: float) -> int:
    """The exit code; `within` is a bound, not a measurement."""
    return await asyncio.to_thread(process.wait, within)


@dataclass
class Ledger:
    """What the database says about the burst."""

    tokens: Counter[str]
    processed: set[int]
    waiting: set[int]
    unsent: int

    def done(self, tokens: Iterable[str], telegram_pending: int) -> bool:
        """Every token stored, nothing waiting in the inbox or with Telegram, all said sent."""
        return (
            set(tokens) <= set(self.tokens)
            and not self.waiting
            and not telegram_pending
            and not self.unsent
        )


@contextlib.asynccontextmanager
async def database(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def ledger(engine: AsyncEngine) -> Ledger:
    # Read-only: on SQLite it then takes no write lock from the bot.
    async with create_session_factory(engine)(execution_options={READ_ONLY: True}) as session:
        texts = await session.scalars(
            select(col(CaseEvent.text)).where(col(CaseEvent.action) == "student_message")
        )
        tokens = Counter(str(text).split()[-1] for text in texts if text)
        processed = set(await session.scalars(select(col(ProcessedUpdate.update_id))))
        waiting = set(await session.scalars(select(col(InboxUpdate.update_id))))
        unsent = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.status).not_in(["sent", "failed"]))
        )
    return Ledger(tokens, processed, waiting, int(unsent or 0))
