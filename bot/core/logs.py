"""Logging that carries no personal data, at any level, unless LOG_PERSONAL_DATA turns it on.

Our own log lines name update ids, case numbers, outbox rows and group chats, never a person.
What else could carry personal data is redacted as each record is made, so every handler sees
the redacted record (an operator's own handler, pytest's, Sentry's), whichever logger made it:
- an exception, as an argument or as the record's traceback, keeps its type and frames but not
  its message (a pydantic error quotes the input, a database error the conflicting value)
  unless it is a kind whose message is about the network, Telegram or the database itself;
- the rows SQLAlchemy logs at DEBUG, which hold message texts and ids;
- the calls aiosqlite logs at DEBUG, which hold the SQL parameters;
- the task asyncio names when nobody retrieved its exception, whose repr quotes the message.
SQLAlchemy's bound parameters are hidden by the engine itself (`storage.db.create_engine`).

Lines go to stderr as JSON (one object a line, for a log collector) or as text (for a person at
a terminal), each naming the instance, and the update and its cases while one is handled.
"""

from __future__ import annotations

import functools
import logging
import sys
import traceback
from collections.abc import Mapping
from typing import Any, Literal, TextIO

from bot.core import logctx

LogFormat = Literal["auto", "json", "text"]
# Ours: `-v` and `run` turn these up, and no library's chatter with them.
APP_LOGGERS = ("bot", "handlers", "storage", "studentvoice")
# Exceptions whose messages describe the connection, Telegram's answer or the database's state,
# not what a person sent: kept, since they are what an operator needs to see.
SHOWN = frozenset(
    {
        "builtins.OSError",  # includes ConnectionError and TimeoutError
        "aiogram.exceptions.TelegramAPIError",
        "sqlalchemy.exc.OperationalError",
    }
)
_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"

_personal_data = False


def setup(*, verbose: bool) -> None:
    """Log to stderr, our loggers at DEBUG with `verbose`, the rest at WARNING; like
    `logging.basicConfig`, no handler is added when the root logger has one already (an
    embedding program's, pytest's)."""
    install()
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(handler("auto"))
        root.setLevel(logging.WARNING)
    for name in APP_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.NOTSET)
    # Its statements and rows are no use to an operator and a risk: not even `-v` shows them.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


def at_least_info() -> None:
    """`studentvoice run`: starts, stops and one line per update, without asking for `-v`."""
    for name in APP_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)


def handler(log_format: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing to `stream` (stderr as it is at each line when None) in the format."""
    made = _Handler(stream)
    made.addFilter(logctx.ContextFilter())
    made.setFormatter(formatter(log_format, made.stream))
    return made


def use_format(log_format: LogFormat) -> None:
    """LOG_FORMAT, once the settings are read (after `setup`)."""
    for ours in _ours():
        ours.setFormatter(formatter(log_format, ours.stream))


def name_instance(instance: str) -> None:
    """From now on, lines name the instance so."""
    for ours in _ours():
        for found in ours.filters:
            if isinstance(found, logctx.ContextFilter):
                found.instance = instance


def formatter(log_format: LogFormat, stream: TextIO) -> logging.Formatter:
    """`auto`: text for a person at a terminal, JSON for whatever else reads the stream."""
    if log_format == "auto":
        log_format = "text" if is_terminal(stream) else "json"
    if log_format == "text":
        return _TextFormatter()
    # Not before it is asked for: the command line's start waits for no library.
    from bot.core.logjson import JsonFormatter

    return JsonFormatter()


def install() -> None:
    """Redact every log record from now on (once, however often it is called)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_personal_data", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not _personal_data:
            _redact(record)
        return record

    factory.redacts_personal_data = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class _Handler(logging.StreamHandler):
    """Without a stream of its own it writes to `sys.stderr` as it is at each line, like
    logging's last resort: replaced streams (pytest's capture) are followed, not kept."""

    def __init__(self, stream: TextIO | None) -> None:
        logging.Handler.__init__(self)
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr


def _ours() -> list[_Handler]:
    return [found for found in logging.getLogger().handlers if isinstance(found, _Handler)]


def is_terminal(stream: TextIO) -> bool:
    """Whether a person is likely reading `stream` as it is written."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no such method, or closed
        return False


class _TextFormatter(logging.Formatter):
    """One line a record: time, level, logger, instance, then `[update 7 case G-0001]` while an
    update is handled."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        context = ""
        if hasattr(record, "update_id"):
            context = f" [update {record.update_id}"
            if hasattr(record, "cases"):
                context += f" case {','.join(record.cases)}"
            context += "]"
        instance = getattr(record, "instance", "-")
        return (
            f"{record.asctime} {record.levelname} {record.name} {instance}{context}: "
            f"{record.message}"
        )

    def usesTime(self) -> bool:
        return True


def allow_personal_data(allowed: bool) -> None:
    """LOG_PERSONAL_DATA: for debugging only, log exception messages and library details."""
    global _personal_data
    _personal_data = allowed


def exception_text(exc: BaseException) -> str:
    """The last line of a traceback: its type, and its message if that may be logged."""
    kind = type(exc)
    name = kind.__qualname__
    if kind.__module__ not in ("builtins", "__main__"):
        name = f"{kind.__module__}.{name}"
    message = str(exc)
    if not message:
        return name
    if _personal_data or _shown(exc):
        return f"{name}: {message}"
    return f"{name} (message withheld: it may hold personal data)"


def traceback_text(exc: BaseException) -> str:
    """The traceback as Python prints it, chained exceptions included, each with
    `exception_text` for its last line: the frames show where, the messages stay out."""
    if _personal_data:
        return "".join(traceback.format_exception(exc)).rstrip("\n")
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT
        else:
            current = None
    parts = []
    for error, link_to_next in reversed(chain):
        if error.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts += traceback.format_tb(error.__traceback__)
        parts += [exception_text(error), "\n", link_to_next]
    return "".join(parts).rstrip("\n")


def chat(chat_id: int | str) -> int | str:
    """A chat as a log line may name it: a group or channel by its id (or @name); a private
    chat's id is its person's Telegram id, so not that."""
    return "a private chat" if isinstance(chat_id, int) and chat_id > 0 else chat_id


class _Text:
    """Stands in for a redacted argument, under %s and %r alike."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def _shown(exc: BaseException) -> bool:
    return any(f"{kind.__module__}.{kind.__qualname__}" in SHOWN for kind in type(exc).__mro__)


def _safe(value: object) -> object:
    if isinstance(value, BaseException):
        return _Text(exception_text(value))
    if isinstance(value, functools.partial):  # aiosqlite: the call and its SQL parameters
        return _Text(getattr(value.func, "__qualname__", "a call"))
    return value


def _redact(record: logging.LogRecord) -> None:
    if record.name.startswith("sqlalchemy.engine") and str(record.msg).endswith("Row %r"):
        record.args = (_Text("(withheld)"),)
    elif record.name == "asyncio" and record.exc_info and not record.args:
        # "Task exception was never retrieved", then the task's repr, which quotes the
        # exception's message: the first line and the traceback below say enough.
        record.msg = str(record.msg).split("\n", 1)[0]
    elif isinstance(record.args, Mapping):
        record.args = {key: _safe(value) for key, value in record.args.items()}
    elif record.args:
        record.args = tuple(_safe(value) for value in record.args)
    if record.exc_info and record.exc_info[1] is not None:
        # Formatters print exc_text when it is set, instead of formatting the exception again.
        record.exc_text = traceback_text(record.exc_info[1])
