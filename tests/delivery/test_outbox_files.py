"""Generated files (reports, charts) travel through the outbox by reference."""

from __future__ import annotations

from storage.crud import files as files_crud
from storage.crud import outbox as outbox_crud
from storage.models import OutboxMessage
from tests.support.harness import OFFICERS_CHAT, Harness


async def test_a_stored_file_is_sent_as_a_document(harness: Harness) -> None:
    app = harness.app
    assert app is not None
    async with app.session_factory.begin() as session:
        stored = await files_crud.store_file(
            session=session, filename="周报.html", content_type="text/html", data=b"<html>ok</html>"
        )
        payload = {"chat_id": OFFICERS_CHAT, "document": {"stored_file": stored.id}}
        await outbox_crud.enqueue(
            session=session,
            messages=[OutboxMessage(method="sendDocument", chat_id=OFFICERS_CHAT, payload=payload)],
        )
    app.worker.wake()
    await harness.settle()
    sent = [r for r in harness.emu.requests if r.method == "sendDocument" and r.ok]
    assert len(sent) == 1
    document = harness.last(harness.group)
    assert document.kind == "document"


async def test_a_missing_file_fails_the_row_without_retrying(harness: Harness) -> None:
    app = harness.app
    assert app is not None
    async with app.session_factory.begin() as session:
        payload = {"chat_id": OFFICERS_CHAT, "document": {"stored_file": 424242}}
        await outbox_crud.enqueue(
            session=session,
            messages=[OutboxMessage(method="sendDocument", chat_id=OFFICERS_CHAT, payload=payload)],
        )
    app.worker.wake()
    await harness.settle()
    async with app.session_factory() as session:
        failed = await outbox_crud.list_by_status(session=session, status=outbox_crud.FAILED)
    assert [row.last_error for row in failed] == ["stored file 424242 is gone"]
    assert not [r for r in harness.emu.requests if r.method == "sendDocument"]
