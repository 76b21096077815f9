"""The figures of one ingest run, as a table for people and as one JSON object for machines.

Figures without a mode in their name are the durable mode's: the one production runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.devkit.bench.echo import EchoResult, combined
from bot.devkit.bench.scaling import ONE, TWO, ScalingResult
from bot.devkit.bench.submissions import DURABLE, PLAIN, SubmissionResult

STEPS = "/new, kind, category, text, no attachments, identity, 提交; 受理, 转办, department"


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
    # The same echo behind the product's middlewares, inbox and outbox (`bench.house`).
    house: EchoResult
    run: SubmissionResult
    peak_rss_mb: float
    # SQLite works inside the bot's process, so its CPU is in the figures; a server's is not.
    database_in_process: bool
    notice_after: float = 0.0
    load_average: tuple[float, float, float] | None = None

    @property
    def echo_total(self) -> EchoResult:
        return combined(self.echo)

    @property
    def rss_growth_mb(self) -> float | None:
        """How far the peak rose above the resident set before the windows (no tracemalloc: it
        would slow the very code being measured); 0 if the peak predates them."""
        if self.run.rss_at_start_mb is None:
            return None
        return max(0.0, self.run.peak_rss_mb - self.run.rss_at_start_mb)

    def as_dict(self) -> dict[str, Any]:
        durable, plain = self.run.modes[DURABLE], self.run.modes[PLAIN]
        echo_per_update = self.echo_total.cpu_per_update
        rate = {mode: _per(m.handled, m.window_seconds) for mode, m in self.run.modes.items()}
        cpu = {mode: _per(m.cpu_seconds, m.handled) for mode, m in self.run.modes.items()}
        walks = durable.submissions + plain.submissions
        growth = self.rss_growth_mb
        return {
            "students": self.run.students,
            "submissions": walks,
            "updates_per_submission": _num(_per(durable.handled + plain.handled, walks), 3),
            "updates_per_second_durable": _num(rate[DURABLE], 1),
            "updates_per_second_plain": _num(rate[PLAIN], 1),
            "durable_throughput_ratio": _num(_per(rate[DURABLE], rate[PLAIN]), 3),
            "submissions_per_second": _num(_per(durable.submissions, durable.window_seconds), 2),
            "card_latency_p50_ms": _ms(percentile(durable.latencies, 50)),
            "card_latency_p99_ms": _ms(percentile(durable.latencies, 99)),
            "card_latency_plain_p50_ms": _ms(percentile(plain.latencies, 50)),
            "card_latency_plain_p99_ms": _ms(percentile(plain.latencies, 99)),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "cpu_per_update_ms": _num(cpu[DURABLE] * 1000, 3),
            "cpu_per_update_plain_ms": _num(cpu[PLAIN] * 1000, 3),
            "echo_cpu_per_update_ms": _num(echo_per_update * 1000, 3),
            "cpu_ratio_per_update": _num(_per(cpu[DURABLE], echo_per_update), 2),
            # The same figure under the name it had first.
            "cpu_ratio_vs_echo": _num(_per(cpu[DURABLE], echo_per_update), 2),
            "house_echo_cpu_per_update_ms": _num(self.house.cpu_per_update * 1000, 3),
            "house_echo_ratio": _num(_per(self.house.cpu_per_update, echo_per_update), 2),
            "cpu_ratio_vs_house_echo": _num(_per(cpu[DURABLE], self.house.cpu_per_update), 2),
            "cpu_per_submission_ms": _num(_per(durable.cpu_seconds, durable.submissions) * 1000, 3),
            "cpu_ratio": _num(
                _per(_per(durable.cpu_seconds, durable.submissions), echo_per_update), 2
            ),
            "updates_lost": durable.updates_lost + plain.updates_lost,
            "lost": durable.cards_lost + plain.cards_lost,
            "messages_given_up": self.run.given_up,
            "updates": durable.handled + plain.handled,
            "waiting_notices": durable.notices + plain.notices,
            "concurrency": self.concurrency,
            "database": self.database,
            "echo_updates": self.echo_total.updates,
            "window_seconds": round(durable.window_seconds, 3),
            "window_seconds_plain": round(plain.window_seconds, 3),
            "bot_cpu_seconds": round(durable.cpu_seconds, 3),
            "bot_cpu_seconds_plain": round(plain.cpu_seconds, 3),
            "document_cpu_seconds": round(durable.document_cpu_seconds, 3),
            "echo_cpu_seconds": round(self.echo_total.cpu_seconds, 3),
            "echo_cpu_per_update_ms_parts": [
                _num(part.cpu_per_update * 1000, 3) for part in self.echo
            ],
            "rss_growth_mb": None if growth is None else round(growth, 1),
            "world_cpu_seconds": round(durable.world_cpu_seconds + plain.world_cpu_seconds, 3),
            "load_average": None if self.load_average is None else list(self.load_average),
            "failures": durable.failures + plain.failures,
        }

    def table(self) -> str:
        d = self.as_dict()
        growth = "" if d["rss_growth_mb"] is None else f", +{d['rss_growth_mb']} MB in the windows"
        db_cpu = "SQLite's work included" if self.database_in_process else "DB server's not"
        rows = [
            (
                "submissions",
                f"{d['submissions']} of {2 * d['students']}, "
                f"{d['lost']} without a card, {d['updates_lost']} update(s) lost, "
                f"{d['messages_given_up']} message(s) given up",
                f"{d['students']} per mode",
            ),
            ("updates per submission", _fmt(d["updates_per_submission"], "g"), STEPS),
            (
                "updates per second",
                f"{_fmt(d['updates_per_second_durable'], '.1f')} / "
                f"{_fmt(d['updates_per_second_plain'], '.1f')}",
                f"durable / plain inbox, {d['window_seconds']:.2f} s / "
                f"{d['window_seconds_plain']:.2f} s of walks",
            ),
            (
                "durable ÷ plain",
                _fmt(d["durable_throughput_ratio"], ".3f"),
                "throughput kept with durable acknowledgement (target ≥ 0.8)",
            ),
            ("submissions per second", _fmt(d["submissions_per_second"], ".2f"), "durable"),
            (
                "card latency p50 / p99",
                f"{_fmt(d['card_latency_p50_ms'], '.1f')} / "
                f"{_fmt(d['card_latency_p99_ms'], '.1f')} ms",
                "提交 pressed → card sent, at the emulator; durable "
                f"(plain {_fmt(d['card_latency_plain_p50_ms'], '.1f')} / "
                f"{_fmt(d['card_latency_plain_p99_ms'], '.1f')} ms)",
            ),
            ("peak RSS", f"{d['peak_rss_mb']:.1f} MB", f"bot process, ru_maxrss{growth}"),
            (
                "CPU per update",
                f"{_fmt(d['cpu_per_update_ms'], '.3f')} ms",
                f"durable, bot process and its letters' {d['document_cpu_seconds']:.2f} s in "
                f"the document process, {d['bot_cpu_seconds']:.2f} s, {db_cpu} "
                f"(plain {_fmt(d['cpu_per_update_plain_ms'], '.3f')} ms)",
            ),
            (
                "echo CPU per update",
                f"{_fmt(d['echo_cpu_per_update_ms'], '.3f')} ms",
                f"bare aiogram echo, {d['echo_updates']} updates, same run "
                f"(before / after: {' / '.join(map(str, d['echo_cpu_per_update_ms_parts']))})",
            ),
            (
                "CPU ratio",
                f"{_fmt(d['cpu_ratio_per_update'], '.1f')} ×",
                f"update ÷ echo update (target ≤ 3); a submission "
                f"{_fmt(d['cpu_per_submission_ms'], '.1f')} ms = {_fmt(d['cpu_ratio'], '.1f')} ×",
            ),
            (
                "house echo",
                f"{_fmt(d['house_echo_cpu_per_update_ms'], '.3f')} ms",
                f"the echo behind StudentVoice's middlewares, durable inbox and outbox, SQLite: "
                f"{_fmt(d['house_echo_ratio'], '.1f')} × the bare echo; an update "
                f"{_fmt(d['cpu_ratio_vs_house_echo'], '.1f')} × it",
            ),
            (
                "waiting notices",
                str(d["waiting_notices"]),
                '"received, please wait" (message or toast) after '
                f"{self.notice_after:g} s without an answer",
            ),
            (
                "simulated world CPU",
                f"{d['world_cpu_seconds']:.2f} s",
                "emulator + people in the other process, not counted above",
            ),
        ]
        title = (
            f"StudentVoice ingest: {d['students']} students per mode, {self.concurrency} in "
            f"flight, {self.database}"
        )
        return _table(title, rows, d)


def _table(title: str, rows: list[tuple[str, str, str]], figures: dict[str, Any]) -> str:
    """The rows under the title, then the load average and any failures of the run."""
    if figures["load_average"] is not None:
        load = " / ".join(f"{v:.2f}" for v in figures["load_average"])
        rows = [*rows, ("load average", load, "1 / 5 / 15 min, at the end")]
    lines = [title, "-" * len(title)]
    lines += [f"{name:<24} {value:<22} {note}".rstrip() for name, value, note in rows]
    lines += [f"  ! {failure}" for failure in figures["failures"]]
    return "\n".join(lines)


def _ms(seconds: float) -> float | None:
    return _num(seconds * 1000, 2)


@dataclass(frozen=True)
class ScalingReport:
    """`--instances 2`: the same walks against one instance and against two; figures with
    ``_one`` / ``_two`` are each mode's, those without are one instance's."""

    concurrency: int
    database: str
    redis: str
    echo: tuple[EchoResult, ...]
    run: ScalingResult
    cores: int | None
    load_average: tuple[float, float, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        echo = combined(self.echo)
        figures: dict[str, Any] = {}
        for mode, m in self.run.modes.items():
            cpu = _per(m.cpu_seconds, m.handled)
            busy, served = m.machine_busy_seconds, m.database_cpu_seconds
            figures |= {
                f"updates_per_second_{mode}": _num(_per(m.handled, m.window_seconds), 1),
                f"submissions_per_second_{mode}": _num(_per(m.submissions, m.window_seconds), 2),
                f"card_latency_p50_ms_{mode}": _ms(percentile(m.latencies, 50)),
                f"card_latency_p99_ms_{mode}": _ms(percentile(m.latencies, 99)),
                f"cpu_per_update_ms_{mode}": _num(cpu * 1000, 3),
                f"cpu_ratio_per_update_{mode}": _num(_per(cpu, echo.cpu_per_update), 2),
                f"bot_cpu_seconds_{mode}": round(m.cpu_seconds, 3),
                f"window_seconds_{mode}": round(m.window_seconds, 3),
                # Cores in use on average over the windows: the instances together, the
                # simulated world, and the whole machine (database servers and others included).
                f"bot_cores_{mode}": _num(_per(m.cpu_seconds, m.window_seconds), 2),
                f"world_cores_{mode}": _num(_per(m.world_cpu_seconds, m.window_seconds), 2),
                f"database_cores_{mode}": None
                if served is None
                else _num(_per(served, m.window_seconds), 2),
                f"machine_busy_cores_{mode}": None
                if busy is None
                else _num(_per(busy, m.window_seconds), 2),
            }
        one, two = self.run.modes[ONE], self.run.modes[TWO]
        rate_one = _per(one.handled, one.window_seconds)
        rate_two = _per(two.handled, two.window_seconds)
        cpu_one = _per(one.cpu_seconds, one.handled)
        per_submission = _per(one.cpu_seconds, one.submissions)
        modes = (one, two)
        return {
            "instances": len(self.run.instance_ids),
            "scaling_2x": _num(_per(rate_two, rate_one), 3),
            "students": self.run.students,
            "submissions": one.submissions + two.submissions,
            "updates": one.handled + two.handled,
            "updates_per_submission": _num(
                _per(one.handled + two.handled, one.submissions + two.submissions), 3
            ),
            **figures,
            "echo_cpu_per_update_ms": _num(echo.cpu_per_update * 1000, 3),
            "cpu_ratio_per_update": _num(_per(cpu_one, echo.cpu_per_update), 2),
            "cpu_ratio_vs_echo": _num(_per(cpu_one, echo.cpu_per_update), 2),
            "cpu_per_submission_ms": _num(per_submission * 1000, 3),
            "cpu_ratio": _num(_per(per_submission, echo.cpu_per_update), 2),
            "updates_lost": sum(m.updates_lost for m in modes),
            "lost": sum(m.cards_lost for m in modes),
            "messages_given_up": self.run.given_up,
            "waiting_notices": sum(m.notices for m in modes),
            "posts_refused": sum(m.refused for m in modes),
            "cores": self.cores,
            "concurrency": self.concurrency,
            "database": self.database,
            "redis": self.redis,
            "instance_ids": self.run.instance_ids,
            "updates_by_instance_one": self.run.fed[ONE],
            "updates_by_instance_two": self.run.fed[TWO],
            "bot_cpu_seconds_by_instance_one": [round(v, 3) for v in self.run.cpu[ONE]],
            "bot_cpu_seconds_by_instance_two": [round(v, 3) for v in self.run.cpu[TWO]],
            "echo_updates": echo.updates,
            "echo_cpu_per_update_ms_parts": [
                _num(part.cpu_per_update * 1000, 3) for part in self.echo
            ],
            "load_average": None if self.load_average is None else list(self.load_average),
            "failures": one.failures + two.failures,
        }

    def table(self) -> str:
        d = self.as_dict()
        rows = [
            (
                "submissions",
                f"{d['submissions']} of {2 * d['students']}, "
                f"{d['lost']} without a card, {d['updates_lost']} update(s) lost, "
                f"{d['messages_given_up']} message(s) given up",
                f"{d['students']} per mode, {d['posts_refused']} post(s) answered other than 200",
            ),
            (
                "updates per instance",
                " + ".join(map(str, d["updates_by_instance_two"])),
                f"with two (with one: {' + '.join(map(str, d['updates_by_instance_one']))})",
            ),
            (
                "updates per second",
                f"{_fmt(d['updates_per_second_one'], '.1f')} / "
                f"{_fmt(d['updates_per_second_two'], '.1f')}",
                f"one / two instances, {d['window_seconds_one']:.2f} s / "
                f"{d['window_seconds_two']:.2f} s of walks",
            ),
            ("two ÷ one", _fmt(d["scaling_2x"], ".3f"), "throughput (target ≥ 1.7)"),
            (
                "card latency p50 / p99",
                f"{_fmt(d['card_latency_p50_ms_one'], '.1f')} / "
                f"{_fmt(d['card_latency_p99_ms_one'], '.1f')} ms",
                f"one instance (two: {_fmt(d['card_latency_p50_ms_two'], '.1f')} / "
                f"{_fmt(d['card_latency_p99_ms_two'], '.1f')} ms)",
            ),
            (
                "CPU per update",
                f"{_fmt(d['cpu_per_update_ms_one'], '.3f')} ms",
                f"one instance = {_fmt(d['cpu_ratio_per_update_one'], '.1f')} × echo "
                f"(two: {_fmt(d['cpu_per_update_ms_two'], '.3f')} ms = "
                f"{_fmt(d['cpu_ratio_per_update_two'], '.1f')} ×; echo "
                f"{_fmt(d['echo_cpu_per_update_ms'], '.3f')} ms)",
            ),
        ]
        for mode, label in ((ONE, "one instance"), (TWO, "two instances")):
            rows.append(
                (
                    f"cores busy, {label}",
                    f"{_fmt(d[f'machine_busy_cores_{mode}'], '.2f')} of {d['cores']}",
                    f"bots {_fmt(d[f'bot_cores_{mode}'], '.2f')}, PostgreSQL ≥ "
                    f"{_fmt(d[f'database_cores_{mode}'], '.2f')}, simulated world "
                    f"{_fmt(d[f'world_cores_{mode}'], '.2f')}, the rest Redis and the "
                    "machine's other work",
                )
            )
        title = (
            f"StudentVoice ingest, one instance vs two: {d['students']} students per mode, "
            f"{self.concurrency} in flight, {self.database}, {self.redis}"
        )
        return _table(title, rows, d)
