"""What a log line may name instead of a person: the process, the update being handled and the
cases it touched (their numbers, never their text or people).

Imports the standard library only: the command line sets logging up before it knows whether a
command needs SQLAlchemy."""

from __future__ import annotations

import logging
import os
import socket
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

update_id: ContextVar[int | None] = ContextVar("update_id", default=None)
cases: ContextVar[list[str] | None] = ContextVar("cases", default=None)


def case_numbers() -> str:
    return ",".join(cases.get() or []) or "-"


def _note(number: str) -> None:
    touched = cases.get()
    if touched is not None and number and number not in touched:
        touched.append(number)


def watch(session_factory: async_sessionmaker[AsyncSession]) -> None:
    """Cases loaded or created while an update is handled are noted for its log lines."""
    from sqlalchemy import event

    from storage.models import Case

    session_class = session_factory.kw.get("sync_session_class")
    if session_class is None or getattr(session_class, "_case_watch", False):
        return

    def note(_session: Any, instance: Any) -> None:
        if isinstance(instance, Case):
            _note(instance.number)

    event.listen(session_class, "loaded_as_persistent", note)
    event.listen(session_class, "pending_to_persistent", note)
    session_class._case_watch = True


class ContextFilter(logging.Filter):
    """Adds `instance` to every record, and `update_id` and `cases` while an update is handled.

    The instance starts as host and process; `studentvoice run` names it after its delivery
    worker, whose id is what the outbox rows it claims carry."""

    def __init__(self) -> None:
        super().__init__()
        self.instance = f"{socket.gethostname()}:{os.getpid()}"

    def filter(self, record: logging.LogRecord) -> bool:
        record.instance = self.instance
        current = update_id.get()
        if current is not None:
            record.update_id = current
        touched = cases.get()
        if touched:
            record.cases = list(touched)
        return True
