"""/healthz and /metrics over real HTTP, the bot driven step by step against the emulator; and
the HTTP server of `run`, on HTTP_LISTEN while it runs and gone once it stopped."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.engine import make_url

from bot.app.http import STUCK_AFTER, build_web_app
from bot.app.runtime import App, build_app, run_polling
from bot.devkit.emulator import BotAPIEmulator, FaultPolicy
from storage.db import create_engine
from tests.support.harness import Harness, make_settings, reset_database
from tests.support.officer_helpers import seed_student

# Distinctive enough that finding them in a response can only mean a leak.
STUDENT_ID, STUDENT_NAME = 7370123, "Zhaoyunxi"


@pytest.fixture
async def served(harness: Harness) -> AsyncIterator[str]:
    """The harness's app served on a free local port; the base URL."""
    assert harness.app is not None
    runner = web.AppRunner(build_web_app(harness.app))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        return response.status, await response.text()


async def health(base: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as client, client.get(f"{base}/healthz") as response:
        return response.status, await response.json()


def sample(metrics: str, name: str, **labels: str) -> float | None:
    """The value of one sample in the Prometheus text, or None when it is not there."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    found = re.search(rf"^{pattern}$", metrics, re.MULTILINE)
    return float(found.group(1)) if found else None


def assert_impersonal(body: str) -> None:
    assert STUDENT_NAME not in body and str(STUDENT_ID) not in body


async def submitted(h: Harness) -> None:
    student = await h.student(STUDENT_ID, STUDENT_NAME)
    await h.submit(student)


async def test_healthz_is_200_with_its_checks(harness: Harness, served: str) -> None:
    await submitted(harness)
    status, body = await health(served)
    assert status == 200
    assert body["status"] == "ok"
    checks = body["checks"]
    assert checks["database"] == {"ok": True}
    assert checks["outbox"]["ok"] and checks["outbox"]["oldest_overdue_seconds"] == 0
    assert checks["last_update"]["ok"]
    assert 0 <= checks["last_update"]["age_seconds"] < 600
    assert_impersonal(str(body))


async def test_healthz_is_503_when_the_database_is_gone(
    harness: Harness, served: str, database_url: str, tmp_path: Path
) -> None:
    app = harness.app
    assert app is not None
    assert (await health(served))[0] == 200
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        gone = url.set(database=str(tmp_path / "no such folder" / "gone.db"))
    else:
        gone = url.set(database="studentvoice_no_such_database")
    broken = create_engine(gone.render_as_string(hide_password=False))
    app.session_factory.configure(bind=broken)
    try:
        status, body = await health(served)
    finally:
        app.session_factory.configure(bind=app.engine)
        await broken.dispose()
    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"]["ok"] is False
    assert "studentvoice_no_such_database" not in str(body) and "gone.db" not in str(body)
    assert (await health(served))[0] == 200  # and healthy again once it is back


async def test_healthz_is_503_when_the_outbox_is_stuck(harness: Harness, served: str) -> None:
    h = harness
    assert h.app is not None
    await submitted(h)
    await h.driver.close()  # the delivery worker goes down: what the bot says stays queued
    h.driver.delivering = False
    await h.students[STUDENT_ID].send("/my")
    await h.settle()
    assert (await health(served))[0] == 200  # queued just now: not stuck
    h.driver.advance_to(h.app.services.now() + STUCK_AFTER + timedelta(minutes=1))
    status, body = await health(served)
    assert status == 503
    assert body["checks"]["outbox"]["ok"] is False
    assert body["checks"]["outbox"]["oldest_overdue_seconds"] > STUCK_AFTER.total_seconds()
    assert body["checks"]["database"]["ok"] is True


async def test_metrics_after_a_submission(harness: Harness, served: str) -> None:
    h = harness
    await submitted(h)
    await h.driver.close()  # the delivery worker goes down, so the answer waits in the outbox
    h.driver.delivering = False
    await h.students[STUDENT_ID].send("/my")
    await h.settle()

    status, text = await get(f"{served}/metrics")
    assert status == 200
    assert (sample(text, "studentvoice_updates_total", type="message") or 0) >= 2
    assert (sample(text, "studentvoice_updates_total", type="callback_query") or 0) >= 1
    assert (sample(text, "studentvoice_handler_seconds_count") or 0) > 0
    assert (sample(text, "studentvoice_sends_total", result="ok") or 0) > 0
    assert sample(text, "studentvoice_cases", state="submitted") == 1
    depth = re.findall(r'^studentvoice_outbox_depth\{priority="\d+"\} (\S+)$', text, re.M)
    assert depth and sum(float(value) for value in depth) >= 1
    assert_impersonal(text)


async def test_a_refused_send_counts_as_403(harness: Harness, served: str) -> None:
    h = harness
    student = await seed_student(h, STUDENT_ID, STUDENT_NAME)
    h.emu.policy = FaultPolicy().fail(
        "sendMessage",
        chat_id=student.id,
        code=403,
        description="Forbidden: bot was blocked by the user",
    )
    await student.send("/my")
    await h.settle()
    _, text = await get(f"{served}/metrics")
    assert sample(text, "studentvoice_sends_total", result="403") == 1
    assert_impersonal(text)


async def test_a_scheduler_run_is_counted(harness: Harness, served: str) -> None:
    assert harness.app is not None and harness.app.jobs is not None
    await harness.app.jobs.tick()
    _, text = await get(f"{served}/metrics")
    for job in (
        "reminders",
        "digest",
        "proposal_windows",
        "reveal_requests",
        "mutes",
        "housekeeping",
    ):
        assert sample(text, "studentvoice_scheduler_runs_total", job=job, result="ok") == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_run_serves_http_listen_until_it_stops(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    await (await reset_database(database_url)).dispose()
    port = free_port()
    settings = make_settings(emulator.base_url, database_url, http_listen=f"127.0.0.1:{port}")
    app: App = build_app(settings)
    app.poller.timeout = 1
    task = asyncio.create_task(run_polling(app, handle_signals=False))
    try:
        # The server is listening before polling begins.
        await emulator.wait_for_poller(timeout=20)
        status, body = await health(f"http://127.0.0.1:{port}")
        assert status == 200 and body["checks"]["database"]["ok"]
        status, text = await get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and "studentvoice_sends_total" in text
    finally:
        app.poller.stop()
        await asyncio.wait_for(task, timeout=20)
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(f"http://127.0.0.1:{port}/healthz")
