"""The Bot API method table: canonical camelCase names mapped to their implementations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .methods_chat import chat_handlers
from .methods_edit import edit_handlers
from .methods_send import send_handlers
from .methods_topics import topic_handlers
from .validation import MethodCall

Handler = Callable[[MethodCall], Awaitable[Any]]


class MethodTable:
    """Looks methods up case-insensitively, as Telegram does."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._canonical: dict[str, str] = {}
        for table in (chat_handlers(), send_handlers(), edit_handlers(), topic_handlers()):
            for name, handler in table.items():
                self.register(name, handler)

    def register(self, name: str, handler: Handler) -> None:
        """Add or replace a method (tests may stub methods the emulator lacks)."""
        self._handlers[name] = handler
        self._canonical[name.lower()] = name

    def canonical(self, name: str) -> str | None:
        return self._canonical.get(name.lower())

    def handler(self, canonical_name: str) -> Handler:
        return self._handlers[canonical_name]

    @property
    def names(self) -> list[str]:
        return sorted(self._handlers)
