"""Shared concerns (我也遇到): a student makes a grievance public, worded by the officers and
accepted by the student; others find it on /board and in the channel, support it (+1) and
follow it; merging carries supporters; the digest counts people, not rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.board import concerns as board_concerns
from bot.cases.actions import Draft, submit_case
from bot.concerns import publication
from bot.core.context import Services
from bot.devkit.emulator import SimMessage, SimUser
from bot.devkit.scenario import CASE_NUMBER
from bot.domain.workflow import Action, Actor, Role
from storage.crud import hot_topics
from storage.models import CasePublication, ProposalSupport
from tests.support.officer_helpers import (
    ACCEPT,
    ANSWER,
    DROP,
    MERGE,
    OfficerHarness,
    act,
    card,
    case_of,
    forward,
    press,
    preview,
    received,
    reply_to_prompt,
    say,
    seed_case,
    seed_student,
    send_preview,
    user_of,
)
from tests.support.proposal_helpers import (
    CHANNEL_ID,
    officer_act,
    seed_congress,
    seed_liaison,
    seed_proposal,
    seed_representatives,
)
from tests.support.student_helpers import Talk

pytestmark = pytest.mark.harness(channel=True)

WORDING = "二食堂饭菜中多次出现异物，希望学校加强食堂卫生检查。"
ME_TOO = "🙋 我也遇到 +1"


def plus_one(supports: int) -> str:
    return f"{ME_TOO} ({supports})"


async def test_opt_in_word_accept_then_channel_and_board(h: OfficerHarness) -> None:
    alice = Talk(h, await seed_student(h, 1001, "Alice"))
    preview = await alice.to_preview(anonymous=True)
    assert "🌐 申请公开" in preview.buttons()
    asked = await alice.press("🌐 申请公开")
    assert "公开：已申请" in asked.text and "🌐 已申请公开" in asked.buttons()
    sent = await alice.press(0)
    found = CASE_NUMBER.search(sent.text)
    assert found is not None
    number = found.group(0)
    case = await case_of(h, number)

    # The officers' thread hears of the request; nothing names Alice (anonymous).
    assert any(
        number in (m.text or "") and "/public" in (m.text or "")
        for m in h.emu.bot_messages(h.group)
    )
    # The card says where its public version stands, redrawn at each step.
    assert public_line(h, number) == "🌐 公开: 公开申请待审核 (/public)"
    # Nothing is public before the officers word it and the student accepts.
    assert h.emu.bot_messages(CHANNEL_ID) == []
    bob = Talk(h, await seed_student(h, 1002, "Bob"))
    assert number not in (await bob.send("/board")).text

    # A too short wording is refused; then the officers word it.
    refused = await say(h, f"/public {number} 太短")
    assert "10 至 1000" in (h.last(h.group).text or "") and refused is not None
    await say(h, f"/public {number} {WORDING}")
    assert "已发给同学确认" in (h.last(h.group).text or "")
    assert public_line(h, number) == "🌐 公开: 公开版本已发给同学，待其确认"
    offer = alice.message_with(WORDING)
    assert labels_of(offer) == ["✅ 按此版本公开", "不公开"]
    assert h.emu.bot_messages(CHANNEL_ID) == []

    accepted = await alice.press("✅ 按此版本公开", offer)
    assert accepted.toast == "已公开" and "已公开" in accepted.text
    assert public_line(h, number) == "🌐 公开: 已公开 · 🙋 0 人支持"

    (post,) = h.emu.bot_messages(CHANNEL_ID)
    assert WORDING in (post.text or "") and number in (post.text or "")
    assert "Alice" not in (post.text or "") and case.text not in (post.text or "")
    assert post.reply_markup is not None
    ((button,),) = post.reply_markup["inline_keyboard"]
    assert button["text"] == plus_one(0)
    assert button["url"].endswith(f"?start=concern_{case.id}")

    board = await bob.send("/board")
    assert number in board.text and WORDING[:10] in board.text
    assert "Alice" not in board.text
    opened = await bob.press(number)
    assert WORDING in opened.text and opened.buttons() == [plus_one(0)]
    supported = await bob.press(plus_one(0))
    assert supported.toast is not None and "谢谢" in supported.toast
    assert labels_of(bob.last) == [plus_one(1)]
    # A second +1 by the same person: told, nothing counted twice.
    again = await bob.press(plus_one(1))
    assert again.toast is not None and "已支持过" in again.toast
    assert await supports_of(h, case.id or 0) == [1002]
    # The officers' card counts it.
    assert public_line(h, number) == "🌐 公开: 已公开 · 🙋 1 人支持"
    # The channel post counts it.
    (post,) = h.emu.bot_messages(CHANNEL_ID)
    assert post.reply_markup is not None
    assert post.reply_markup["inline_keyboard"][0][0]["text"] == plus_one(1)

    # Most supported, and by category: the list turns in place.
    listing = board.last
    await bob.press("关注最多", listing)
    assert number in (now_of(h, listing).text or "") and "最新" in labels_of(now_of(h, listing))
    await bob.press("按类别", now_of(h, listing))
    await bob.press("后勤餐饮", now_of(h, listing))
    assert number in (now_of(h, listing).text or "") and "后勤餐饮" in (
        now_of(h, listing).text or ""
    )
    await bob.press("按类别", now_of(h, listing))
    await bob.press("教学教务", now_of(h, listing))
    assert number not in (now_of(h, listing).text or "") and "暂无内容" in (
        now_of(h, listing).text or ""
    )
    searched = await bob.send("/board 异物")
    assert number in searched.text
    assert number not in (await bob.send("/board 宿舍")).text

    # From the channel's link too; and the author cannot +1 their own case.
    carol = Talk(h, await seed_student(h, 1003, "Carol"))
    linked = await carol.send(f"/start concern_{case.id}")
    assert WORDING in linked.text
    own = await alice.forge(f"cn:me:{case.id}:0:n:", opened.last)
    assert own.toast is not None and "你提交的" in own.toast

    # The public wording is final once published: told, nothing changed, nobody else told.
    before = (len(received(h, alice.user)), len(h.emu.bot_messages(CHANNEL_ID)))
    (post,) = h.emu.bot_messages(CHANNEL_ID)
    post_text = post.text
    await say(h, f"/public {number} 另一种说法，希望学校加强检查。")
    assert "不能再修改" in (h.last(h.group).text or "")
    public = await publication_of(h, case.id or 0)
    assert public.public_text == WORDING and public.status == "published"
    assert (len(received(h, alice.user)), len(h.emu.bot_messages(CHANNEL_ID))) == before
    assert h.emu.bot_messages(CHANNEL_ID)[0].text == post_text
    assert public_line(h, number) == "🌐 公开: 已公开 · 🙋 1 人支持"


async def test_a_supporter_hears_every_change_and_the_answer(h: OfficerHarness) -> None:
    alice = await seed_student(h, 1001, "Alice")
    number, case_id = await published_case(h, alice)
    bob = Talk(h, await seed_student(h, 1002, "Bob"))
    await bob.send(f"/start concern_{case_id}")
    await bob.press(plus_one(0))

    await press(h, number, ACCEPT)
    assert any(number in text and "受理" in text for text in received(h, bob.user))
    (post,) = h.emu.bot_messages(CHANNEL_ID)
    assert post.edited and "已受理" in (post.text or "")
    await act(h, number, ANSWER, "后勤保障处已约谈承包商，每日巡查卫生。")
    assert "后勤保障处已约谈承包商，每日巡查卫生。" in received(h, bob.user)[-1]


async def test_merge_carries_supporters_and_tells_the_submitter(h: OfficerHarness) -> None:
    alice = await seed_student(h, 1001, "Alice")
    carol = await seed_student(h, 1003, "Carol")
    target, target_id = await published_case(h, alice)
    duplicate, duplicate_id = await published_case(
        h, carol, text="二食堂的菜里又吃出了头发，太恶心了。"
    )
    bob = Talk(h, await seed_student(h, 1002, "Bob"))
    await bob.send(f"/start concern_{duplicate_id}")
    await bob.press(plus_one(0))

    await press(h, target, ACCEPT)
    await act(h, duplicate, MERGE, target)

    assert await supports_of(h, target_id) == [1002]
    assert public_line(h, duplicate) == "🌐 公开: 已不再公开（已合并、未受理或已撤回）"
    assert public_line(h, target) == "🌐 公开: 已公开 · 🙋 1 人支持"
    told = received(h, carol)[-1]
    assert duplicate in told and target in told
    # A merged case is no longer public: a +1 on it is refused, nothing stored.
    refused = await bob.forge(f"cn:me:{duplicate_id}:0:n:", bob.last)
    assert refused.toast is not None and "未公开" in refused.toast
    assert await supports_of(h, duplicate_id) == [1002]
    # Bob follows the target now: its answer reaches him.
    await act(h, target, ANSWER, "后勤保障处已更换二食堂承包商。")
    assert "后勤保障处已更换二食堂承包商。" in received(h, bob.user)[-1]


async def test_refusals_change_nothing(h: OfficerHarness) -> None:
    alice = await seed_student(h, 1001, "Alice")
    bob = Talk(h, await seed_student(h, 1002, "Bob"))
    async with tx(h) as session:
        user = await user_of(session, alice)
        private = await submit_case(
            session=session,
            services=services_of(h),
            submitter=user,
            draft=Draft(kind="grievance", category="logistics", text=WORDING, anonymous=False),
        )
        number, private_id = private.number, private.id
    await wake(h)
    assert public_line(h, number) == "🌐 公开: 未申请"
    # Not asked for: the officers cannot make it public.
    await say(h, f"/public {number} {WORDING}")
    assert "没有申请公开" in (h.last(h.group).text or "")
    assert public_line(h, number) == "🌐 公开: 未申请"
    # A +1 on an unpublished case.
    await bob.send("/board")
    refused = await bob.forge(f"cn:me:{private_id}:0:n:", bob.last)
    assert refused.toast is not None and "未公开" in refused.toast
    assert await supports_of(h, private_id or 0) == []
    opened = await bob.send(f"/start concern_{private_id}")
    assert "未公开" in opened.text


async def test_the_student_may_keep_it_private(h: OfficerHarness) -> None:
    alice = Talk(h, await seed_student(h, 1001, "Alice"))
    await alice.to_preview()
    await alice.press("🌐 申请公开")
    found = CASE_NUMBER.search((await alice.press(0)).text)
    assert found is not None
    number = found.group(0)
    case_id = (await case_of(h, number)).id
    await say(h, f"/public {number} {WORDING}")
    declined = await alice.press("不公开", alice.message_with(WORDING))
    assert declined.toast == "不公开" and "不公开" in declined.text
    assert "拒绝了公开版本" in (h.last(h.group).text or "")
    assert public_line(h, number) == "🌐 公开: 同学已拒绝公开"
    # Declined: no post, not on the board, no +1, and the officers cannot word it again.
    assert h.emu.bot_messages(CHANNEL_ID) == []
    bob = Talk(h, await seed_student(h, 1002, "Bob"))
    assert number not in (await bob.send("/board")).text
    refused = await bob.forge(f"cn:me:{case_id}:0:n:", bob.last)
    assert refused.toast is not None and "未公开" in refused.toast
    await say(h, f"/public {number} {WORDING}")
    assert "已拒绝公开" in (h.last(h.group).text or "")
    # Its buttons are gone; a second answer sent anyway changes nothing.
    offer = alice.message_with(WORDING)
    assert labels_of(offer) == []
    again = await alice.forge(f"cn:ok:{case_id}:0:n:", offer)
    assert again.toast is not None and "没有等待你确认" in again.toast
    assert (await publication_of(h, case_id or 0)).status == "declined"


async def test_an_answer_to_a_public_case_is_said_to_be_public(h: OfficerHarness) -> None:
    """The officer's own answer and a department's answer under review both say, before they
    go out, that the answer will be public; a private case's do not."""
    alice, carol = await seed_student(h, 1001, "Alice"), await seed_student(h, 1003, "Carol")
    number, _ = await published_case(h, alice)
    await press(h, number, ACCEPT)
    await press(h, number, ANSWER)
    await reply_to_prompt(h, "后勤保障处已约谈承包商，每日巡查卫生。")
    shown = preview(h).text or ""
    assert "此诉求已公开：这条答复将公开展示" in shown and "不显示同学身份" in shown
    await send_preview(h)
    # And so it is, on the web board's page of the concern, under its public wording.
    async with tx(h) as session:
        page = await board_concerns.concern_page(
            session=session, services=services_of(h), number=number
        )
    assert page is not None
    assert [a.text for a in page.answers] == ["后勤保障处已约谈承包商，每日巡查卫生。"]

    # A department's answer, reviewed by the officers before it is published.
    zhou = Talk(h, await seed_liaison(h, 8002, "周老师", "logistics"))
    other, _ = await published_case(h, carol, text="二食堂的菜里又吃出了头发，太恶心了。")
    await press(h, other, ACCEPT)
    await forward(h, other)
    await zhou.press("📝 撰写答复", zhou.message_with("撰写"))
    await zhou.send("后勤保障处已更换二食堂的承包商。")
    await zhou.press("📤 提交审核")
    review = next(
        m
        for m in reversed(h.emu.bot_messages(h.group.id))
        if "更换二食堂的承包商" in (m.text or "") and m.buttons()
    )
    assert "此诉求已公开：这条答复将公开展示" in (review.text or "")
    assert "✅ 发布答复" in [text for text, _ in review.buttons()]

    # Asked for but not published yet: it may be.
    dave = Talk(h, await seed_student(h, 1004, "Dave"))
    await dave.to_preview()
    await dave.press("🌐 申请公开")
    found = CASE_NUMBER.search((await dave.press(0)).text)
    assert found is not None
    await press(h, found.group(0), ACCEPT)
    await press(h, found.group(0), ANSWER)
    await reply_to_prompt(h, "已转后勤保障处处理，本周内答复。")
    assert "同学已申请公开此诉求：一旦公开，这条答复也将" in (preview(h).text or "")
    await send_preview(h, button=DROP)

    # A private case: nothing of the kind.
    private = await seed_case(h, carol)
    await press(h, private, ACCEPT)
    await press(h, private, ANSWER)
    await reply_to_prompt(h, "已转后勤保障处处理，本周内答复。")
    assert "公开" not in (preview(h).text or "")


async def test_hot_topics_count_people_once(h: OfficerHarness) -> None:
    """Alice's case; Bob supports it, then his duplicate is merged into it (he counts once);
    Carol supports it. A registered proposal's two co-signers count as its supporters."""
    alice, bob, carol = (
        await seed_student(h, 1001, "Alice"),
        await seed_student(h, 1002, "Bob"),
        await seed_student(h, 1003, "Carol"),
    )
    target, target_id = await published_case(h, alice)
    duplicate, _ = await published_case(h, bob, text="二食堂的菜里又吃出了头发，太恶心了。")
    for who in (bob, carol):
        talk = Talk(h, who)
        await talk.send(f"/start concern_{target_id}")
        await talk.press(plus_one(0) if who is bob else plus_one(1))
    await press(h, target, ACCEPT)
    await act(h, duplicate, MERGE, target)

    session_id = await seed_congress(h)
    proposer, dave, erin = await seed_representatives(h, session_id, 1004, 1006, 1007)
    proposal = await seed_proposal(h, proposer, cosigners=(dave, erin))
    await officer_act(h, proposal, Action.ACCEPT)

    now = services_of(h).now()
    async with tx(h) as session:
        supported, concerned = await hot_topics.hot_topics(
            session=session, span=(now - timedelta(days=7), now + timedelta(hours=1)), limit=5
        )
    by_number = {hot.number: hot for hot in concerned}
    # Alice, Bob (submitted a duplicate and supported: once), Carol.
    assert (by_number[target].people, by_number[target].followers) == (3, 1)
    # The proposer and the two co-signers; the co-signers are its supporters, not its submitters.
    assert (by_number[proposal].people, by_number[proposal].followers) == (3, 2)
    assert [hot.number for hot in supported][:2] == [proposal, target]


# -- helpers ----------------------------------------------------------------------------------


def tx(h: OfficerHarness) -> Any:
    assert h.app is not None
    return h.app.session_factory.begin()


def services_of(h: OfficerHarness) -> Services:
    assert h.app is not None
    return h.app.services


async def wake(h: OfficerHarness) -> None:
    assert h.app is not None
    h.app.worker.wake()
    await h.settle()


def now_of(h: OfficerHarness, message: SimMessage) -> SimMessage:
    """The message as it is now, after the edits made to it."""
    for found in h.emu.bot_messages(message.chat_id):
        if found.message_id == message.message_id:
            return found
    raise AssertionError("the message is gone")


def public_line(h: OfficerHarness, number: str) -> str:
    """The line of the case's card in the officers' chat about its public version."""
    lines = [line for line in (card(h, number).text or "").splitlines() if line.startswith("🌐")]
    assert len(lines) == 1, lines
    return lines[0]


def labels_of(message: object) -> list[str]:
    markup = getattr(message, "reply_markup", None) or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def published_case(
    h: OfficerHarness, student: SimUser, *, text: str = WORDING
) -> tuple[str, int]:
    """A grievance its student asked to make public, worded by an officer and accepted, through
    the services; (its number, its id)."""
    async with tx(h) as session:
        user = await user_of(session, student)
        case = await submit_case(
            session=session,
            services=services_of(h),
            submitter=user,
            draft=Draft(
                kind="grievance", category="logistics", text=text, anonymous=False, public=True
            ),
        )
        number, case_id = case.number, case.id
    assert case_id is not None
    await wake(h)
    assert h.officer is not None
    chat = h.group.id
    async with tx(h) as session:
        await publication.draft(
            session=session,
            services=services_of(h),
            actor=Actor(h.officer.id, Role.OFFICER, chat_id=chat),
            case_id=case_id,
            text=text,
        )
    async with tx(h) as session:
        await publication.answer(
            session=session,
            services=services_of(h),
            user_id=student.id,
            case_id=case_id,
            accept=True,
        )
    await wake(h)
    return number, case_id


async def supports_of(h: OfficerHarness, case_id: int) -> list[int]:
    async with tx(h) as session:
        rows = await session.scalars(
            select(col(ProposalSupport.user_id)).where(col(ProposalSupport.case_id) == case_id)
        )
        return sorted(rows)


async def publication_of(h: OfficerHarness, case_id: int) -> CasePublication:
    async with tx(h) as session:
        found = await session.get(CasePublication, case_id)
        assert found is not None
        return found


@pytest.fixture
def h(harness: OfficerHarness) -> OfficerHarness:
    return harness
