"""Progress bars for the commands that can take more than a few seconds (seeding a bench's
history, importing a roster, writing a report).

Only for a person watching: on stderr when it is a terminal, and nothing at all otherwise — a
cron job's mail, a CI log or a pipe gets no bar, and tqdm is not even imported."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

from bot.core import logs

Advance = Callable[[int], object]


@contextlib.contextmanager
def progress(
    description: str, total: int | None, *, unit: str = "it", stream: TextIO | None = None
) -> Iterator[Advance]:
    """`advance(n)` moves the bar by n (of `total`; None when it is not known)."""
    stream = stream or sys.stderr
    if not logs.is_terminal(stream):
        yield _nothing
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=description, unit=unit, file=stream, leave=False) as bar:
        yield bar.update


def _nothing(_count: int) -> None:
    return None
