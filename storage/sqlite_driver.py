"""SQLAlchemy's aiosqlite adapter, with one trip to the connection's thread per statement.

aiosqlite runs each call on the connection's own thread and hands the result back to the event
loop. The stock adapter makes a cursor, runs the statement, fetches its rows and closes the
cursor as four such calls; each costs two thread switches and a wake-up of the event loop, which
added up to more CPU than SQLite's own work. Here the four happen in one call on that thread,
and what SQLAlchemy reads afterwards (description, rowcount, lastrowid, the rows) is kept. A
connection also remembers whether SQLite left it in a transaction, so that a rollback with
nothing to undo (the pool's, after every commit) costs no trip.

Transactions that write (BEGIN IMMEDIATE) take turns on an asyncio lock of the process before
they ask SQLite: SQLite's own busy handler, which a waiting writer otherwise meets, retries by
sleeping longer and longer, so under a burst the unlucky transaction waited far longer than
the others (the slowest answers to students). The lock hands the turn over the moment the
holder commits, in the order asked.

Like the stock adapter (see its isolation_level setter) this uses aiosqlite's private `_conn`
and call queue (`_execute`).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sqlite3
import weakref
from collections.abc import Callable
from threading import Thread
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

log = logging.getLogger(__name__)

# A writer waits this long for its turn in the process, then asks SQLite regardless (whose own
# timeout then applies): a turn never given back slows writers down, it does not stop them.
TURN_WAIT = 30.0

# description, rowcount, lastrowid, and the rows when the statement returns any; and whether
# the connection is in a transaction after it.
_Outcome = tuple[tuple[Any, int, int | None, list[Any] | None], bool]


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # No aiosqlite cursor is made here: each statement makes and closes its own, on the
        # connection's thread.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        return None

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        def run(cursor: sqlite3.Cursor) -> None:
            if parameters is None:
                cursor.execute(operation)
            else:
                cursor.execute(operation, parameters)

        await self._run(run, operation)
        return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._run(lambda cursor: cursor.executemany(operation, seq_of_parameters), operation)
        return self

    async def _run(self, statement: Callable[[sqlite3.Cursor], object], operation: str) -> None:
        raw: sqlite3.Connection = self._connection._conn

        def on_thread() -> _Outcome:
            cursor = raw.cursor()
            try:
                statement(cursor)
                rows = cursor.fetchall() if cursor.description else None
                outcome = cursor.description, cursor.rowcount, cursor.lastrowid, rows
                return outcome, raw.in_transaction
            finally:
                cursor.close()

        adapt = self._adapt_connection
        assert isinstance(adapt, _Connection)
        head = operation.lstrip()[:16].upper()
        if head.startswith(_WRITING):
            await adapt.take_turn()
        try:
            async with adapt._execute_mutex:
                if adapt.cannot_wait(head):
                    outcome, adapt.in_transaction = on_thread()
                else:
                    outcome, adapt.in_transaction = await self._connection._execute(on_thread)
        except BaseException:
            adapt.in_transaction = True  # not known: the next rollback is made
            adapt.writing = False
            if head.startswith(_WRITING):
                adapt.give_turn()
            raise
        if head.startswith("BEGIN"):
            adapt.writing = head.startswith(_WRITING)
        elif not adapt.in_transaction:
            adapt.writing = False
            adapt.give_turn()
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = collections.deque(rows or ())


_WRITING = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("in_transaction", "turn", "turns", "writing")
    _cursor_cls = _Cursor

    def __init__(self, dbapi: Any, connection: Any, turns: _Turns) -> None:
        super().__init__(dbapi, connection)
        # As SQLite said after the last statement; until then, unknown.
        self.in_transaction = True
        # In a transaction that holds the write lock (BEGIN IMMEDIATE).
        self.writing = False
        self.turns = turns
        # The process's writers' lock, while this connection holds it.
        self.turn: asyncio.Lock | None = None

    async def take_turn(self) -> None:
        if self.turn is not None:
            return
        lock = self.turns.lock()
        try:
            await asyncio.wait_for(lock.acquire(), TURN_WAIT)
        except TimeoutError:
            log.warning("no turn to write for %.0f s: asking SQLite regardless", TURN_WAIT)
            return
        self.turn = lock

    def give_turn(self) -> None:
        turn, self.turn = self.turn, None
        if turn is not None:
            turn.release()

    def cannot_wait(self, head: str) -> bool:
        """Whether the statement is sure not to wait for another connection: then it runs on
        the event loop's thread, at once, rather than by a trip to the connection's thread and
        back, which costs ten times SQLite's own work for a short statement. In WAL mode a
        read never waits, and a write waits only for the write lock, which a transaction that
        began IMMEDIATE holds already. Beginning, committing and the rest take the trip."""
        if head.startswith("PRAGMA SYNCHRONO"):
            return True  # a setting of this connection alone
        return self.writing or (self.in_transaction and head.startswith("SELECT"))

    def rollback(self) -> None:
        # The pool rolls back every connection it gets back, after a commit too: with nothing
        # to undo, that is a trip to the connection's thread for nothing.
        self.writing = False
        try:
            if self.in_transaction:
                super().rollback()
                self.in_transaction = False
        finally:
            self.give_turn()

    def commit(self) -> None:
        self.writing = False
        try:
            super().commit()
            self.in_transaction = False
        finally:
            self.give_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.give_turn()


class _Turns:
    """The writers' lock of one engine, one per event loop (tests run several in turn)."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        found = self._locks.get(loop)
        if found is None:
            found = self._locks[loop] = asyncio.Lock()
        return found


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Pass as `module=` to `create_async_engine` for a sqlite+aiosqlite URL."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)
        self.turns = _Turns()

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        if "async_creator_fn" in kw:
            return super().connect(*arg, **kw)
        # As the stock adapter connects, returning this module's connection class.
        connection = self.aiosqlite.connect(*arg, **kw)
        thread = connection if isinstance(connection, Thread) else connection._thread
        thread.daemon = True
        return _Connection(self, await_(connection), self.turns)


__all__ = ["OneTripDBAPI"]
