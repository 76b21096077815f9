"""The rules under every move, through the bot: the roles, the event log, one transaction, once
only (the table itself: tests/unit/test_workflow.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.workflow import State
from storage.crud import outbox as outbox_crud
from storage.models import Case, CaseEvent, CaseFollower, OutboxMessage
from tests.support.harness import OFFICER_ID, Harness
from tests.support.officer_helpers import (
    ACCEPT,
    ANSWER,
    ASK_INFO,
    MERGE,
    act,
    alert,
    alice_with_case,
    card,
    case_of,
    count,
    events_of,
    forward,
    outbox,
    press,
    received,
    reply_to_prompt,
    say,
    seed_case,
    seed_student,
    seed_students,
)


async def test_every_move_is_logged_with_who_when_from_to_and_text(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    await act(h, number, ASK_INFO, "哪个窗口？")
    await alice.send("三号窗口。", reply_to=h.last(alice))
    await h.settle()
    await press(h, number, ACCEPT)
    await forward(h, number)
    await act(h, number, ANSWER, "已整改。")
    await alice.press(h.last(alice), "不满意")
    await h.settle()
    await act(h, number, ANSWER, "复核后：已更换承包商。")
    await alice.press(h.last(alice), "不满意")
    await h.settle()

    moves = [
        (e.action, e.from_state, e.to_state, e.actor_id, e.actor_role, e.text, e.public)
        for e in await events_of(h, number)
        if e.to_state is not None
    ]
    officer = (OFFICER_ID, "officer")
    student = (alice.id, "student")
    assert moves == [
        ("submit", None, "submitted", *student, None, True),
        ("request_info", "submitted", "needs_info", *officer, "哪个窗口？", True),
        ("provide_info", "needs_info", "submitted", *student, "三号窗口。", True),
        ("accept", "submitted", "accepted", *officer, None, True),
        ("forward", "accepted", "in_progress", *officer, "logistics", True),
        ("answer", "in_progress", "answered", *officer, "已整改。", True),
        ("rate_unsatisfied", "answered", "reopened", *student, None, True),
        ("answer", "reopened", "answered", *officer, "复核后：已更换承包商。", True),
        # Re-handling happens once: the second "unsatisfied" closes the case.
        ("rate_unsatisfied", "answered", "closed", *student, None, True),
    ]
    events = await events_of(h, number)
    assert all(e.created_at is not None for e in events)
    assert [e.created_at for e in events] == sorted(e.created_at for e in events)
    case = await case_of(h, number)
    assert (case.state, case.rating, case.reopen_count) == (State.CLOSED, 1, 1)
    assert card(h, number).buttons() == []


async def test_two_officers_pressing_at_once_move_the_case_once(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    assert h.officer is not None and h.admin is not None
    alice_before = len(received(h, alice))

    first = await h.officer.press(card(h, number), ACCEPT)
    second = await h.admin.press(card(h, number), ACCEPT)  # same card, before any edit
    await h.settle()

    # Each officer's presses are handled in their own order, side by side: whichever reaches
    # the case first moves it, the other is told it no longer can.
    answers = sorted([alert(h, first), alert(h, second)])
    assert answers == [("完成", False), ("该反馈当前状态下无法执行此操作。", True)]
    assert [e.action for e in await events_of(h, number)] == ["submit", "accept"]
    assert len(received(h, alice)) == alice_before + 1
    winner = "王老师" if alert(h, first)[0] == "完成" else "管理员"
    assert f"最近操作：{winner}" in (card(h, number).text or "")


async def test_a_student_cannot_rate_a_case_that_is_not_theirs(harness: Harness) -> None:
    h = harness
    alice = await seed_student(h, 1001, "Alice")
    mallory = await seed_student(h, 1666, "Mallory")
    number = await seed_case(h, alice)
    await act(h, number, ANSWER, "已整改。")
    answer = h.last(alice)
    data = answer.buttons()[2][1]
    assert data is not None
    # Mallory forges the callback of Alice's "unsatisfied" button in her own chat.
    await mallory.send("/my")
    await h.settle()
    mallory_msg = h.last(mallory)
    mallory_msg.reply_markup = {"inline_keyboard": [[{"text": "x", "callback_data": data}]]}
    query = await mallory.press(mallory_msg, "x")
    await h.settle()
    assert alert(h, query)[1] is True
    assert (await case_of(h, number)).state == State.ANSWERED


async def test_if_queueing_fails_nothing_of_the_move_is_stored(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Merge queues twice (the target's card, then everyone's notes); a failure at either
    point must leave no trace: no state change, no event, no follower, no queued row."""
    h = harness
    alice, bob = await seed_students(h, "Alice", "Bob")
    target = await seed_case(h, alice)
    number = await seed_case(h, bob, "二楼食堂的菜里也有头发，已经好几次了。")
    real_enqueue = outbox_crud.enqueue

    for fail_at in (0, 1):
        calls: list[int] = []

        async def failing_enqueue(
            *, session: Any, messages: Any, calls: list[int] = calls, fail_at: int = fail_at
        ) -> None:
            calls.append(len(messages))
            if len(calls) - 1 == fail_at:
                # Part of the rows reach the database before the failure.
                await real_enqueue(session=session, messages=list(messages)[:1])
                raise RuntimeError("database went away")
            await real_enqueue(session=session, messages=messages)

        await press(h, number, MERGE)
        rows, events = await count(h, OutboxMessage), await count(h, CaseEvent)
        monkeypatch.setattr(outbox_crud, "enqueue", failing_enqueue)
        await reply_to_prompt(h, target)
        monkeypatch.setattr(outbox_crud, "enqueue", real_enqueue)

        assert len(calls) > fail_at
        case = await case_of(h, number)
        assert (case.state, case.merged_into_id, case.last_actor_id) == (
            State.SUBMITTED,
            None,
            None,
        )
        assert await count(h, CaseEvent) == events
        # Only the apology to the officer was queued, and the first time the admin's report
        # (the next one comes with the next error after a few minutes).
        assert await count(h, OutboxMessage) == rows + (2 if fail_at == 0 else 1)
        apology = h.last(h.group).text or ""
        assert "系统出错" in apology and "参考编号：E-" in apology
        assert await count(h, CaseFollower) == 0
        assert (await case_of(h, target)).state == State.SUBMITTED
        assert [e.action for e in await events_of(h, target)] == ["submit"]
        assert "已合并" not in (card(h, number).text or "")
        await say(h, "/cancel")

    await act(h, number, MERGE, target)  # with the database back, the same move succeeds
    assert (await case_of(h, number)).state == State.MERGED


async def test_redelivered_submit_press_creates_one_case(harness: Harness) -> None:
    h = harness
    alice = await h.student(1001, "Alice")
    number = await h.submit(alice)
    press_update = next(
        u
        for u in reversed(h.emu.updates)
        if "callback_query" in u and u["callback_query"]["from"]["id"] == alice.id
    )
    before = received(h, alice), received(h, h.group)

    h.emu.redeliver(press_update["update_id"])
    await h.settle()

    assert await count(h, Case) == 1
    assert (received(h, alice), received(h, h.group)) == before
    assert [e.action for e in await events_of(h, number)] == ["submit"]


async def test_redelivered_accept_press_has_one_effect(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    await press(h, number, ACCEPT)
    accept_update = h.emu.updates[-1]
    assert "callback_query" in accept_update
    rows = await count(h, OutboxMessage)
    alice_before = len(received(h, alice))

    h.emu.redeliver(accept_update["update_id"])
    await h.settle()

    assert [e.action for e in await events_of(h, number)] == ["submit", "accept"]
    assert await count(h, OutboxMessage) == rows
    assert len(received(h, alice)) == alice_before
    assert len([r for r in await outbox(h, recipient_user_id=alice.id)]) == 2

    # The same for a reply relayed to the student.
    assert h.officer is not None
    await h.officer.send("请问是哪一天？", chat=h.group, reply_to=card(h, number))
    await h.settle()
    reply_update = h.emu.updates[-1]
    h.emu.redeliver(reply_update["update_id"])
    await h.settle()
    assert len([t for t in received(h, alice) if "请问是哪一天？" in t]) == 1
    assert [e.action for e in await events_of(h, number)] == ["submit", "accept", "reply"]
