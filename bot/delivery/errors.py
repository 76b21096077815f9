"""What Telegram's answers mean for a row: sent, try again (when), give up, or something else."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.core import logs
from bot.delivery.documents import DocumentFailed
from bot.delivery.gate import Paused

# Rows for a lost chat are looked at again this often; binding a chat wakes them at once, so
# this only bounds how long a binding restored behind the bot's back (by hand) goes unnoticed.
LOST_CHAT_PAUSE = timedelta(hours=1)
# Waits between tries of a transient failure: doubling from half a second up to this, jittered.
BACKOFF_CAP = 600.0
JITTER = (0.8, 1.2)
# Answers that mean the wanted state is already there: nothing to retry.
# A button's answer Telegram no longer takes (answered already, by the waiting notice, or too
# late) is nothing left to do either: what the press did is told by messages of its own.
HARMLESS = ("message is not modified", "TOPIC_NOT_MODIFIED", "query is too old")
# A 400 that means the chat is not there (a deleted account or group): as final as a 403.
GONE = ("chat not found",)


class MissingFile(Exception):
    """A payload names a stored file that no longer exists; sending cannot succeed."""


class RecipientUnreachable(Exception):
    """The recipient blocked the bot before; sending again would only earn another 403."""


@dataclass(frozen=True)
class Outcome:
    """`kind` is one of: sent, failed, retry (counted attempt), wait (not an attempt: 429, a
    chat told to wait, a thread not there yet), forbidden (403), gone (the chat does not exist),
    migrated."""

    kind: str
    result: Any = None
    error: str | None = None
    delay: float = 0.0
    migrate_to: int | None = None
    # For "wait": until this app time rather than after `delay`; and whether the whole chat
    # waits (Telegram said so) or only the row's lane (its thread is not there yet).
    until: Any = None
    whole_chat: bool = False


def backoff(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: doubling from half a second, capped, jittered."""
    return min(BACKOFF_CAP, 0.5 * 2**attempts) * random.uniform(*JITTER)


def attempts_for(hours: float) -> int:
    """How many tries a transient failure gets: enough that even the shortest waits add up to
    `hours` (a request's own time comes on top), so an outage shorter than that loses nothing."""
    horizon, waited, tries = hours * 3600, 0.0, 1
    while waited < horizon:
        waited += min(BACKOFF_CAP, 0.5 * 2 ** (tries - 1)) * JITTER[0]
        tries += 1
    return tries


def classify(exc: BaseException, attempts: int, max_attempts: int) -> Outcome:
    if isinstance(exc, Paused):
        return Outcome("wait", error=str(exc), until=exc.until, whole_chat=True)
    if isinstance(exc, ThreadUnavailable):
        return Outcome("wait", error=str(exc), delay=exc.delay)
    if isinstance(exc, TelegramRetryAfter):
        return Outcome("wait", error=exc.message, delay=exc.retry_after, whole_chat=True)
    if isinstance(exc, TelegramMigrateToChat):
        return Outcome("migrated", error=exc.message, migrate_to=exc.migrate_to_chat_id)
    if isinstance(exc, TelegramForbiddenError):
        return Outcome("forbidden", error=exc.message)
    if isinstance(exc, RecipientUnreachable):
        return Outcome("forbidden", error=str(exc))
    if isinstance(exc, MissingFile | DocumentFailed):
        return Outcome("failed", error=str(exc))
    if isinstance(exc, TelegramBadRequest):
        if any(marker in exc.message for marker in HARMLESS):
            return Outcome("sent", error=exc.message)
        if any(marker in exc.message for marker in GONE):
            return Outcome("gone", error=exc.message)
        return Outcome("failed", error=exc.message)
    if isinstance(exc, TelegramAPIError) and not isinstance(
        exc, TelegramNetworkError | TelegramServerError
    ):
        return Outcome("failed", error=exc.message)
    # Network trouble, 5xx, timeouts — and anything unforeseen (a database hiccup): the send
    # may or may not have happened; try again, ever less often, for as long as configured.
    error = exc.message if isinstance(exc, TelegramAPIError) else logs.exception_text(exc)
    if attempts + 1 >= max_attempts:
        return Outcome("failed", error=error)
    return Outcome("retry", error=error, delay=backoff(attempts))


def request_result(exc: BaseException) -> str | None:
    """How a failed send reads in the metrics (429, 403, error); None when no request was made
    (the chat paused, its thread not there yet, the recipient known to block, a file gone)."""
    if isinstance(
        exc, Paused | ThreadUnavailable | RecipientUnreachable | MissingFile | DocumentFailed
    ):
        return None
    if isinstance(exc, TelegramRetryAfter):
        return "429"
    if isinstance(exc, TelegramForbiddenError):
        return "403"
    return "error"


class ThreadUnavailable(Exception):
    """The case's place in the officers' chat does not exist yet; try again after `delay`."""

    def __init__(self, reason: str, delay: float) -> None:
        super().__init__(reason)
        self.delay = delay
