"""/intake: a case received on paper (or by the mailbox, at a session, by phone) registered by
an officer; its invite link binds it to the student who opens it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.casework import authors
from bot.casework import deadlines as sla
from bot.devkit.emulator import BotAPIEmulator, SimMessage
from bot.digest.figures import collect
from bot.digest.periods import week_of
from bot.digest.render import render_summary
from storage.models import Attachment, Case, IntakeInvite
from tests.support.harness import OFFICERS_CHAT
from tests.support.officer_helpers import (
    ANSWER,
    SENSITIVE_CHAT,
    OfficerHarness,
    act,
    advance,
    alert,
    card,
    count,
    freeze_clock,
    officer_harness,
    received,
    say,
    seed_case,
    seed_student,
)
from tests.support.student_helpers import Talk, settle

FORM = "宿舍楼三层的热水器已经坏了两周，多次报修无人处理，冬天洗澡非常困难。"
LINK = re.compile(r"https://t\.me/\w+\?start=(intake_[\w-]+)")
REGISTERED = "已登记"


@pytest.fixture
async def h(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[OfficerHarness]:
    async with officer_harness(emulator, database_url) as harness:
        yield harness


def bot_says(h: OfficerHarness, needle: str) -> SimMessage:
    for message in reversed(h.emu.bot_messages(OFFICERS_CHAT)):
        if needle in (message.text or ""):
            return message
    raise AssertionError(f"the bot said nothing with {needle!r}")


async def press_last(h: OfficerHarness, button: str | int) -> None:
    assert h.officer is not None
    await h.officer.press(h.last(h.group), button)
    await settle(h)


async def intake(
    h: OfficerHarness, *, named: bool = False, photo: bool = False, typed_day: str | None = None
) -> tuple[str, str]:
    """The whole /intake of a paper grievance; (its number, the invite link's payload)."""
    assert h.officer is not None
    await say(h, "/intake")
    assert "登记线下收到的反馈" in h.last(h.group).content
    await press_last(h, "纸质意见表")
    if typed_day is None:
        await press_last(h, "昨天")
    else:
        await say(h, typed_day, reply_to=h.last(h.group))
    await press_last(h, "权益诉求")
    await press_last(h, "后勤餐饮")
    await press_last(h, "临床医学院")
    await say(h, FORM, reply_to=h.last(h.group))
    if photo:
        await h.officer.send_photo(chat=h.group)
        await settle(h)
    await press_last(h, 0)  # 无附件 / 完成
    await press_last(h, "实名" if named else "匿名")
    preview = h.last(h.group)
    assert "登记前请确认" in preview.content and "纸质意见表" in preview.content
    assert await count(h, Case) == 0 or "已登记" not in preview.content
    await press_last(h, "✅ 登记")
    receipt = bot_says(h, REGISTERED)
    number = re.search(r"[GS]\d{4}-\d{4}", receipt.content)
    link = LINK.search(receipt.content)
    assert number is not None and link is not None, receipt.content
    return number.group(0), link.group(1)


async def case_row(h: OfficerHarness, number: str) -> Case:
    assert h.app is not None
    async with h.app.session_factory() as session:
        found = (await session.scalars(select(Case).where(Case.number == number))).one()
        return found


async def test_a_paper_grievance_gets_a_card_marked_paper(h: OfficerHarness) -> None:
    assert h.app is not None
    before = await count(h, Case)
    number, payload = await intake(h, photo=True)
    assert await count(h, Case) == before + 1
    case = await case_row(h, number)
    today = h.app.services.now().astimezone(h.app.services.renderer.tz).date()
    assert (case.source, case.received_on, case.state) == (
        "paper",
        today - timedelta(days=1),
        "submitted",
    )
    # Anonymous by default, and nobody's: no id, no seal.
    assert case.anonymous and case.submitter_id is None and case.author_sealed is None
    # The deadlines count from the day it was received, not from its registration.
    received_at = sla.received_at(h.app.services, case.received_on)
    assert received_at is not None
    dues = sla.initial(h.app.services, "logistics", received_at)
    assert case.first_response_due_at == dues.first_response
    assert await count(h, Attachment) == 1
    shown = card(h, number).content
    assert "来源: 纸质意见表" in shown and FORM in shown and "后勤餐饮" in shown
    assert "临床医学院" in shown
    async with h.app.session_factory() as session:
        (invite,) = (await session.scalars(select(IntakeInvite))).all()
    assert invite.case_id == case.id and payload not in invite.token_hash  # stored hashed
    assert invite.used_at is None


async def test_a_typed_date_is_checked(h: OfficerHarness) -> None:
    await say(h, "/intake")
    await press_last(h, "纸质意见表")
    asked = h.last(h.group)
    await say(h, "上周三", reply_to=asked)
    assert "请回复日期" in h.last(h.group).content
    await say(h, "2999-01-01", reply_to=asked)
    assert "在今天之后" in h.last(h.group).content
    await say(h, "/cancel")
    assert "未登记任何内容" in h.last(h.group).content
    assert await count(h, Case) == 0


async def test_someone_without_the_officer_role_is_refused(h: OfficerHarness) -> None:
    member = h.emu.add_user(5003, "路人", username="passer_by")
    h.group.add_member(member)
    await member.send("/intake", chat=h.group)
    await settle(h)
    assert "只有权益部工作人员可以登记" in h.last(h.group).content
    # Not a dialogue of theirs: what they write next is nobody's form.
    await member.send(FORM, chat=h.group)
    await settle(h)
    # A student in their private chat has no /intake either.
    alice = Talk(h, await seed_student(h, 1001, "Alice"))
    await alice.send("/intake")
    assert await count(h, Case) == 0


async def test_the_link_binds_the_case_and_the_student_hears_the_answer(
    h: OfficerHarness,
) -> None:
    assert h.app is not None
    number, payload = await intake(h)
    alice = Talk(h, await seed_student(h, 1001, "Alice"))
    linked = await alice.send(f"/start {payload}")
    assert f"反馈 {number} 已关联到您的账号" in linked.text and "待受理" in linked.text
    assert "仍为匿名" in linked.text
    case = await case_row(h, number)
    # Anonymous: sealed, never the plain id.
    assert case.submitter_id is None and case.author_sealed is not None
    assert authors.is_author(case, 1001, h.app.services.sealer)
    assert "Alice" not in card(h, number).content

    await act(h, number, ANSWER, "热水器已于本周更换，后勤保障处将每周巡检。")
    assert any("热水器已于本周更换" in text for text in received(h, alice.user))
    # Rating it works as for a case she had submitted herself.
    await alice.press("满意", alice.message_with("热水器已于本周更换"))
    assert (await case_row(h, number)).rating == 3


async def test_a_named_case_shows_its_student_once_linked(h: OfficerHarness) -> None:
    number, payload = await intake(h, named=True)
    assert "Alice" not in card(h, number).content
    alice = Talk(h, await seed_student(h, 1001, "Alice"))
    await alice.send(f"/start {payload}")
    case = await case_row(h, number)
    assert case.submitter_id == 1001 and not case.anonymous
    assert "Alice" in card(h, number).content


async def test_used_expired_and_unknown_links_are_refused(h: OfficerHarness) -> None:
    number, payload = await intake(h)
    # Someone who has not agreed to the privacy notice is asked to; the link stays unused.
    carol = Talk(h, h.emu.add_user(1003, "Carol", language_code="zh-hans"))
    first = await carol.send(f"/start {payload}")
    assert "请先阅读并同意下方的隐私说明" in first.text
    assert (await case_row(h, number)).author_sealed is None
    alice = Talk(h, await seed_student(h, 1001, "Alice"))
    bob = Talk(h, await seed_student(h, 1002, "Bob"))
    await alice.send(f"/start {payload}")
    again = await alice.send(f"/start {payload}")
    assert f"反馈 {number} 已关联到您的账号" in again.text
    used = await bob.send(f"/start {payload}")
    assert "该链接已被使用" in used.text
    case = await case_row(h, number)
    assert not authors.is_author(case, 1002, h.app.services.sealer)  # type: ignore[union-attr]

    second, late = await intake(h)
    clock = freeze_clock(h)
    advance(clock, days=31)
    expired = await bob.send(f"/start {late}")
    assert "该链接已过期" in expired.text
    assert (await case_row(h, second)).author_sealed is None
    unknown = await bob.send("/start intake_AAAAAAAAAAAAAAAAAAAAAA")
    assert "该链接无效" in unknown.text


async def test_the_digest_counts_new_cases_by_source(h: OfficerHarness) -> None:
    assert h.app is not None
    services = h.app.services
    alice = await seed_student(h, 1001, "Alice")
    await seed_case(h, alice)
    await intake(h)
    now = services.now()
    async with h.app.session_factory() as session:
        digest = await collect(
            session=session,
            org=services.org,
            tz=services.renderer.tz,
            period=week_of(now.astimezone(services.renderer.tz).date()),
            now=now,
            so_far=True,
        )
    assert digest.new.now == 2 and digest.offline == 1
    assert sorted(digest.sources) == [("paper", 1), ("telegram", 1)]
    summary = render_summary(services.renderer, "zh_Hans", digest)
    assert "按来源" in summary and "纸质意见表 1" in summary


async def test_a_sensitive_form_is_registered_only_in_the_sensitive_chat(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    emulator.add_group(chat_id=SENSITIVE_CHAT, title="心理与安全小组")
    async with officer_harness(emulator, database_url, sensitive_chat_id=SENSITIVE_CHAT) as h:
        assert h.officer is not None
        await say(h, "/intake")
        for button in ("纸质意见表", "昨天", "权益诉求"):
            await press_last(h, button)
        asked = h.last(h.group)
        query = await h.officer.press(asked, "骚扰与歧视")
        await settle(h)
        assert "敏感案件群" in (alert(h, query)[0] or "")
        # Nothing asks for the form's words here; the choice of category is still open.
        assert h.last(h.group).message_id == asked.message_id and asked.buttons()
