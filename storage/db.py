"""Engine and session factories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.crud import erasure, handoff
from storage.session import AppSession, forget_transaction
from storage.sqlite_driver import OneTripDBAPI

# Execution options of a session that will only read, and of one whose commit must survive a
# power cut, not only a crash of the process (see `_tune_sqlite`).
READ_ONLY = "studentvoice_read_only"
DURABLE = "studentvoice_durable"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # Bound parameters are message texts and Telegram ids: kept out of logs and of the text of
    # database errors, which end up in logs.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        if parsed.get_driver_name() == "aiosqlite":
            kwargs.setdefault("module", OneTripDBAPI())
        engine = create_async_engine(url, **kwargs)
        _tune_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _tune_sqlite(engine: AsyncEngine) -> None:
    """WAL, foreign keys, and transactions that take the write lock when they begin.

    A deferred transaction that reads and then writes fails at once with "database is locked"
    if another connection committed in between (WAL cannot upgrade a stale snapshot, and the
    busy timeout does not apply); BEGIN IMMEDIATE makes it wait its turn instead. A session that
    only reads says so (`READ_ONLY`) and begins deferred: it reads a snapshot without waiting
    for the write lock or keeping anyone else from it.

    In WAL mode, synchronous=NORMAL loses no commit when the process dies, only when the machine
    does; what is acknowledged to Telegram on the strength of a commit (`DURABLE`: the inbox)
    is synced to disk before the commit returns.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # What is deleted (an erased student's data, a purged case, a superseded secret ballot)
        # is overwritten, not left readable in the file's free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
        record.info["synchronous"] = "NORMAL"

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        synchronous = "FULL" if options.get(DURABLE) else "NORMAL"
        if connection.info.get("synchronous") != synchronous:
            connection.exec_driver_sql(f"PRAGMA synchronous={synchronous}")
            connection.info["synchronous"] = synchronous
        if options.get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_factory(
    engine: AsyncEngine,
    *,
    clock: Callable[[], datetime] | None = None,
    claimer: handoff.Claimer | None = None,
) -> async_sessionmaker[AsyncSession]:
    """Sessions whose outbox rows are due by `clock` and told to `claimer` (the process's
    delivery worker) once committed; and that forget what they queue for someone they erased."""

    class Session(AppSession):
        pass

    event.listen(Session, "before_flush", erasure.before_flush)
    event.listen(Session, "after_commit", handoff.after_commit)
    event.listen(Session, "after_transaction_end", handoff.after_transaction_end)
    event.listen(Session, "after_transaction_end", forget_transaction)
    return async_sessionmaker(
        engine, expire_on_commit=False, sync_session_class=Session, clock=clock, claimer=claimer
    )
