"""The bot's HTTP face: /healthz for a container's or a monitor's health check, /metrics for
Prometheus. Building the web application is apart from serving it, so that other routes (a
webhook) can be added to the same application before it is started.

Neither says anything about a person: counts, states, ages and check names only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from bot.board.web import Board, add_board_routes
from bot.core import logs
from bot.core.config import parse_listen
from storage.crud import inbox as inbox_crud
from storage.crud import outbox as outbox_crud
from storage.types import utcnow

if TYPE_CHECKING:
    from bot.app.runtime import App

log = logging.getLogger(__name__)

APP_KEY: web.AppKey[App] = web.AppKey("studentvoice")
# A health check that hangs is worse than one that fails: the checker's own timeout would hide
# which part was slow.
DB_TIMEOUT = 3.0
# A pending row this long past its due time is stuck: no worker is claiming. Longer than any
# wait the worker imposes on itself (a retry's backoff is capped at 10 minutes, and postponed
# rows are not due until then) and than a school-wide broadcast takes at Telegram's 30
# messages a second (15 minutes is some 27,000 messages), yet short enough that students
# are not left unanswered for a whole lesson before someone is paged.
STUCK_AFTER = timedelta(minutes=15)


def build_web_app(app: App) -> web.Application:
    web_app = web.Application()
    web_app[APP_KEY] = app
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
    if app.settings.board_enabled:
        add_board_routes(web_app, Board(app.services, app.session_factory, bot=app.bot))
    return web_app


async def healthz(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    checks: dict[str, Any] = {}
    try:
        async with asyncio.timeout(DB_TIMEOUT), app.session_factory() as session:
            await session.execute(text("SELECT 1"))
            due = await outbox_crud.next_due_at(session=session)
            last = await inbox_crud.last_update_at(session=session)
        checks["database"] = {"ok": True}
        checks["outbox"] = outbox_check(due, app.services.now())
        checks["last_update"] = {
            # Informational: a quiet night is not an unhealthy one.
            "ok": True,
            "age_seconds": None if last is None else round((utcnow() - last).total_seconds()),
        }
    except Exception as exc:
        # The exception's type only: its message can quote a connection string.
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        log.warning("health check: the database did not answer (%s)", logs.exception_text(exc))
    healthy = all(check["ok"] for check in checks.values())
    return web.json_response(
        {"status": "ok" if healthy else "unhealthy", "checks": checks},
        status=200 if healthy else 503,
    )


def outbox_check(due: datetime | None, now: datetime) -> dict[str, Any]:
    overdue = 0.0 if due is None else max(0.0, (now - due).total_seconds())
    return {
        "ok": overdue <= STUCK_AFTER.total_seconds(),
        "oldest_overdue_seconds": round(overdue),
        "stuck_after_seconds": round(STUCK_AFTER.total_seconds()),
    }


async def metrics(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    # Prometheus collectors are synchronous: the database-backed gauges are read here first.
    async with asyncio.timeout(DB_TIMEOUT):
        await app.metrics.refresh(app.session_factory)
    return web.Response(
        body=app.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


@contextlib.asynccontextmanager
async def serving_http(app: App, web_app: web.Application | None = None) -> AsyncIterator[None]:
    """Serves `web_app` (by default /healthz and /metrics) on HTTP_LISTEN while the body runs.
    A port already taken is logged, not fatal: a bot that answers students without its
    metrics beats one that does not start (the health check then fails, which says so)."""
    listen = app.settings.http_listen
    if not listen:
        yield
        return
    host, port = parse_listen(listen)
    runner = web.AppRunner(web_app or build_web_app(app), access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
            board = " and /board" if app.settings.board_enabled else ""
            log.info("serving /healthz, /metrics%s on %s", board, listen)
        except OSError as exc:
            log.error("HTTP_LISTEN %s: cannot listen (%s)", listen, exc.strerror or exc)
        yield
    finally:
        await runner.cleanup()
