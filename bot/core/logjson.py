"""Log records as JSON objects, one a line, for a log collector to index."""

from __future__ import annotations

from typing import Any

from pythonjsonlogger.json import JsonFormatter as _Base

from bot.core import logs


class JsonFormatter(_Base):
    """`timestamp`, `level`, `logger`, `message`, `instance`, and while an update is handled its
    `update_id` and `cases`; then what a line adds with `extra` (a handled update's `outcome`,
    `duration_ms`)."""

    def __init__(self) -> None:
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
            json_ensure_ascii=False,
        )

    def formatException(self, ei: Any) -> str:
        # The base class formats the exception afresh, messages included: ours withholds them.
        return logs.traceback_text(ei[1]) if ei and ei[1] is not None else ""
