"""SQLAlchemy's aiosqlite adapter, with one trip to the connection's thread per statement.

aiosqlite runs each call on the connection's own thread and hands the result back to the event
loop. The stock adapter makes a cursor, runs the statement, fetches its rows and closes the
cursor as four such calls; each costs two thread switches and a wake-up of the event loop, which
added up to more CPU than SQLite's own work. Here the four happen in one call on that thread,
and what SQLAlchemy reads afterwards (description, rowcount, lastrowid, the rows) is kept. A
connection also remembers whether SQLite left it in a transaction, so that a rollback with
nothing to undo (the pool's, after every commit) costs no trip.

Like the stock adapter (see its isolation_level setter) this uses aiosqlite's private `_conn`
and call queue (`_execute`).
"""

from __future__ import annotations

import collections
import sqlite3
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

        await self._run(run)
        return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._run(lambda cursor: cursor.executemany(operation, seq_of_parameters))
        return self

    async def _run(self, statement: Callable[[sqlite3.Cursor], object]) -> None:
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
        try:
            async with adapt._execute_mutex:
                outcome, adapt.in_transaction = await self._connection._execute(on_thread)
        except BaseException:
            adapt.in_transaction = True  # not known: the next rollback is made
            raise
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = collections.deque(rows or ())


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("in_transaction",)
    _cursor_cls = _Cursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        # As SQLite said after the last statement; until then, unknown.
        self.in_transaction = True

    def rollback(self) -> None:
        # The pool rolls back every connection it gets back, after a commit too: with nothing
        # to undo, that is a trip to the connection's thread for nothing.
        if self.in_transaction:
            super().rollback()
            self.in_transaction = False

    def commit(self) -> None:
        super().commit()
        self.in_transaction = False


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Pass as `module=` to `create_async_engine` for a sqlite+aiosqlite URL."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        if "async_creator_fn" in kw:
            return super().connect(*arg, **kw)
        # As the stock adapter connects, returning this module's connection class.
        connection = self.aiosqlite.connect(*arg, **kw)
        thread = connection if isinstance(connection, Thread) else connection._thread
        thread.daemon = True
        return _Connection(self, await_(connection))


__all__ = ["OneTripDBAPI"]
