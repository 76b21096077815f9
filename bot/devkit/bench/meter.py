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
