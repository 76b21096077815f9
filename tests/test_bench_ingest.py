"""`studentvoice bench ingest` end to end, tiny: two processes, real bot, real emulator."""

from __future__ import annotations

import json

import pytest

from bot.bench.ingest import run_ingest_bench
from bot.bench.report import percentile

KEYS = {
    "students",
    "submissions",
    "updates_per_submission",
    "submissions_per_second",
    "card_latency_p50_ms",
    "card_latency_p99_ms",
    "peak_rss_mb",
    "cpu_per_submission_ms",
    "echo_cpu_per_update_ms",
    "cpu_ratio",
    "lost",
}


async def test_every_submission_gets_a_card_and_the_figures_add_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await run_ingest_bench(students=6, concurrency=3, as_json=True, echo_updates=60)

    out = capsys.readouterr().out
    assert code == 0, out
    assert "CPU ratio" in out
    report = json.loads(out.strip().splitlines()[-1])
    assert KEYS - report.keys() == set()
    assert report["students"] == report["submissions"] == 6
    assert report["lost"] == 0
    # /new, kind, category, text, no attachments, identity, ✅ — onboarding is not counted.
    assert report["updates_per_submission"] == 7
    assert 0 < report["card_latency_p50_ms"] <= report["card_latency_p99_ms"]
    assert report["submissions_per_second"] > 0
    assert report["cpu_per_submission_ms"] > 0
    assert report["echo_cpu_per_update_ms"] > 0
    assert report["cpu_ratio"] > 0
    assert report["peak_rss_mb"] > 0


async def test_bad_arguments_are_refused_before_anything_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run_ingest_bench(students=0) == 2
    assert "--students" in capsys.readouterr().err


def test_percentile_is_nearest_rank() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 99) == 5.0
    assert percentile([7.0], 99) == 7.0
