"""Log lines as an operator reads them: JSON for a collector, text at a terminal, `auto` choosing
by whether stderr is one; the instance, update and cases on every line; `-v` for our loggers
only, never SQL or its parameters."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core import logctx, logs
from bot.core.logjson import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    """A logger of ours at DEBUG that reaches only the handlers a test gives it."""
    made = logging.getLogger("bot.test_log_format")
    made.setLevel(logging.DEBUG)
    made.propagate = False
    try:
        yield made
    finally:
        made.handlers.clear()
        made.propagate = True
        made.setLevel(logging.NOTSET)


def emit(logger: logging.Logger, log_format: logs.LogFormat, stream: io.StringIO) -> str:
    logger.addHandler(logs.handler(log_format, stream))
    logger.info("outside any update")
    update_token = logctx.update_id.set(4711)
    cases_token = logctx.cases.set(["G-2026-0007"])
    try:
        logger.info("case %s answered", "G-2026-0007")
    finally:
        logctx.cases.reset(cases_token)
        logctx.update_id.reset(update_token)
    return stream.getvalue()


def test_json_lines_parse_and_carry_instance_update_and_cases(logger: logging.Logger) -> None:
    outside, inside = (
        json.loads(line) for line in emit(logger, "json", io.StringIO()).splitlines()
    )
    assert outside["message"] == "outside any update" and outside["level"] == "INFO"
    assert outside["logger"] == "bot.test_log_format" and outside["timestamp"]
    assert outside["instance"] and "update_id" not in outside and "cases" not in outside
    assert inside["update_id"] == 4711 and inside["cases"] == ["G-2026-0007"]
    assert inside["instance"] == outside["instance"]


def test_the_instance_is_named_after_the_delivery_worker() -> None:
    stream = io.StringIO()
    handler = logs.handler("json", stream)
    logging.getLogger().addHandler(handler)
    try:
        logs.name_instance("school-server:42:abcd1234")
        logging.getLogger("bot.test_instance").warning("named")
    finally:
        logging.getLogger().removeHandler(handler)
    assert json.loads(stream.getvalue())["instance"] == "school-server:42:abcd1234"


def test_text_lines_are_readable_with_a_short_prefix(logger: logging.Logger) -> None:
    outside, inside = emit(logger, "text", io.StringIO()).splitlines()
    assert re.fullmatch(
        r"\S+ \S+ INFO bot.test_log_format [\w.-]+:\d+: outside any update", outside
    )
    assert "[update 4711 case G-2026-0007]: case G-2026-0007 answered" in inside
    with pytest.raises(json.JSONDecodeError):
        json.loads(inside)


def test_auto_is_text_at_a_terminal_and_json_elsewhere() -> None:
    assert isinstance(logs.formatter("auto", io.StringIO()), JsonFormatter)
    assert not isinstance(logs.formatter("auto", Terminal()), JsonFormatter)
    assert isinstance(logs.formatter("json", Terminal()), JsonFormatter)
    assert not isinstance(logs.formatter("text", io.StringIO()), JsonFormatter)


def test_a_json_traceback_withholds_the_message(logger: logging.Logger) -> None:
    stream = io.StringIO()
    logger.addHandler(logs.handler("json", stream))
    name = "Zebulonia"
    try:
        raise KeyError(name)
    except KeyError:
        logger.exception("update failed")
    line = json.loads(stream.getvalue())
    assert "Zebulonia" not in stream.getvalue() and "message withheld" in line["exc_info"]


# As `studentvoice -v` sets logging up (in a process of its own: it changes the root logger),
# then a statement with a parameter, a line of ours at DEBUG, and a library's at DEBUG.
VERBOSE = """
import asyncio, logging, sys
from sqlalchemy import text
from bot.core import logs
from storage.db import create_engine

logs.setup(verbose=True)

async def main():
    engine = create_engine(sys.argv[1])
    async with engine.connect() as conn:
        await conn.execute(text("SELECT :who"), {"who": "SECRET-PARAMETER-9931"})
    await engine.dispose()

asyncio.run(main())
logging.getLogger("bot.example").debug("ours at debug")
logging.getLogger("aiohttp.example").debug("a library at debug")
"""


def test_verbose_is_debug_for_our_loggers_without_sql(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", VERBOSE, f"sqlite+aiosqlite:///{tmp_path / 'v.db'}"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # not a terminal: JSON
    assert [line["message"] for line in lines] == ["ours at debug"]
    assert "SECRET-PARAMETER" not in result.stderr and "SELECT" not in result.stderr
