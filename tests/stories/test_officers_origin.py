"""Every action checks where it comes from: the role held, and the chat the case belongs to
(a sensitive case only from the sensitive chat), for buttons, replies and merges alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.cases.actions import apply_action
from bot.core.callbacks import CardCB, DeptCB, OwnerCB, PendingCB
from bot.devkit.emulator import BotAPIEmulator, SimGroup, SimUser
from bot.domain.origin import liaison_refusal, officer_refusal
from bot.domain.workflow import Action, Actor, Role, State, TransitionError
from storage.models import CaseFollower, PendingInput
from tests.support.harness import OFFICER_ID, OFFICERS_CHAT, Harness
from tests.support.officer_helpers import (
    ACCEPT,
    ANSWER,
    MERGE,
    SENSITIVE_CHAT,
    alert,
    card,
    case_of,
    count,
    events_of,
    forge,
    officer_harness,
    press,
    preview,
    received,
    reply_to_prompt,
    say,
    seed_case,
    seed_student,
)

WRONG_CHAT = "属于另一个群"


@dataclass
class Chats:
    h: Harness
    small: SimGroup
    li: SimUser  # an officer of the sensitive chat only; h.officer is in the main chat only
    student: SimUser
    sensitive: str
    ordinary: str


@pytest.fixture
async def chats(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[Chats]:
    small = emulator.add_group(chat_id=SENSITIVE_CHAT, title="心理与安全小组")
    async with officer_harness(emulator, database_url, sensitive_chat_id=SENSITIVE_CHAT) as h:
        li = h.emu.add_user(5002, "李老师", username="officer_li")
        small.add_member(li)
        await say(h, "/officer 5002", who=h.admin)
        alice = await seed_student(h, 1001, "Alice")
        text = "室友长期言语侮辱我，我很焦虑。"
        sensitive = await seed_case(h, alice, text, category="harassment")
        ordinary = await seed_case(h, alice)
        assert card(h, sensitive).chat_id == SENSITIVE_CHAT
        yield Chats(h, small, li, alice, sensitive, ordinary)


async def test_a_forged_button_from_the_main_chat_changes_nothing(chats: Chats) -> None:
    """An officer who is only in the main chat sends the sensitive card's button data from
    there (a modified client): every press is refused with a toast, nothing moves."""
    h, number = chats.h, chats.sensitive
    assert h.officer is not None and h.admin is not None
    case = await case_of(h, number)
    assert case.id is not None
    await say(h, "/queue")
    carrier = h.last(h.group)  # any bot message in the main chat will do
    heard = len(received(h, chats.student))
    main_before = len(h.emu.bot_messages(OFFICERS_CHAT))
    small_before = len(h.emu.bot_messages(SENSITIVE_CHAT))

    forged = [
        CardCB(action=action, case_id=case.id).pack()
        for action in (Action.ACCEPT, Action.ANSWER, Action.REJECT, Action.MERGE, Action.FORWARD)
    ] + [DeptCB(case_id=case.id, dept="logistics").pack()]
    forged += [CardCB(action=a, case_id=case.id).pack() for a in ("claim", "pick", "unclaim")]
    forged += [OwnerCB(case_id=case.id, user_id=OFFICER_ID).pack()]
    drawn = carrier.buttons()
    for data in forged:
        for who in (h.officer, h.admin):  # admins too: a sensitive case is worked in its chat
            query = await forge(h, who, data, carrier)
            text, shown_as_alert = alert(h, query)
            assert shown_as_alert and WRONG_CHAT in (text or ""), data

    assert (await case_of(h, number)).state == State.SUBMITTED
    assert [e.action for e in await events_of(h, number)] == ["submit"]
    assert len(received(h, chats.student)) == heard
    assert len(h.emu.bot_messages(OFFICERS_CHAT)) == main_before  # no request for a text
    assert len(h.emu.bot_messages(SENSITIVE_CHAT)) == small_before
    assert carrier.buttons() == drawn  # no department or officer list drawn for it either
    assert (await case_of(h, number)).assignee_id is None
    assert await count(h, PendingInput) == 0

    # From its own chat the same buttons work.
    await press(h, number, ACCEPT, who=chats.li)
    assert (await case_of(h, number)).state == State.ACCEPTED


async def test_a_preview_cannot_be_sent_from_another_chat(chats: Chats) -> None:
    h, number = chats.h, chats.sensitive
    assert h.officer is not None
    await press(h, number, ANSWER, who=chats.li)
    await reply_to_prompt(h, "学校已约谈相关同学，请放心。", who=chats.li, chat_id=SENSITIVE_CHAT)
    shown = preview(h, SENSITIVE_CHAT)
    asked = (await _pending(h))[0]
    heard = len(received(h, chats.student))

    for who in (h.officer, chats.li):  # the officer it belongs to, but from the wrong chat too
        await say(h, "/queue", who=who)
        data = PendingCB(op="send", pending_id=asked.id or 0).pack()
        query = await forge(h, who, data, h.last(h.group))
        assert alert(h, query)[1]
    assert len(received(h, chats.student)) == heard
    assert (await case_of(h, number)).state == State.SUBMITTED
    assert "发送" in [text for text, _ in shown.buttons()]


async def test_no_merge_into_a_case_of_another_chat(chats: Chats) -> None:
    """Merging carries the students who follow a case over: into a sensitive case, from the
    main chat, it would put them there."""
    h = chats.h
    follower = await seed_student(h, 1002, "Bob")
    duplicate = await seed_case(h, follower, "宿舍楼热水供应不稳定，经常没有热水。")
    await press(h, duplicate, MERGE)
    await reply_to_prompt(h, chats.sensitive)

    assert WRONG_CHAT in (h.last(h.group).text or "")
    assert (await case_of(h, duplicate)).state == State.SUBMITTED
    assert await count(h, CaseFollower) == 0
    # Within its own chat a merge goes through.
    await reply_to_prompt(h, chats.ordinary)
    assert (await case_of(h, duplicate)).state == State.MERGED


async def test_a_service_checks_the_role_itself(chats: Chats) -> None:
    """A caller that claims the officer role for someone without it is refused by the service,
    whatever the handler in front of it did."""
    h = chats.h
    assert h.app is not None
    case = await case_of(h, chats.ordinary)
    assert case.id is not None
    for actor, reason in (
        (Actor(chats.student.id, Role.OFFICER, OFFICERS_CHAT), "forbidden"),
        (Actor(chats.li.id, Role.ADMIN, OFFICERS_CHAT), "forbidden"),  # an officer, no admin
        (Actor(chats.li.id, Role.OFFICER, None), "wrong_chat"),  # from no chat at all
    ):
        async with h.app.session_factory() as session:
            with pytest.raises(TransitionError) as refused:
                await apply_action(
                    session=session,
                    services=h.app.services,
                    case_id=case.id,
                    action=Action.ACCEPT,
                    actor=actor,
                )
        assert refused.value.reason == reason
    assert (await case_of(h, chats.ordinary)).state == State.SUBMITTED


async def _pending(h: Harness) -> list[PendingInput]:
    assert h.app is not None
    async with h.app.session_factory() as session:
        return list(await session.scalars(select(PendingInput)))


@pytest.mark.parametrize(
    ("role", "held", "chat", "reason"),
    [
        (Role.OFFICER, {"officer"}, -1, None),
        (Role.ADMIN, {"admin", "officer"}, -1, None),
        (Role.OFFICER, {"admin"}, -1, None),
        (Role.OFFICER, {"officer"}, -2, "wrong_chat"),
        (Role.ADMIN, {"admin"}, -2, "wrong_chat"),
        (Role.OFFICER, {"officer"}, None, "wrong_chat"),
        (Role.OFFICER, set(), -1, "forbidden"),
        (Role.ADMIN, {"officer"}, -1, "forbidden"),
        (Role.OFFICER, {"liaison"}, -1, "forbidden"),
        (Role.STUDENT, {"officer"}, -1, "forbidden"),
    ],
)
def test_officer_rule(role: Role, held: set[str], chat: int | None, reason: str | None) -> None:
    assert officer_refusal(role=role, held=held, chat_id=chat, home_chat=-1) == reason


def test_no_home_chat_no_action() -> None:
    assert officer_refusal(role=Role.ADMIN, held={"admin"}, chat_id=-1, home_chat=None)


def test_liaison_rule() -> None:
    mine = {"library"}
    assert (
        liaison_refusal(user_id=8001, chat_id=8001, department="library", departments=mine) is None
    )
    assert (
        liaison_refusal(user_id=8001, chat_id=-1, department="library", departments=mine)
        == "wrong_chat"
    )
    assert (
        liaison_refusal(user_id=8001, chat_id=8001, department="it", departments=mine)
        == "not_liaison"
    )
