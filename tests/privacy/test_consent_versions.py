"""A changed privacy notice is asked again; who declines keeps reading but submits nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from storage.models import ConsentRecord
from tests.support.harness import Harness
from tests.support.officer_helpers import user_row
from tests.support.student_helpers import answer, db_cases, seed_cases, student

NEW = "2099-01"
CHANGED = "隐私声明已更新"
REFUSED = "您尚未同意当前的隐私声明"


async def records(h: Harness, user_id: int) -> list[tuple[str, str]]:
    assert h.app is not None
    async with h.app.session_factory() as session:
        rows = await session.scalars(
            select(ConsentRecord)
            .where(col(ConsentRecord.user_id) == user_id)
            .order_by(col(ConsentRecord.id))
        )
        return [(row.version, row.decision) for row in rows]


def change_notice(h: Harness) -> None:
    assert h.app is not None
    h.app.services.org.privacy.notice_version = NEW


async def test_a_changed_notice_is_asked_on_the_next_message(harness: Harness) -> None:
    h = harness
    assert h.app is not None
    alice = await student(h)
    first = h.app.services.org.privacy.notice_version
    assert await records(h, 1001) == [(first, "accepted")]
    (number,) = await seed_cases(h, alice, 1)
    await answer(h, number, "食堂已整改。")

    change_notice(h)
    listed = await alice.send("/my")
    assert CHANGED in listed.texts[0] and listed.buttons(0) == ["同意", "不同意"]
    assert number in listed.text  # what she asked for is answered too

    declined = await alice.press("不同意", listed.messages[0])
    assert "您的答复已记录" in declined.text
    assert await records(h, 1001) == [(first, "accepted"), (NEW, "declined")]
    user = await user_row(h, 1001)
    assert user is not None and user.consent_version == first

    # Declined: not asked on every message; her cases and their answers still open.
    listed = await alice.send("/my")
    assert CHANGED not in listed.text
    opened = await alice.press(number)
    assert "食堂已整改。" in opened.text
    assert (await alice.send("/mydata")).text
    assert "学生之声保存的您的信息" in alice.message_with("Telegram ID").content

    # Nothing new goes in: no new case, no reply to her case, no rating.
    before = len(await db_cases(h))
    refused = await alice.send("/new")
    assert REFUSED in refused.text and refused.buttons() == ["阅读隐私声明"]
    refused = await alice.send("还有一个问题", reply_to=alice.message_with("食堂已整改。"))
    assert REFUSED in refused.text
    assert len(await db_cases(h)) == before

    # The button shows the notice in force; agreeing opens everything again.
    notice = await alice.press("阅读隐私声明", refused.last)
    assert f"隐私声明版本 {NEW}" in notice.text and notice.buttons() == ["同意", "不同意"]
    agreed = await alice.press("同意", notice.last)
    assert "您已同意新的隐私声明" in agreed.text
    assert await records(h, 1001) == [(first, "accepted"), (NEW, "declined"), (NEW, "accepted")]
    user = await user_row(h, 1001)
    assert user is not None and user.consent_version == NEW
    started = await alice.send("/new")
    assert REFUSED not in started.text and CHANGED not in started.text


async def test_a_button_of_an_older_notice_agrees_to_nothing(harness: Harness) -> None:
    h = harness
    alice = await student(h)
    old_notice = await alice.send("/privacy")
    assert "您已于" in old_notice.text and old_notice.buttons() == []  # agreed already

    change_notice(h)
    asked = await alice.send("/help")
    assert CHANGED in asked.texts[0]
    # A forged press on the notice of the version she already had.
    stale = await alice.forge("st:consent:2000-01", asked.messages[0])
    assert CHANGED in stale.text and f"隐私声明版本 {NEW}" in stale.text
    user = await user_row(h, 1001)
    assert user is not None and user.consent_version != NEW


async def test_declining_the_changed_notice_in_english(harness: Harness) -> None:
    h = harness
    emma = await student(h, 1005, "Emma", language="en", college="School of Clinical Medicine")
    change_notice(h)
    asked = await emma.send("/my")
    assert "Our privacy notice has changed" in asked.texts[0]
    await emma.press("I do not agree", asked.messages[0])
    refused = await emma.send("/new")
    assert "You have not agreed to the current privacy notice" in refused.text
    assert refused.buttons() == ["Read the privacy notice"]
