"""What the bot's own process consumes: CPU time over a window and resident memory.

``time.process_time`` is user + system time of every thread of this process only (aiosqlite's
worker threads included), so the simulated world in the other process is never counted.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import dataclass, field

MB = 1024 * 1024


@dataclass
class CpuWindow:
    started: float = field(default_factory=time.process_time)
    seconds: float | None = None

    def stop(self) -> float:
        self.seconds = time.process_time() - self.started
        return self.seconds


def peak_rss_mb() -> float:
    """The process's peak resident set since it started (ru_maxrss)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / MB if sys.platform == "darwin" else peak / 1024


def current_rss_mb() -> float | None:
    """The resident set right now, where /proc tells it (Linux); None elsewhere."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / MB


@dataclass
class MachineWindow:
    """How many core-seconds the whole machine kept busy over a window (every process: the bots, the
    world, the database servers, and whatever else runs), from /proc/stat; None elsewhere."""

    started: int | None = field(default_factory=lambda: _busy_ticks())

    def stop(self) -> float | None:
        """Busy core-seconds since the start."""
        now = _busy_ticks()
        if self.started is None or now is None:
            return None
        return (now - self.started) / os.sysconf("SC_CLK_TCK")


def _busy_ticks() -> int | None:
    """Clock ticks all cores together spent not idle since boot."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal (guest time is already in user).
    return sum(fields[:8]) - fields[3] - fields[4]


def cpu_ticks(pid: int) -> int | None:
    """The clock ticks another process of this machine has run so far; None if it is gone or
    this is not Linux."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            # After the command's name in parentheses: utime and stime, the 12th and 13th.
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])
