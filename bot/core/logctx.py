"""What a log line may name instead of a person: the update being handled and the cases it
touched (their numbers, never their text or people)."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Case

update_id: ContextVar[int | None] = ContextVar("update_id", default=None)
cases: ContextVar[list[str] | None] = ContextVar("cases", default=None)


def case_numbers() -> str:
    return ",".join(cases.get() or []) or "-"


def _note(instance: Any) -> None:
    touched = cases.get()
    number = instance.number if isinstance(instance, Case) else None
    if touched is not None and number and number not in touched:
        touched.append(number)


def watch(session_factory: async_sessionmaker[AsyncSession]) -> None:
    """Cases loaded or created while an update is handled are noted for its log lines."""
    session_class = session_factory.kw.get("sync_session_class")
    if session_class is None or getattr(session_class, "_case_watch", False):
        return
    event.listen(session_class, "loaded_as_persistent", lambda _s, obj: _note(obj))
    event.listen(session_class, "pending_to_persistent", lambda _s, obj: _note(obj))
    session_class._case_watch = True


class ContextFilter(logging.Filter):
    """Adds `update_id` and `cases` to every record, for formats that show them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.update_id = update_id.get() or "-"
        record.cases = case_numbers()
        return True
