"""A forum as the officers' chat: one topic per case, named after its number and status."""

from __future__ import annotations

import pytest

from bot.domain.workflow import State
from tests.support.harness import Harness
from tests.support.officer_helpers import (
    ACCEPT,
    ANSWER,
    ASK_INFO,
    SIGNATURE,
    act,
    alice_with_case,
    card,
    case_of,
    events_of,
    forward,
    press,
    preview,
    prompt,
    received,
    reply_to_prompt,
    say,
    seed_case,
    seed_students,
    send_preview,
)

pytestmark = pytest.mark.harness(forum=True)


def topic_name(h: Harness, number: str) -> str:
    names = [t.name for t in h.group.topics.values() if number in t.name and not t.deleted]
    assert len(names) == 1, names
    return names[0]


async def test_each_case_gets_its_own_topic_renamed_with_its_status(harness: Harness) -> None:
    h = harness
    alice = await h.student(1001, "Alice", username="alice_w")
    bob = await h.student(1002, "Bob")
    first = await h.submit(alice, photos=1)
    second = await h.submit(bob, "宿舍楼热水供应不稳定，经常没有热水。")

    assert "待受理" in topic_name(h, first) and "待受理" in topic_name(h, second)
    case = await case_of(h, first)
    assert case.topic_id is not None
    first_card = card(h, first)
    assert first_card.thread_id == case.topic_id
    assert "Alice" in (first_card.text or "") and "食堂二楼" in (first_card.text or "")
    photo = next(m for m in h.emu.bot_messages(h.group.id) if m.kind == "photo")
    assert photo.thread_id == case.topic_id  # attachments go into the case's topic

    await press(h, first, ACCEPT)
    assert "已受理" in topic_name(h, first)
    await forward(h, first)
    assert "办理中" in topic_name(h, first)
    assert "待受理" in topic_name(h, second)  # the other case's topic is untouched
    assert card(h, first).message_id == first_card.message_id  # edited, not reposted


async def test_writing_in_a_topic_messages_that_cases_student(harness: Harness) -> None:
    h = harness
    alice, bob = await seed_students(h, "Alice", "Bob")
    first = await seed_case(h, alice)
    second = await seed_case(h, bob, "宿舍楼热水供应不稳定，经常没有热水。")
    topic = (await case_of(h, second)).topic_id
    bob_before = len(received(h, bob))
    alice_before = len(received(h, alice))

    await say(h, "请问是哪栋宿舍楼？", thread_id=topic)
    await say(h, "#内部 先问问后勤", thread_id=topic)

    assert len(received(h, alice)) == alice_before
    new = received(h, bob)[bob_before:]
    assert len(new) == 1
    assert "请问是哪栋宿舍楼？" in new[0] and SIGNATURE in new[0] and "王老师" not in new[0]
    assert (await case_of(h, first)).state == State.SUBMITTED
    assert [(e.action, e.public) for e in await events_of(h, second)][-2:] == [
        ("reply", True),
        ("note", False),
    ]


async def test_buttons_ask_for_text_inside_the_topic(harness: Harness) -> None:
    h = harness
    alice, number = await alice_with_case(h)
    topic = (await case_of(h, number)).topic_id
    await press(h, number, ASK_INFO)
    asked = prompt(h)
    assert asked.thread_id == topic

    await reply_to_prompt(h, "请提供照片。")
    assert preview(h).thread_id == topic
    await send_preview(h)
    assert (await case_of(h, number)).state == State.NEEDS_INFO
    assert "待补充" in topic_name(h, number)

    await alice.send("照片稍后补上，是三号窗口。", reply_to=h.last(alice))
    await h.settle()
    note = next(m for m in h.emu.bot_messages(h.group.id) if "是三号窗口" in (m.text or ""))
    assert note.thread_id == topic
    await act(h, number, ANSWER, "已转告食堂。")
    assert "已答复" in topic_name(h, number)
    assert "已转告食堂。" in received(h, alice)[-1]
