"""The public channel's post of a registered proposal carries a link into the bot: a reader who
follows it (/start proposal_<id>) sees the proposal with its follow and support buttons; someone
new to the bot gets the privacy notice first."""

from __future__ import annotations

import pytest

from bot.domain.workflow import Action
from tests.support.officer_helpers import OfficerHarness, case_of, seed_student
from tests.support.proposal_helpers import (
    CHANNEL_ID,
    TITLE,
    officer_act,
    seed_congress,
    seed_proposal,
    seed_representatives,
)
from tests.support.student_helpers import Talk, newcomer

pytestmark = pytest.mark.harness(channel=True)


def link_button(h: OfficerHarness) -> tuple[str, str]:
    (post,) = h.emu.bot_messages(CHANNEL_ID)
    assert post.reply_markup is not None
    ((button,),) = post.reply_markup["inline_keyboard"]
    return button["text"], button["url"]


async def test_the_channel_post_links_to_the_proposal_in_the_bot(h: OfficerHarness) -> None:
    session_id = await seed_congress(h)
    alice, carol, dave = await seed_representatives(h, session_id, 1001, 1003, 1004)
    number = await seed_proposal(h, alice, cosigners=(carol, dave))
    await officer_act(h, number, Action.ACCEPT)
    case_id = (await case_of(h, number)).id

    text, url = link_button(h)
    assert text == "👍 在机器人中支持或关注"
    assert url == f"https://t.me/{h.emu.bot_username}?start=proposal_{case_id}"
    payload = url.split("?start=")[1]

    eve = Talk(h, await seed_student(h, 1005, "Eve"))
    opened = await eve.send(f"/start {payload}")
    assert number in opened.text and TITLE in opened.text
    assert opened.buttons() == ["关注", "👍 支持 (0)"]
    supported = await eve.press("👍 支持 (0)")
    assert "感谢" in (supported.toast or "")

    # The post is edited as the proposal moves on; the link stays under it.
    assert h.officer is not None
    await h.press_card(number, "交办承办部门")
    for button in ("图书馆", "15 个工作日", "确定"):
        await h.officer.press(h.card(number), button)
        await h.settle()
    (post,) = h.emu.bot_messages(CHANNEL_ID)
    assert post.edited and "图书馆" in (post.text or "")
    assert link_button(h)[1] == url

    stranger = newcomer(h, 1006, "Frank")
    notice = await stranger.send(f"/start {payload}")
    assert "隐私说明" in notice.text and notice.buttons() == ["同意", "不同意"]


@pytest.fixture
def h(harness: OfficerHarness) -> OfficerHarness:
    return harness
