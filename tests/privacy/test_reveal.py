"""Revealing who wrote an anonymous case takes two different admins: one asks in private with a
reason, another approves. Only those two are told who it is, in private; the student is told it
happened and why; the audit log and the case's timeline record it without naming the student."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.core.callbacks import RevealCB
from bot.devkit.emulator import BotAPIEmulator
from tests.support.harness import OFFICERS_CHAT
from tests.support.officer_helpers import alert, events_of, forge, sends_to
from tests.support.reveal_helpers import (
    APPROVE,
    REASON,
    STUDENT_ID,
    STUDENT_USERNAME,
    World,
    audit,
    identity_shown_to,
    last_outbox_id,
    names_student,
    outbox_naming_student,
    request_message,
    requests,
    reveal_world,
    say_private,
    texts,
)


@pytest.fixture
async def world(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[World]:
    async with reveal_world(emulator, database_url) as w:
        yield w


async def test_one_admin_cannot_reveal_a_second_one_can(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    h, asker, second, third = world.h, world.asker, world.second, world.third
    caplog.set_level(logging.DEBUG)
    group_mark = len(h.emu.requests)

    await say_private(h, asker, f"/reveal {world.number} {REASON}")
    assert "已发给其他 2 位管理员" in texts(h, asker)[-1]
    (request,) = await requests(h)
    assert (request.status, request.requested_by, request.reason) == ("open", asker.id, REASON)
    for approver in (second, third):
        shown = request_message(h, approver)
        assert world.number in (shown.text or "") and REASON in (shown.text or "")
        assert not names_student(shown.text or "")

    # The asker presses 批准 themselves (the button data sent from their own chat): refused.
    data = RevealCB(action="ok", request_id=request.id or 0).pack()
    query = await forge(h, asker, data, h.emu.bot_messages(asker.id)[-1])
    text, as_alert = alert(h, query)
    assert as_alert and "必须由另一位管理员批准" in (text or "")
    assert (await requests(h))[0].status == "open"
    assert not any(identity_shown_to(h, who) for who in (asker, second, third))
    assert "reveal" not in [e.action for e in await events_of(h, world.number)]
    assert [entry.action for entry in await audit(h)] == ["reveal_requested"]

    before_approval = await last_outbox_id(h)
    await second.press(request_message(h, second), APPROVE)
    await h.settle()

    for admin in (asker, second):
        shown = texts(h, admin)[-1]
        assert f"<code>{STUDENT_ID}</code>" in shown or str(STUDENT_ID) in shown
        assert f"@{STUDENT_USERNAME}" in shown
        assert "tg://user?id=4711" in str(h.emu.bot_messages(admin.id)[-1].entities)
    assert not identity_shown_to(h, third)
    assert "已由 赵主席 (@chair_zhao) 批准" in texts(h, third)[-1]
    told = texts(h, world.student)[-1]
    assert world.number in told and REASON in told and "披露" in told

    (request,) = await requests(h)
    assert (request.status, request.decided_by) == ("approved", second.id)
    reveal = [e for e in await events_of(h, world.number) if e.action == "reveal"]
    assert [(e.public, e.text, e.actor_id) for e in reveal] == [(False, REASON, second.id)]
    entries = await audit(h)
    assert [(e.action, e.actor_ids) for e in entries] == [
        ("reveal_requested", [asker.id]),
        ("reveal", [asker.id, second.id]),
    ]
    assert all(STUDENT_ID not in e.actor_ids and not names_student(e.reason or "") for e in entries)

    # Nothing reached a group; no stored outbox row names the student; no log line does.
    assert sends_to(h, OFFICERS_CHAT, group_mark) == []
    assert not any(r.chat_id is not None and r.chat_id < 0 for r in h.emu.requests[group_mark:])
    assert await outbox_naming_student(h, before_approval) == []
    assert not [r.getMessage() for r in caplog.records if names_student(r.getMessage())]

    # The third admin's button is stale now: told so, its buttons go, nothing more is revealed.
    stale = request_message(h, third)
    query = await third.press(stale, APPROVE)
    await h.settle()
    text, as_alert = alert(h, query)
    assert as_alert and "已由另一位管理员批准" in (text or "")
    assert stale.buttons() == []
    assert not identity_shown_to(h, third)
    assert len(await audit(h)) == 2


async def test_refused_the_asker_is_told_and_nothing_is_revealed(world: World) -> None:
    h, asker, second = world.h, world.asker, world.second
    await say_private(h, asker, f"/reveal {world.number} {REASON}")
    await second.press(request_message(h, second), "拒绝")
    await h.settle()
    assert "已被 赵主席 (@chair_zhao) 拒绝" in texts(h, asker)[-1]
    assert not any(identity_shown_to(h, who) for who in (asker, second, world.third))
    assert not any("披露" in text for text in texts(h, world.student))
    assert [(r.status, r.decided_by) for r in await requests(h)] == [("refused", second.id)]
    assert [e.action for e in await audit(h)] == ["reveal_requested", "reveal_refused"]


async def test_the_scheduler_expires_a_request_and_a_late_press_reveals_nothing(
    world: World,
) -> None:
    h, asker, second = world.h, world.asker, world.second
    assert h.app is not None and h.app.jobs is not None
    await say_private(h, asker, f"/reveal {world.number} {REASON}")
    buttons = request_message(h, second)

    await h.app.jobs.tick(h.app.services.now())
    await h.settle()
    assert [r.status for r in await requests(h)] == ["open"]  # not yet due

    h.driver.advance_to(h.app.services.now() + timedelta(hours=24))
    await h.app.jobs.tick(h.app.services.now())
    await h.settle()
    assert [r.status for r in await requests(h)] == ["expired"]
    assert "已过期" in texts(h, asker)[-1]

    query = await second.press(buttons, APPROVE)
    await h.settle()
    text, as_alert = alert(h, query)
    assert as_alert and "已过期" in (text or "")
    assert buttons.buttons() == []
    assert not any(identity_shown_to(h, who) for who in (asker, second, world.third))
    assert [e.action for e in await audit(h)] == ["reveal_requested", "reveal_expired"]

    # A new request may be made once the old one has expired.
    await say_private(h, asker, f"/reveal {world.number} {REASON}")
    assert [r.status for r in await requests(h)] == ["expired", "open"]


async def test_an_expired_request_found_at_the_press_is_closed_then(world: World) -> None:
    h, asker, second = world.h, world.asker, world.second
    assert h.app is not None
    await say_private(h, asker, f"/reveal {world.number} {REASON}")
    h.driver.advance_to(h.app.services.now() + timedelta(hours=25))
    query = await second.press(request_message(h, second), APPROVE)
    await h.settle()
    assert "已过期" in (alert(h, query)[0] or "")
    assert [r.status for r in await requests(h)] == ["expired"]
    assert "已过期" in texts(h, asker)[-1]
    assert not any(identity_shown_to(h, who) for who in (asker, second))
