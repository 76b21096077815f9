"""Request/answer messages over a multiprocessing pipe, awaited without blocking the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from collections.abc import AsyncIterator, Callable
from multiprocessing.connection import Connection
from typing import Any

Message = tuple[str, dict[str, Any]]


class BenchError(Exception):
    """The benchmark could not run as planned; the message says why."""


class Channel:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def send(self, kind: str, **body: Any) -> None:
        self._conn.send((kind, body))

    async def recv(self, limit: float | None) -> Message:
        """The next message; waits on the pipe's descriptor so the loop keeps serving."""
        if not self._conn.poll():
            loop = asyncio.get_running_loop()
            ready: asyncio.Future[None] = loop.create_future()
            fd = self._conn.fileno()

            def readable() -> None:
                if not ready.done():
                    ready.set_result(None)

            loop.add_reader(fd, readable)
            try:
                async with asyncio.timeout(limit):
                    await ready
            finally:
                loop.remove_reader(fd)
        try:
            kind, body = self._conn.recv()
        except EOFError:
            raise BenchError("the simulated world's process ended unexpectedly") from None
        return str(kind), dict(body)

    async def ask(self, command: str, *, limit: float, **body: Any) -> dict[str, Any]:
        """Send a command and wait for its answer; the other side's failure is raised here."""
        self.send(command, **body)
        try:
            kind, answer = await self.recv(limit)
        except TimeoutError:
            raise BenchError(f"no answer to {command!r} within {limit:.0f}s") from None
        if kind == "error":
            raise BenchError(f"the simulated world failed at {command!r}: {answer['message']}")
        return answer


@contextlib.asynccontextmanager
async def spawned(
    target: Callable[..., None], args: tuple[Any, ...], *, name: str, what: str, limit: float
) -> AsyncIterator[tuple[Channel, dict[str, Any]]]:
    """`target(conn, *args)` in a fresh interpreter ("spawn": nothing of this process's state is
    shared); yields the channel to it and what it sent with "ready", and stops it afterwards."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    # Not daemonic: a StudentVoice instance lays its letters out in a process of its own, and
    # a daemonic process may start none. The `finally` below ends it in every case.
    process = context.Process(target=target, args=(theirs, *args), name=name)
    process.start()
    theirs.close()
    channel = Channel(ours)
    try:
        kind, ready = await channel.recv(limit)
        if kind != "ready":
            raise BenchError(f"{what} did not start: {ready}")
        yield channel, ready
    finally:
        with contextlib.suppress(OSError):
            channel.send("stop")
        await asyncio.to_thread(process.join, 10)
        if process.is_alive():
            process.terminate()
            await asyncio.to_thread(process.join, 5)
        ours.close()
