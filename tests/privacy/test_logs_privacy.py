"""Logs carry no personal data at any level: a whole story logged at DEBUG by every logger
(SQLAlchemy's statements and rows, aiosqlite's calls, aiogram's events) names no one and
quotes nothing a person wrote; an exception's traceback keeps its frames but not a message
that quotes input, unless LOG_PERSONAL_DATA asks for it."""

from __future__ import annotations

import asyncio
import gc
import io
import json
import logging
import traceback
from collections.abc import Iterator

import pytest
from aiogram.types import Update
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from bot.core import logs
from bot.core.config import load_settings
from storage.models import User
from tests.support.harness import Harness, reset_database
from tests.support.student_helpers import answer, student

STUDENT_ID = 7351902468
FIRST_NAME = "Zebulonia"
USERNAME = "zebulonia_quill"
GRIEVANCE = "宿舍热水器 QUIXOTIC-MARMALADE-4471 已经坏了两周，宿管一直没有报修。"
ANSWER = "后勤已派人更换 PERSPICACIOUS-GASKET-8812 热水器，今晚恢复供应。"
SECRETS = (str(STUDENT_ID), FIRST_NAME, USERNAME, "QUIXOTIC-MARMALADE", "PERSPICACIOUS-GASKET")
FORMAT = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


@pytest.fixture(autouse=True)
def redacting(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """As `studentvoice` sets logging up, with every logger at DEBUG; put back afterwards."""
    factory = logging.getLogRecordFactory()
    logs.install()
    caplog.set_level(logging.DEBUG)
    # Some libraries set their own level (SQLAlchemy's is WARN unless echo is on).
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
            caplog.set_level(logging.DEBUG, logger=name)
    try:
        yield
    finally:
        logs.allow_personal_data(False)
        logging.setLogRecordFactory(factory)


def leaks(records: list[logging.LogRecord]) -> list[str]:
    lines = [FORMAT.format(record) for record in records]
    return [line for line in lines if any(secret in line for secret in SECRETS)]


async def test_a_whole_story_at_debug_names_no_one(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    zeb = await student(h, STUDENT_ID, FIRST_NAME, username=USERNAME)
    number = await zeb.submit(text=GRIEVANCE)
    await answer(h, number, ANSWER)
    assert ANSWER in zeb.saw()[-1]  # the story happened, with the secrets in it

    records = caplog.records
    assert leaks(records) == []
    # Not quiet by accident: statements and the rows holding the texts were logged, withheld.
    names = {record.name for record in records}
    assert "sqlalchemy.engine.Engine" in names and "aiogram.event" in names
    rows = [r for r in records if r.name.startswith("sqlalchemy.engine") and r.msg == "Row %r"]
    assert rows and all(r.getMessage() == "Row (withheld)" for r in rows)
    statements = [r.getMessage() for r in records if r.name == "sqlalchemy.engine.Engine"]
    assert any("SQL parameters hidden" in line for line in statements)


async def test_each_handled_update_is_one_json_line_naming_no_one(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """What an operator's log collector receives: one line per update with its kind, outcome
    and duration, the instance, update and case as fields, and nothing the student wrote."""
    stream = io.StringIO()
    handler = logs.handler("json", stream)
    logging.getLogger().addHandler(handler)
    caplog.set_level(logging.INFO, logger="bot")
    try:
        zeb = await student(harness, STUDENT_ID, FIRST_NAME, username=USERNAME)
        number = await zeb.submit(text=GRIEVANCE)
        await answer(harness, number, ANSWER)
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert not any(secret in text for secret in SECRETS)
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines and all(line["instance"] and line["level"] and line["logger"] for line in lines)
    handled = [line for line in lines if "outcome" in line]
    ids = [line["update_id"] for line in handled]
    assert handled and len(ids) == len(set(ids))  # one line each
    for line in handled:
        assert line["level"] == "INFO" and line["logger"] == "bot.ingest.processor"
        assert line["outcome"] in ("handled", "not handled", "error")
        assert isinstance(line["duration_ms"], int) and line["update_type"]
        assert line["message"].startswith(f"update {line['update_id']} ")
    assert {"message", "callback_query"} <= {line["update_type"] for line in handled}
    assert any(number in line.get("cases", []) for line in handled)


def _integrity_error(database_url: str) -> IntegrityError:
    """The same person twice: PostgreSQL's error quotes the key, SQLite's names the column."""

    async def twice() -> IntegrityError:
        engine = await reset_database(database_url)
        try:
            for _ in range(2):
                async with engine.begin() as conn:
                    await conn.execute(
                        User.__table__.insert().values(  # type: ignore[attr-defined]
                            id=STUDENT_ID, first_name=FIRST_NAME, username=USERNAME
                        )
                    )
        except IntegrityError as exc:
            return exc
        finally:
            await engine.dispose()
        raise AssertionError("no IntegrityError")

    return asyncio.run(twice())


def test_an_integrity_error_is_logged_without_its_values(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    error = _integrity_error(database_url)
    assert FIRST_NAME not in str(error)  # the engine hides the parameters
    if database_url.startswith("postgresql"):
        # But the driver's error it was raised from quotes the key: a plain traceback shows it.
        assert str(STUDENT_ID) in "".join(traceback.format_exception(error))
    log = logging.getLogger("studentvoice.test")
    try:
        raise RuntimeError("handling the update failed") from error
    except RuntimeError:
        log.exception("update %s failed", 42)
    (record,) = [r for r in caplog.records if r.name == "studentvoice.test"]
    text = FORMAT.format(record)
    assert leaks([record]) == []
    assert "update 42 failed" in text and "Traceback (most recent call last)" in text
    assert "test_an_integrity_error_is_logged_without_its_values" in text  # the frames
    assert "sqlalchemy.exc.IntegrityError (message withheld" in text
    assert "The above exception was the direct cause" in text
    assert "RuntimeError (message withheld" in text


def _validation_error() -> ValidationError:
    try:
        Update.model_validate({"update_id": GRIEVANCE, "message": {"text": FIRST_NAME}})
    except ValidationError as exc:
        return exc
    raise AssertionError("no ValidationError")


def test_a_validation_error_quoting_input_is_withheld_unless_asked_for(
    caplog: pytest.LogCaptureFixture,
) -> None:
    error = _validation_error()
    assert FIRST_NAME in str(error)  # pydantic quotes the input
    log = logging.getLogger("aiogram.event")
    # As aiogram logs a handler's exception: as an argument and as the traceback.
    log.error("Cause exception while process update id=%d\n%s", 7, error, exc_info=error)
    (record,) = caplog.records
    assert leaks([record]) == []
    assert "update id=7" in record.getMessage()
    assert "pydantic_core._pydantic_core.ValidationError (message withheld" in FORMAT.format(record)

    assert load_settings(_env_file=None).log_personal_data is False
    logs.allow_personal_data(True)
    log.error("Cause exception while process update id=%d\n%s", 8, error, exc_info=error)
    assert FIRST_NAME in FORMAT.format(caplog.records[-1])


def test_messages_about_the_connection_or_telegram_are_kept() -> None:
    from aiogram.exceptions import TelegramBadRequest
    from aiogram.methods import SendMessage

    refused = ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
    assert "Connect call failed" in logs.exception_text(refused)
    bad = TelegramBadRequest(SendMessage(chat_id=1, text="x"), "Bad Request: chat not found")
    assert logs.exception_text(bad).endswith("Bad Request: chat not found")
    assert (
        logs.exception_text(KeyError(FIRST_NAME))
        == "KeyError (message withheld: it may hold personal data)"
    )
    assert logs.chat(STUDENT_ID) == "a private chat" and logs.chat(-1001) == -1001


def test_an_unretrieved_task_exception_is_logged_without_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def fail() -> None:
        raise KeyError(FIRST_NAME)

    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(fail())
        loop.run_until_complete(asyncio.sleep(0))
        assert task.done()
        del task  # never awaited: asyncio complains when it is collected
        gc.collect()
    finally:
        loop.close()
    (record,) = [r for r in caplog.records if r.name == "asyncio" and r.exc_info]
    assert record.getMessage() == "Task exception was never retrieved"
    assert leaks([record]) == [] and "in fail" in FORMAT.format(record)
