"""Reading what a database stores as a person scanning a dump would: every value opened up."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def stored_values(value: Any) -> Iterator[str | int]:
    """Every number and text in a stored value, JSON (however escaped) opened up."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, bytes | memoryview):
        yield from stored_values(bytes(value).decode("utf-8", errors="replace"))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from stored_values(key)
            yield from stored_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from stored_values(item)
    elif isinstance(value, str):
        yield value
        if value[:1] in ("{", "[", '"'):
            try:
                opened = json.loads(value)
            except ValueError:
                return
            yield from stored_values(opened)
    else:
        yield str(value)
