"""A running bot against the emulator, with people to act in it."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.app.runtime import App, bind_configured_chats, build_app, close
from bot.core.config import Settings
from bot.devkit.emulator import BotAPIEmulator, SimUser
from bot.devkit.scenario import Scenario
from storage.db import create_engine
from storage.migrate import upgrade
from storage.revision import revisions
from tests.support import anonymity

ADMIN_ID = 9001
OFFICER_ID = 9002
OFFICERS_CHAT = -1001000000001
TOKEN = "123456:TEST-TOKEN"
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TEXT = "食堂二楼的饭菜连续一周出现异物，希望后勤加强检查。"
RELAXED_LIMITS: dict[str, Any] = {
    "delivery_global_per_second": 10_000,
    "delivery_chat_per_second": 1_000,
    "delivery_chat_burst": 100,
    "delivery_group_per_minute": 100_000,
}

# A fixed key: what a test seals, another part of it (or a reader of the dump) may open.
IDENTITY_KEY = "e9HX6DX0sy8zzbfj8ldQvTTjK7yCjVYGZSkHDkAz3zY="


def make_settings(base_url: str, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "telegram_api_base": base_url,
        "database_url": database_url,
        "admin_ids": [ADMIN_ID],
        "officers_chat_id": OFFICERS_CHAT,
        # Timed jobs would post into the chats of tests about other things; their own tests
        # turn them on (or call Jobs.tick with a chosen moment).
        "scheduler_enabled": False,
        # Telegram's real limits would pace every test's messages to seconds; the delivery
        # tests set their own (and an emulator that enforces them).
        **RELAXED_LIMITS,
        # "Received, please wait" is for an update waiting seconds on a wall clock; on a loaded
        # machine any test's update may, so only the tests about the notice keep it short.
        "inbox_notice_seconds": 120,
        # A story's student writes dozens of messages within a real minute and may send more
        # cases than a day allows; the limits' own tests set them.
        "limit_messages_per_minute": 0,
        "limit_submissions_per_day": 0,
        # Tests that serve HTTP choose a free port; the rest must not compete for the default.
        "http_listen": "",
        "identity_key": IDENTITY_KEY,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Harness(Scenario):
    app: App | None = None
    admin: SimUser | None = None
    officer: SimUser | None = None
    students: dict[int, SimUser] = field(default_factory=dict)

    async def student(
        self,
        user_id: int,
        name: str = "Student",
        *,
        language: str = "zh-hans",
        college: str = "临床医学院",
        username: str | None = None,
    ) -> SimUser:
        """A student who has consented, chosen a language, and chosen a college."""
        user = self.emu.add_user(
            user_id=user_id, first_name=name, username=username, language_code=language
        )
        await self.onboard(
            user, college=college, language="中文" if language.startswith("zh") else "English"
        )
        self.students[user_id] = user
        return user

    async def submit(  # type: ignore[override]
        self, student: SimUser, text: str = DEFAULT_TEXT, **kwargs: Any
    ) -> str:
        return await super().submit(student, text, **kwargs)

    async def press_card(self, number: str, button: str, who: SimUser | None = None) -> str:
        presser = who or self.officer
        assert presser is not None
        query = await presser.press(self.card(number), button)
        await self.settle()
        return query


async def reset_database(url: str, *, copy: bool = True) -> AsyncEngine:
    """An empty database at the head revision; `copy=False`: by running the migrations."""
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        if copy and await _emptied_at_head(engine):
            return engine
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    elif copy and (target := _sqlite_file(url)) is not None and not target.exists():
        # A copy of a database migrated once in this process: every test otherwise ran the
        # whole Alembic chain again (tests/reliability/test_migrations.py runs it for real).
        _copy_sqlite(await _sqlite_template(), target)
        return engine
    await upgrade(engine)
    return engine


async def _emptied_at_head(engine: AsyncEngine) -> bool:
    """A PostgreSQL database already migrated to the head has its rows removed instead of
    being migrated again (a third of a second each); anything else is rebuilt."""
    current, head = await revisions(engine)
    if current != head or head is None:  # never migrated, its schema dropped, or behind
        return False
    async with engine.begin() as conn:
        order = await _deletion_order(conn)
        if order is None:
            tables = (await conn.execute(text(_TABLES))).scalars()
            if listed := ", ".join(tables):
                await conn.execute(text(f"TRUNCATE {listed} RESTART IDENTITY CASCADE"))
            return True
        # DELETE, not TRUNCATE: a TRUNCATE of the ~40 tables gives each a new file on disk and
        # costs about a second, a DELETE of what one test wrote a few milliseconds.
        for table in order:
            await conn.execute(text(f"DELETE FROM {table}"))
        # As RESTART IDENTITY did: the next row of every table is numbered 1 again.
        await conn.execute(
            text(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass,"
                " start_value, false) FROM pg_sequences"
                " WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
        )
    return True


_TABLES = (
    "SELECT quote_ident(tablename) FROM pg_tables"
    " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
)


async def _deletion_order(conn: AsyncConnection) -> list[str] | None:
    """The public tables, each after every table whose foreign keys point at it; None when a
    plain DELETE would not empty them as TRUNCATE does (a trigger of the schema's own, or
    tables referring to each other in a cycle)."""
    triggers = await conn.scalar(
        text(
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND NOT t.tgisinternal"
        )
    )
    if triggers:
        return None
    tables = set((await conn.execute(text(_TABLES))).scalars())
    edges = (
        await conn.execute(
            text(
                "SELECT quote_ident(child.relname), quote_ident(parent.relname)"
                " FROM pg_constraint k"
                " JOIN pg_class child ON child.oid = k.conrelid"
                " JOIN pg_class parent ON parent.oid = k.confrelid"
                " JOIN pg_namespace n ON n.oid = child.relnamespace"
                " WHERE k.contype = 'f' AND n.nspname = 'public'"
            )
        )
    ).all()
    # Children first: a table is deleted from once nothing left refers to it.
    referrers: dict[str, set[str]] = {table: set() for table in tables}
    for child, parent in edges:
        if child != parent and parent in referrers and child in tables:
            referrers[parent].add(child)
    order: list[str] = []
    while referrers:
        ready = sorted(t for t, children in referrers.items() if not children)
        if not ready:
            return None
        order += ready
        for table in ready:
            del referrers[table]
        for children in referrers.values():
            children.difference_update(ready)
    return order


_TEMPLATES: dict[str, Path] = {}


def _sqlite_file(url: str) -> Path | None:
    prefix = "sqlite+aiosqlite:///"
    rest = url.removeprefix(prefix)
    if rest == url or not rest or rest.startswith(":") or "?" in rest:
        return None
    return Path(rest)


async def _sqlite_template() -> Path:
    if "sqlite" not in _TEMPLATES:
        folder = tempfile.mkdtemp(prefix="studentvoice-template-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = Path(folder) / "migrated.db"
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()
        _TEMPLATES["sqlite"] = path
    return _TEMPLATES["sqlite"]


def _copy_sqlite(template: Path, target: Path) -> None:
    # The backup API, not a file copy: it carries whatever a WAL file still holds.
    with (
        contextlib.closing(sqlite3.connect(template)) as source,
        contextlib.closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)


@contextlib.asynccontextmanager
async def start_bot(
    emu: BotAPIEmulator, database_url: str, *, worker: bool = True, **overrides: Any
) -> AsyncIterator[App]:
    """The real app against the emulator, to be driven step by step by a `Driver`: nothing runs
    in the background, so a test knows when the bot is done."""
    del worker  # whether the driver delivers is the driver's business
    settings = make_settings(emu.base_url, database_url, **overrides)
    app = build_app(settings)
    anonymity.watch(emu, database_url, settings.admin_ids, settings.identity_key)
    await bind_configured_chats(app)
    try:
        yield app
    finally:
        await app.processor.stop(grace=5)
        await close(app)


def process_env(
    emu: BotAPIEmulator, database_url: str, limits: Mapping[str, object], **env: str
) -> dict[str, str]:
    """The environment of a `python -m bot` process against the emulator: this shell's settings
    stay out, so only what a test names reaches the bot."""
    clean = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    return clean | {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": emu.base_url,
        "DATABASE_URL": database_url,
        "SCHEDULER_ENABLED": "false",
        "LIMIT_MESSAGES_PER_MINUTE": "0",
        "LIMIT_SUBMISSIONS_PER_DAY": "0",
        # Long enough that a busy machine does not pass for a dead process.
        "DELIVERY_LEASE_SECONDS": "3",
        "HTTP_LISTEN": "",
        "PYTHONPATH": str(ROOT),
        "IDENTITY_KEY": IDENTITY_KEY,
        **{key.upper(): str(value) for key, value in limits.items()},
        **env,
    }
