"""/mydata and /deleteme: what is stored about a student, and erasing it."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from storage.models import CaseEvent, CaseFollower
from tests.support.harness import Harness
from tests.support.officer_helpers import case_of, events_of, user_row
from tests.support.student_helpers import (
    officer_press,
    officer_reply,
    seed_cases,
    settle,
    student,
)


async def test_mydata_shows_what_is_stored(harness: Harness) -> None:
    h = harness
    alice = await student(h, username="alice_li")
    await seed_cases(h, alice, 2)
    shown = (await alice.send("/mydata")).text
    user = await user_row(h, 1001)
    assert user is not None and user.consent_at is not None
    for line in (
        "学生之声保存的您的信息",
        "Telegram ID: 1001",
        "姓名: Alice",
        "用户名: @alice_li",
        "语言: 中文",
        "院系: 临床医学院",
        "反馈数量: 2",
        f"同意时间: {h.app.services.renderer.format_time(user.consent_at)}",  # type: ignore[union-attr]
    ):
        assert line in shown, line


async def test_deleteme_erases_the_profile_and_unlinks_the_cases(harness: Harness) -> None:
    h = harness
    alice = await student(h, username="alice_li")
    (named,) = await seed_cases(h, alice, 1)
    (anonymous,) = await seed_cases(h, alice, 1, anonymous=True)
    await officer_press(h, named, "受理")
    assert "Alice" in h.card(named).content

    asked = await alice.send("/deleteme")
    assert "此操作将删除您的个人资料" in asked.text
    assert asked.buttons() == ["删除我的数据", "保留"]
    kept = await alice.press("保留")
    assert kept.messages == [] and asked.last.buttons() == []
    assert (await user_row(h, 1001)) is not None

    await alice.send("/deleteme")
    erased = await alice.press("删除我的数据")
    assert erased.texts == ["您的数据已删除。如需再次使用学生之声，请发送 /start。"]
    assert erased.last.reply_markup == {"remove_keyboard": True}

    assert await user_row(h, 1001) is None
    for number, was_anonymous in ((named, False), (anonymous, True)):
        case = await case_of(h, number)
        # Nobody's any more; the statistics (the anonymous share among them) stay as they were.
        assert (case.submitter_id, case.anonymous) == (None, was_anonymous)
        assert case.state in ("submitted", "accepted")  # the cases stay, to be handled
        assert all(e.actor_id != 1001 for e in await events_of(h, number))
    assert h.app is not None
    async with h.app.session_factory() as session:
        assert not list(await session.scalars(select(CaseFollower)))
        by_her = select(CaseEvent).where(col(CaseEvent.actor_id) == 1001)
        assert not list(await session.scalars(by_her))

    # The officers' card no longer names her.
    card = h.card(named).content
    assert "Alice" not in card and "alice_li" not in card and "tg://user?id=1001" not in card
    assert "提交人: —" in card

    # What the officers send about the case no longer reaches her.
    before = len(alice.saw())
    await officer_reply(h, named, "请问还有其他补充吗？")
    await settle(h)
    assert len(alice.saw()) == before

    # She is a stranger again: nothing but /start and /help until she agrees anew.
    assert "请先发送 /start" in (await alice.send("/my")).text
    old_button = await alice.press("查看进度", alice.message_with(f"编号为 {named}"))
    assert old_button.alert and "请先发送 /start" in (old_button.toast or "")
    assert old_button.messages == []
    assert "隐私说明" in (await alice.send("/start")).text
