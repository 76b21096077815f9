"""What a document process runs: a layout, timed. Its own module, importing nothing heavy,
because the process imports it to run it (and `bot.delivery.documents` would bring aiogram)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def timed(layout: Callable[[dict[str, Any]], bytes], data: dict[str, Any]) -> tuple[bytes, float]:
    """The file's bytes, and the CPU seconds laying it out took."""
    started = time.thread_time()
    return layout(data), time.thread_time() - started
