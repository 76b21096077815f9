"""The check every test runs at its end (`tests.support.anonymity`) does find a leak."""

from __future__ import annotations

import pytest

from bot.delivery import notify
from storage.crud import outbox as outbox_crud
from tests.support import anonymity
from tests.support.delivery_helpers import texts
from tests.support.harness import OFFICERS_CHAT, Harness


async def test_an_anonymous_submitters_name_in_the_group_fails_the_test(harness: Harness) -> None:
    h = harness
    assert h.app is not None
    student = await h.student(4242, "晓雨", username="xiaoyu_anon")
    await h.submit(student, anonymous=True)
    await anonymity.check_all()  # the bot itself said nothing about who wrote it

    settings = h.app.settings
    anonymity.watch(h.emu, str(settings.database_url), settings.admin_ids, settings.identity_key)
    async with h.app.session_factory.begin() as session:
        await outbox_crud.enqueue(
            session=session,
            messages=texts(
                OFFICERS_CHAT, ["这条反馈来自 @xiaoyu_anon"], priority=notify.INTERACTIVE
            ),
        )
    await h.settle()
    with pytest.raises(AssertionError, match="anonymous submitter appears"):
        await anonymity.check_all()


async def test_a_named_submitter_may_be_shown(harness: Harness) -> None:
    h = harness
    student = await h.student(4243, "晓雨", username="xiaoyu_named")
    await h.submit(student, anonymous=False)
    assert any("晓雨" in (m.text or "") for m in h.emu.bot_messages(OFFICERS_CHAT))
    await anonymity.check_all()
