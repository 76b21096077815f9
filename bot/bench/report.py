"""The figures of one ingest run, as a table for people and as one JSON object for machines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.bench.echo import EchoResult
from bot.bench.submissions import SubmissionResult

STEPS = "/new → kind → category → text → no attachments → identity → ✅"


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank: a value that occurred, so p99 of few samples is their worst, not a blend."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _per(total: float, count: float) -> float:
    return total / count if count else math.nan


def _fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _num(value: float, digits: int) -> float | None:
    """JSON has no NaN: a figure that could not be measured is null."""
    return None if math.isnan(value) else round(value, digits)


@dataclass(frozen=True)
class Report:
    concurrency: int
    database: str
    echo: tuple[EchoResult, ...]
    run: SubmissionResult
    peak_rss_mb: float
    # SQLite works inside the bot's process, so its CPU is in the figures; a server's is not.
    database_in_process: bool

    @property
    def echo_total(self) -> EchoResult:
        return EchoResult(
            updates=sum(part.updates for part in self.echo),
            cpu_seconds=sum(part.cpu_seconds for part in self.echo),
        )

    @property
    def cpu_per_submission(self) -> float:
        return _per(self.run.cpu_seconds, self.run.submissions)

    @property
    def rss_growth_mb(self) -> float | None:
        """How far the peak rose above the resident set at the window's start (no tracemalloc:
        it would slow the very code being measured); 0 if the peak predates the window."""
        if self.run.rss_at_start_mb is None:
            return None
        return max(0.0, self.run.peak_rss_mb - self.run.rss_at_start_mb)

    def as_dict(self) -> dict[str, Any]:
        run, echo = self.run, self.echo_total
        latencies = run.latencies
        growth = self.rss_growth_mb
        return {
            "students": run.students,
            "submissions": run.submissions,
            "updates_per_submission": _num(_per(run.updates, run.submissions), 3),
            "submissions_per_second": _num(_per(run.submissions, run.window_seconds), 2),
            "card_latency_p50_ms": _num(percentile(latencies, 50) * 1000, 2),
            "card_latency_p99_ms": _num(percentile(latencies, 99) * 1000, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "cpu_per_submission_ms": _num(self.cpu_per_submission * 1000, 3),
            "echo_cpu_per_update_ms": _num(echo.cpu_per_update * 1000, 3),
            "cpu_ratio": _num(_per(self.cpu_per_submission, echo.cpu_per_update), 2),
            "lost": run.lost,
            "concurrency": self.concurrency,
            "database": self.database,
            "echo_updates": echo.updates,
            "window_seconds": round(run.window_seconds, 3),
            "bot_cpu_seconds": round(run.cpu_seconds, 3),
            "echo_cpu_seconds": round(echo.cpu_seconds, 3),
            "echo_cpu_per_update_ms_parts": [
                _num(part.cpu_per_update * 1000, 3) for part in self.echo
            ],
            "rss_growth_mb": None if growth is None else round(growth, 1),
            "world_cpu_seconds": round(run.world_cpu_seconds, 3),
            "failures": run.failures,
        }

    def table(self) -> str:
        d = self.as_dict()
        growth = "" if d["rss_growth_mb"] is None else f", +{d['rss_growth_mb']} MB in the window"
        rows = [
            ("submissions", f"{d['submissions']} of {d['students']}, lost {d['lost']}", ""),
            ("updates per submission", _fmt(d["updates_per_submission"], "g"), STEPS),
            (
                "submissions per second",
                _fmt(d["submissions_per_second"], ".1f"),
                f"first /new → last card request, {d['window_seconds']:.2f} s",
            ),
            (
                "card latency p50 / p99",
                f"{_fmt(d['card_latency_p50_ms'], '.1f')} / "
                f"{_fmt(d['card_latency_p99_ms'], '.1f')} ms",
                "✅ update arrival → card request, both in the bot process",
            ),
            ("peak RSS", f"{d['peak_rss_mb']:.1f} MB", f"bot process, ru_maxrss{growth}"),
            (
                "CPU per submission",
                f"{_fmt(d['cpu_per_submission_ms'], '.2f')} ms",
                f"bot process only, {d['bot_cpu_seconds']:.2f} s in the window, "
                + ("SQLite's work included" if self.database_in_process else "DB server's not"),
            ),
            (
                "echo CPU per update",
                f"{_fmt(d['echo_cpu_per_update_ms'], '.3f')} ms",
                f"bare aiogram echo, {d['echo_updates']} updates, same run "
                f"(before / after: {' / '.join(map(str, d['echo_cpu_per_update_ms_parts']))})",
            ),
            ("CPU ratio", f"{_fmt(d['cpu_ratio'], '.1f')} ×", "submission ÷ echo update"),
            (
                "simulated world CPU",
                f"{d['world_cpu_seconds']:.2f} s",
                "emulator + students in the other process, not counted above",
            ),
        ]
        title = (
            f"StudentVoice ingest: {d['students']} students, {self.concurrency} in flight, "
            f"{self.database}"
        )
        lines = [title, "-" * len(title)]
        lines += [f"{name:<24} {value:<22} {note}".rstrip() for name, value, note in rows]
        lines += [f"  ! {failure}" for failure in self.run.failures]
        return "\n".join(lines)
