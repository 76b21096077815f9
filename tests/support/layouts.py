"""Layouts for the document tests: module-level, so a document process can be handed them."""

from __future__ import annotations

import os
from typing import Any


def process_id(data: dict[str, Any]) -> bytes:
    return f"{os.getpid()} {data['word']}".encode()


def refuse(data: dict[str, Any]) -> bytes:
    raise ValueError(f"cannot lay out {data!r}")
