"""What a feature does when delivery learns something about its rows: a reply that could not
be delivered, a chat the bot lost or that moved. The wiring passes the features' functions in;
delivery knows only their names and keyword arguments (`session`, `services`, and the facts)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Reactions:
    # case_id, reason, rejected
    delivery_failed: Callable[..., Awaitable[None]]
    # chat_id, reason; True when it was a bound chat (now lost)
    chat_lost: Callable[..., Awaitable[bool]]
    # old, new
    chat_migrated: Callable[..., Awaitable[None]]
