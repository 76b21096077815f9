"""Writing a proposal (/propose), collecting co-signatures (附议) through the share link, the
window closing on a proposal with too few; roster invites; non-representatives refused."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.core.callbacks import CosignCB
from bot.domain.workflow import State
from bot.proposals.cosign import close_expired_windows
from tests.support.officer_helpers import OfficerHarness, case_of, received, seed_student
from tests.support.proposal_helpers import (
    MEASURES,
    PROBLEM,
    REASONS,
    SESSION_NAME,
    TITLE,
    buttons,
    seed_congress,
    seed_proposal,
    seed_representative,
    seed_representatives,
)
from tests.support.student_helpers import Talk, newcomer

LINK = re.compile(r"https://t\.me/\w+\?start=(cosign_\d+)")
NOT_REPRESENTATIVE = "只有本届学代会的学生代表"


async def test_a_representative_writes_a_proposal_and_three_answer_its_link(
    harness: OfficerHarness,
) -> None:
    h = harness
    session_id = await seed_congress(h, cosigners=2)
    alice_user, bob_user, carol_user, dave_user = await seed_representatives(
        h, session_id, 1001, 1002, 1003, 1004
    )
    eve = Talk(h, await seed_student(h, 1005, "Eve"))
    alice, bob, carol, dave = (Talk(h, u) for u in (alice_user, bob_user, carol_user, dave_user))

    status = (await alice.send("/start")).text
    assert SESSION_NAME in status and "陈晓" in status and "/propose" in status
    assert SESSION_NAME not in (await eve.send("/start")).text

    # The dialogue: a bad title is refused and asked again, the rest goes step by step.
    assert "标题" in (await alice.send("/propose")).text
    again = await alice.send("短")
    assert "4" in again.text and "80" in again.text and "标题" in again.text
    assert "案由" in (await alice.send("关于延长考试周图书馆开放的提案")).text
    assert "理由" in (await alice.send(PROBLEM)).text
    assert "建议措施" in (await alice.send(REASONS)).text
    assert "类别" in (await alice.send(MEASURES)).text
    assert "承办部门" in (await alice.press("教学教务")).text
    assert "附件" in (await alice.press("图书馆")).text
    assert "1/5" in (await alice.photo()).text
    preview = await alice.press("完成")
    assert "关于延长考试周图书馆开放的提案" in preview.text and "图书馆" in preview.text
    assert "附件：1" in preview.text.replace(": ", "：")
    # Edit a field from the preview; the dialogue comes back to the preview.
    await alice.press("✏️ 标题")
    preview = await alice.send(TITLE)
    assert TITLE in preview.text and "发起附议" in " ".join(preview.buttons())
    case = await case_of(h, _number_in(preview.text))
    number = case.number
    assert (await case_of(h, number)).state == State.DRAFT

    sent = await alice.press("✍️ 发起附议")
    link = LINK.search(sent.text)
    assert link is not None and "2" in sent.text
    assert (await case_of(h, number)).state == State.COSIGNING
    assert not [t for t in received(h, h.group) if number in t]  # the committee sees nothing yet

    # Doors: a non-representative, and the proposer, may not co-sign.
    assert NOT_REPRESENTATIVE in (await eve.send(f"/start {link.group(1)}")).text
    forged = await eve.forge(CosignCB(action="yes", case_id=case.id or 0).pack())
    assert forged.alert and NOT_REPRESENTATIVE in (forged.toast or "")
    assert "不能附议自己的提案" in (await alice.send(f"/start {link.group(1)}")).text

    request = await bob.send(f"/start {link.group(1)}")
    assert TITLE in request.text and PROBLEM in request.text and "0/2" in request.text
    await bob.press("不附议")
    assert "刘洋" in alice.last.content and "不附议" in alice.last.content
    assert "已经回应" in (await bob.send(f"/start {link.group(1)}")).text

    await carol.send(f"/start {link.group(1)}")
    assert "已附议" in (await carol.press("✍️ 附议")).text
    assert "王芳" in alice.last.content and "1" in alice.last.content
    assert (await case_of(h, number)).state == State.COSIGNING

    await dave.send(f"/start {link.group(1)}")
    await dave.press("✍️ 附议")
    assert (await case_of(h, number)).state == State.SUBMITTED
    assert "已提交提案委员会" in alice.last.content
    for cosigner in (carol, dave):
        assert number in cosigner.last.content and "您附议的" in cosigner.last.content
    assert "提交" not in received(h, bob_user)[-1]  # who declined hears nothing more

    text = h.card(number).text or ""
    assert TITLE in text and "王芳、赵磊" in text and "陈晓" in text and SESSION_NAME in text
    assert buttons(h, number) == ["立案", "不予立案", "合并", "转为意见建议", "认领", "指派…"]
    assert any(m.kind == "photo" for m in h.emu.bot_messages(h.group.id))

    # A non-representative cannot even start; who has not accepted the privacy notice
    # cannot read the proposals.
    assert NOT_REPRESENTATIVE in (await eve.send("/propose")).text
    stranger = newcomer(h, 1099, "Stranger")
    assert "/start" in (await stranger.send("/proposals")).text


async def test_a_draft_is_kept_between_visits_and_can_be_withdrawn(
    harness: OfficerHarness,
) -> None:
    h = harness
    session_id = await seed_congress(h)
    alice = Talk(h, (await seed_representative(h, 1001, "陈晓", session_id))[0])
    await alice.send("/propose")
    await alice.send(TITLE)
    await alice.send(PROBLEM)
    await alice.send("/cancel")

    resumed = await alice.send("/propose")
    assert TITLE in resumed.text and "继续编辑草稿" in resumed.buttons()
    assert "理由" in (await alice.press("继续编辑草稿")).text  # where it was left
    await alice.send(REASONS)
    await alice.send(MEASURES)
    await alice.press("其他")
    await alice.press("不确定")
    preview = await alice.press("完成")
    assert PROBLEM in preview.text and "不确定" not in preview.text
    saved = await alice.press("💾 保存草稿")
    number = _number_in(saved.text)
    assert "已保存" in saved.text

    await alice.send("/propose")
    assert MEASURES in (await alice.press("继续编辑草稿")).text  # complete: the preview again
    assert "已撤回" in (await alice.press("🗑 撤回")).text
    assert (await case_of(h, number)).state == State.WITHDRAWN
    assert "标题" in (await alice.send("/propose")).text  # nothing left to continue


async def test_the_window_closes_on_a_proposal_with_too_few_cosigners(
    harness: OfficerHarness,
) -> None:
    h = harness
    assert h.app is not None
    session_id = await seed_congress(h, cosigners=2, closes_in_days=2)
    alice_user, carol_user, late_user = await seed_representatives(h, session_id, 1001, 1003, 1004)
    number = await seed_proposal(h, alice_user, cosigners=(carol_user,))
    case = await case_of(h, number)
    assert case.state == State.COSIGNING

    closed = h.app.services.now() + timedelta(days=2, minutes=1)
    assert h.app.jobs is not None
    await h.app.jobs.tick(closed)  # the scheduler's minute tick runs the check
    await h.settle()
    assert (await case_of(h, number)).state == State.DRAFT
    told = received(h, alice_user)[-1]
    assert number in told and "1" in told and "2" in told and "未能提交" in told and "草稿" in told
    assert number in received(h, carol_user)[-1] and "未能提交" in received(h, carol_user)[-1]
    assert not [t for t in received(h, h.group) if number in t]
    # Nothing is left to close the next time.
    again = await close_expired_windows(
        session_factory=h.app.session_factory, services=h.app.services, now=closed
    )
    assert again == 0

    # After the close, the link refuses co-signers and /propose says the window is shut.
    h.app.services.clock = lambda: closed
    late = Talk(h, late_user)
    assert "不在征集附议" in (await late.send(f"/start cosign_{case.id}")).text
    assert "已于" in (await Talk(h, alice_user).send("/propose")).text


async def test_the_invite_link_links_one_account_once(harness: OfficerHarness) -> None:
    h = harness
    session_id = await seed_congress(h)
    _, code = await seed_representative(h, 1001, "孙悦", session_id, onboarded=False)
    frank = Talk(h, h.emu.user(1001))

    linked = await frank.send(f"/start {code}")
    assert "孙悦" in linked.text and SESSION_NAME in linked.text
    assert "同意" in linked.buttons()  # the privacy notice follows: the bot is used on consent
    await frank.press("同意")
    welcome = await frank.press("中文")  # the college comes from the roster: not asked
    assert "临床医学院" in welcome.text
    assert SESSION_NAME in (await frank.send("/start")).text

    george = Talk(h, h.emu.add_user(1002, "George", language_code="zh-hans"))
    assert "已被另一个账号使用" in (await george.send(f"/start {code}")).text
    assert "无效" in (await george.send("/start rnosuchcode")).text
    assert "孙悦" in (await frank.send(f"/start {code}")).text  # the same person: still linked


def _number_in(text: str) -> str:
    found = re.search(r"P\d{4}-\d{4}", text)
    assert found, text
    return found.group(0)
