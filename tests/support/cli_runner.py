"""The command line run inside the test's own process: for tests about what a command does
(its output, its exit code, what it changes in the database), not about the process itself.

A `python -m bot` subprocess pays a cold interpreter and its imports (about a second of CPU)
on each call; the process behaviour (exit codes through the real entry point, the
environment as the shell passes it, what is imported) stays tested by subprocesses in
tests/tooling/test_cli.py. Everything the CLI changes in this process is put back afterwards:
the environment, the working directory, the root logger's handlers, our loggers' levels, the
log record factory and the personal-data switch of `bot.core.logs`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from bot.cli.entry import main
from bot.core import logs

# One at a time: the environment, the working directory and sys.stdout are the process's own.
_LOCK = threading.Lock()


def run_cli_in_process(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`studentvoice *args` as `tests.tooling.test_cli.run_cli` runs it (the same clean
    environment, the same working directory, stdout and stderr captured), in this process."""
    clean = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    clean.update(env)
    clean.setdefault("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    out, err = io.StringIO(), io.StringIO()
    with (
        _LOCK,
        _isolated(clean, tmp_path),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: --help, --version, a usage error
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return subprocess.CompletedProcess(
        ["studentvoice", *args], code, out.getvalue(), err.getvalue()
    )


@contextlib.contextmanager
def _isolated(environ: dict[str, str], cwd: Path) -> Iterator[None]:
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    names = (*logs.APP_LOGGERS, "sqlalchemy.engine")
    saved_levels = {name: logging.getLogger(name).level for name in names}
    saved_personal = logs._personal_data
    saved_factory = logging.getLogRecordFactory()  # `logs.setup` installs its redaction
    # As in a fresh process: no handler yet, so the CLI's own goes to (captured) stderr.
    for found in saved_handlers:
        root.removeHandler(found)
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        for added in list(root.handlers):
            root.removeHandler(added)
        for found in saved_handlers:
            root.addHandler(found)
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        logs._personal_data = saved_personal
        logging.setLogRecordFactory(saved_factory)
