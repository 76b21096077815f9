"""`studentvoice bench delivery` end to end, tiny: a strict emulator in its own process."""

from __future__ import annotations

import json

import pytest

from bot.devkit.bench.delivery import run_delivery_bench

KEYS = {
    "messages",
    "global_rate",
    "broadcast_seconds",
    "broadcast_ratio",
    "rejected_429",
    "broadcast_ratio_vs_minimum",
    "responses_429",
    "interactive_p99_idle_ms",
    "interactive_p99_busy_ms",
    "interactive_p99_ratio",
    "lost",
}


async def test_a_small_broadcast_is_measured_and_nothing_is_lost(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await run_delivery_bench(messages=120, rate=60, interactive=5, as_json=True)

    out = capsys.readouterr().out
    assert code == 0, out
    assert "429s received" in out and "lost messages" in out
    report = json.loads(out.strip().splitlines()[-1])
    assert KEYS - report.keys() == set()
    assert report["messages"] == 120
    assert report["lost"] == 0 and report["rejected_429"] == 0
    # 120 at 60 a second: 60 at once, the rest no sooner than a second later.
    assert report["broadcast_seconds"] >= 1.0
    assert report["interactive_p99_idle_ms"] > 0


async def test_bad_arguments_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_delivery_bench(messages=0) == 2
    assert "--messages" in capsys.readouterr().err
