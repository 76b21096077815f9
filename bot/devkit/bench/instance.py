"""One StudentVoice instance of `bench ingest --instances`, in a process of its own.

It is `studentvoice webhook` as production runs several of them: `WebhookServer` over
`build_app`, with the shared database, conversation state in Redis, its own delivery worker
(and so its own instance id). The bench's process drives it over a pipe: how much CPU it has
used, and when what it took in is handled and sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from multiprocessing.connection import Connection

from bot.app.runtime import build_app
from bot.app.webhook_server import WebhookServer
from bot.devkit.bench.channel import BenchError, Channel, spawned
from bot.devkit.bench.submissions import bench_settings, quiet, told

SECRET = "bench_Secret-0123456789"


@contextlib.asynccontextmanager
async def spawned_instance(
    app_url: str, database_url: str, redis_url: str, *, limit: float
) -> AsyncIterator[tuple[Channel, dict[str, str]]]:
    """An instance listening on a free port of 127.0.0.1; yields the channel to it and what it
    said when ready: its webhook address, its id, and what the world must recognise."""
    args = (app_url, database_url, redis_url)
    name, what = "studentvoice-bench-instance", "a StudentVoice instance"
    async with spawned(serve, args, name=name, what=what, limit=limit) as instance:
        yield instance


def serve(conn: Connection, app_url: str, database_url: str, redis_url: str) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(Channel(conn), app_url, database_url, redis_url))


async def _serve(channel: Channel, app_url: str, database_url: str, redis_url: str) -> None:
    settings = bench_settings(
        app_url,
        database_url,
        redis_url=redis_url,
        webhook_url="https://bench.invalid",
        webhook_secret=SECRET,
        webhook_listen="127.0.0.1:0",
    )
    server = WebhookServer(build_app(settings))
    running = asyncio.create_task(server.run(handle_signals=False), name="webhook")
    listening = asyncio.create_task(server.listening.wait())
    await asyncio.wait({running, listening}, return_when=asyncio.FIRST_COMPLETED)
    listening.cancel()
    if running.done():
        exc = running.exception()
        channel.send("failed", message=f"{type(exc).__name__}: {exc}" if exc else "stopped")
        return
    channel.send(
        "ready",
        url=f"http://127.0.0.1:{server.port}{settings.webhook_path}",
        instance=server.app.worker.id,
        **told(server.app),
    )
    try:
        await _obey(channel, server)
    finally:
        server.stop()
        await running


async def _obey(channel: Channel, server: WebhookServer) -> None:
    """Every answer carries the CPU this process has used so far and how many updates its
    dispatcher has been fed (a copy another instance handled first counts too)."""
    while True:
        kind, body = await channel.recv(None)
        if kind == "stop":
            return
        try:
            if kind == "quiet":
                await quiet(server.app, float(body["seconds"]))
            elif kind != "cpu":
                raise ValueError(f"unknown command {kind!r}")
        except (BenchError, ValueError) as exc:
            channel.send("error", message=str(exc))
        else:
            channel.send("ok", cpu_seconds=time.process_time(), updates=_fed(server))


def _fed(server: WebhookServer) -> int:
    return sum(
        int(sample.value)
        for metric in server.app.metrics.updates.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )
