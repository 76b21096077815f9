"""One test at a time, in every test process of this machine, empties and uses a Redis
database. The numbers are few and shared (TEST_REDIS_URL's own, and a module's in
`delivery_helpers.redis_url`): the SQLite and PostgreSQL runs of one module, on two xdist
workers, would otherwise empty the database under each other. Taken by whatever empties one;
let go by `tests.conftest` when the test is over."""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

LOCK = Path(tempfile.gettempdir()) / f"studentvoice-tests-redis-{os.getuid()}.lock"
_held: list[int] = []


def hold() -> None:
    if _held:
        return
    fd = os.open(LOCK, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    _held.append(fd)


def release() -> None:
    while _held:
        fd = _held.pop()
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
