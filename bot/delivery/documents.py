"""Documents laid out when their message's turn comes, in a process beside the bot's.

A PDF letter is tens of milliseconds of font work. Laid out in the transaction that queued it,
it held the database's write lock that long, and in a thread it held the interpreter's lock
from every handler; here the transaction stores only the letter's words, and a worker process
lays them out on another core (where the machine has one) when the message is sent. A row names
its layout in its payload: `{"layout": name, "data": {...}, "filename": ...}`; the wiring says
which layouts exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from aiogram.types import BufferedInputFile

from bot.core import logs
from bot.delivery.layout_call import timed

log = logging.getLogger(__name__)

# Takes the words a row carries (JSON) and gives the file's bytes; a module-level function, so
# that it can be handed to another process.
Layout = Callable[[dict[str, Any]], bytes]
# Documents laid out ahead of their turn and kept at most (a letter is about 25 KB): more than
# a busy officers' chat holds queued, so that none is laid out twice.
KEPT_EARLY = 256


class DocumentFailed(Exception):
    """A layout raised on the words it was given: trying again would fail again."""


def is_document(value: object) -> bool:
    return isinstance(value, dict) and "layout" in value


class Documents:
    """The layouts a worker may be asked for, and the processes that run them.

    `workers` processes are started at the first document and kept; 0 lays documents out in a
    thread of this process instead, and so does a process that cannot start one (a daemonic
    process may have no children; the system's process limit). A process that dies (killed,
    out of memory) fails only the send it was on, which the outbox tries again; the next
    document starts a new one.
    """

    def __init__(self, layouts: Mapping[str, Layout], *, workers: int) -> None:
        self._layouts = dict(layouts)
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        # Documents started when their row was claimed, by row id, oldest first.
        self._early: dict[int, asyncio.Future[BufferedInputFile]] = {}
        # CPU the layouts took in the document processes (none when they run in this one): the
        # benchmark adds it to the bot's own.
        self.cpu_seconds = 0.0

    def prepare(self, key: int, payload: Mapping[str, Any]) -> None:
        """Starts laying out a claimed row's document, so that it is ready by the row's turn:
        the rows ahead of it in its chat's lane need not wait for the font work."""
        ref = next((value for value in payload.values() if is_document(value)), None)
        if ref is None or key in self._early:
            return
        early = asyncio.ensure_future(self._lay_out(ref))
        # A row given back before its turn leaves its document unused: never an unseen error.
        early.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._early[key] = early
        while len(self._early) > KEPT_EARLY:
            self._early.pop(next(iter(self._early))).cancel()

    async def file(self, ref: Mapping[str, Any], key: int | None = None) -> BufferedInputFile:
        early = self._early.pop(key, None) if key is not None else None
        return await (early if early is not None else self._lay_out(ref))

    async def _lay_out(self, ref: Mapping[str, Any]) -> BufferedInputFile:
        name = str(ref["layout"])
        layout = self._layouts.get(name)
        if layout is None:
            raise DocumentFailed(f"no layout called {name!r}")
        try:
            data, cpu = await self._run(layout, ref["data"])
        except BrokenProcessPool:
            self._pool = None
            raise
        except Exception as exc:
            log.exception("laying out a %s document failed", name)
            raise DocumentFailed(f"the {name} layout failed: {type(exc).__name__}") from exc
        if self._workers > 0:
            self.cpu_seconds += cpu
        return BufferedInputFile(data, filename=str(ref["filename"]))

    def _run(self, layout: Layout, data: dict[str, Any]) -> Awaitable[tuple[bytes, float]]:
        loop = asyncio.get_running_loop()
        executor = self._executor()
        try:
            return loop.run_in_executor(executor, timed, layout, data)
        except BrokenProcessPool:
            raise
        except Exception as exc:
            if executor is None:
                raise
            # The pool's process would not start: a letter laid out in a thread is late by
            # its font work, one not laid out at all never reaches its department.
            log.warning(
                "no document process could be started (%s); documents are laid out in a thread",
                logs.exception_text(exc),
            )
            pool, self._pool, self._workers = self._pool, None, 0
            if pool is not None:
                with contextlib.suppress(Exception):
                    pool.shutdown(wait=False, cancel_futures=True)
            return loop.run_in_executor(None, timed, layout, data)

    def _executor(self) -> Executor | None:
        if self._workers <= 0:
            return None
        if self._pool is None:
            # Spawned, not forked: a fork would copy the event loop's threads' locks mid-use.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self._workers, mp_context=context)
        return self._pool

    async def close(self) -> None:
        for early in self._early.values():
            early.cancel()
        self._early.clear()
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
