"""Documents (the 转办单's PDF) are laid out when their row is sent, in a process beside the
bot's: a layout that fails gives its row up, a document process that dies fails one send only."""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import signal
from concurrent.futures.process import BrokenProcessPool

import pytest
from pypdf import PdfReader

from bot.delivery.documents import DocumentFailed, Documents
from bot.delivery.errors import classify
from bot.departments import letter_pdf, letters
from storage.crud import outbox as outbox_crud
from storage.models import OutboxMessage
from tests.support.harness import OFFICERS_CHAT, Harness
from tests.support.layouts import process_id, refuse


def ref(layout: str, **data: object) -> dict[str, object]:
    return {"layout": layout, "data": data, "filename": "doc.txt"}


async def test_a_document_is_laid_out_in_a_process_of_its_own() -> None:
    documents = Documents({"pid": process_id}, workers=1)
    try:
        file = await documents.file(ref("pid", word="你好"))
    finally:
        await documents.close()
    pid, word = file.data.decode().split()
    assert int(pid) != os.getpid() and word == "你好"
    assert file.filename == "doc.txt"


async def test_a_document_started_when_its_row_was_claimed_is_the_one_sent() -> None:
    documents = Documents({"pid": process_id}, workers=1)
    try:
        documents.prepare(7, {"chat_id": 1, "document": ref("pid", word="claimed")})
        documents.prepare(8, {"chat_id": 1, "text": "no document"})
        sent = await documents.file(ref("pid", word="asked"), key=7)
        other = await documents.file(ref("pid", word="asked"), key=8)
        again = await documents.file(ref("pid", word="asked"), key=7)
    finally:
        await documents.close()
    assert sent.data.decode().split()[1] == "claimed"
    assert other.data.decode().split()[1] == "asked"
    assert again.data.decode().split()[1] == "asked"  # used once, then laid out anew


async def test_without_workers_a_document_is_laid_out_in_this_process() -> None:
    documents = Documents({"pid": process_id}, workers=0)
    file = await documents.file(ref("pid", word="x"))
    assert file.data.decode().split()[0] == str(os.getpid())
    assert documents.cpu_seconds == 0  # already in this process's own


async def test_a_layout_that_fails_gives_its_row_up() -> None:
    documents = Documents({"refuse": refuse}, workers=1)
    try:
        with pytest.raises(DocumentFailed) as failed:
            await documents.file(ref("refuse", word="x"))
        with pytest.raises(DocumentFailed):
            await documents.file(ref("unknown"))
    finally:
        await documents.close()
    assert classify(failed.value, attempts=0, max_attempts=10).kind == "failed"


async def test_a_killed_document_process_fails_one_send_and_is_replaced() -> None:
    documents = Documents({"pid": process_id}, workers=1)
    try:
        first = int((await documents.file(ref("pid", word="a"))).data.split()[0])
        os.kill(first, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool) as broken:
            await documents.file(ref("pid", word="b"))
        assert classify(broken.value, attempts=0, max_attempts=10).kind == "retry"
        second = int((await documents.file(ref("pid", word="c"))).data.split()[0])
    finally:
        await documents.close()
    assert second not in (first, os.getpid())


async def test_where_no_process_may_be_started_documents_are_laid_out_in_a_thread(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # What multiprocessing checks before it starts a child: a daemonic process may have none
    # (the bench's instances were such processes, and every one of their letters failed).
    monkeypatch.setitem(multiprocessing.current_process()._config, "daemon", True)
    documents = Documents({"pid": process_id}, workers=1)
    with caplog.at_level(logging.WARNING, logger="bot.delivery.documents"):
        try:
            first = await documents.file(ref("pid", word="一"))
            second = await documents.file(ref("pid", word="二"))
        finally:
            await documents.close()
    assert [f.data.decode() for f in (first, second)] == [f"{os.getpid()} 一", f"{os.getpid()} 二"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "laid out in a thread" in warnings[0]


async def test_a_letter_row_is_sent_as_its_pdf_and_a_broken_one_is_given_up(
    harness: Harness,
) -> None:
    app = harness.app
    assert app is not None
    text = letter_pdf.LetterText(
        organisation="某大学学生会",
        title="转办单",
        to="致：后勤处",
        intro="现转交贵部门办理。",
        rows=[("编号", "G2026-0042")],
        text_label="学生原文",
        text="宿舍热水时有时无。",
        slip="回执",
        slip_intro="由部门填写后交回。",
        slip_fields=["经办人"],
        answer="答复",
        signature="签字",
        stamp="盖章",
        issued="2026-12-07",
    )
    good = {"layout": letters.LAYOUT, "data": letter_pdf.as_data(text), "filename": "G.pdf"}
    bad = {"layout": letters.LAYOUT, "data": {"title": "转办单"}, "filename": "B.pdf"}
    async with app.session_factory.begin() as session:
        await outbox_crud.enqueue(
            session=session,
            messages=[
                OutboxMessage(
                    method="sendDocument",
                    chat_id=OFFICERS_CHAT,
                    payload={"chat_id": OFFICERS_CHAT, "document": document},
                )
                for document in (good, bad)
            ],
        )
    app.worker.wake()
    await harness.settle()
    sent = [r for r in harness.emu.requests if r.method == "sendDocument" and r.ok]
    uploads = [file for r in sent for file in r.files.values()]
    assert [file.filename for file in uploads] == ["G.pdf"]
    page = PdfReader(io.BytesIO(uploads[0].data)).pages[0]
    assert "宿舍热水时有时无" in "".join(page.extract_text().replace("\x00", "").split())
    async with app.session_factory() as session:
        failed = await outbox_crud.list_by_status(session=session, status=outbox_crud.FAILED)
    assert [row.last_error for row in failed] == ["the forwarding_letter layout failed: KeyError"]
