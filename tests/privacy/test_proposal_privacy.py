"""A representative's data (PIPL): /mydata shows their roster entry, co-signatures, supports
and follows; /deleteme unlinks the roster entry, withdraws their unsent draft, removes their
supports and co-signatures — except a 附议 that helped a proposal reach the committee, which
keeps counting without a name — and the proposer's name leaves the public channel."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.devkit.emulator import SimUser
from bot.domain.workflow import Action, State
from bot.proposals import cosign as proposal_cosign
from bot.proposals import drafts as proposals
from bot.proposals import views as proposal_views
from storage.crud import proposals as crud
from storage.models import Case, CaseEvent, ProposalCosign, ProposalSupport, Representative, User
from tests.support.officer_helpers import OfficerHarness, case_of, user_of
from tests.support.proposal_helpers import (
    CHANNEL_ID,
    SESSION_NAME,
    officer_act,
    proposals_case,
    seed_congress,
    seed_proposal,
    seed_representative,
)
from tests.support.student_helpers import Talk

BOB = 1002


pytestmark = pytest.mark.harness(channel=True)


def card(h: OfficerHarness, number: str) -> str:
    """The case's card in the officers' chat (the channel's post starts with its number too)."""
    for message in h.emu.bot_messages(h.group.id):
        if number in (message.text or "").split("\n", 1)[0]:
            return message.text or ""
    raise AssertionError(f"no card for {number}")


async def cosign(h: OfficerHarness, number: str, who: SimUser, agreed: bool) -> None:
    assert h.app is not None
    async with h.app.session_factory.begin() as session:
        await proposal_cosign.answer_cosign(
            session=session,
            services=h.app.services,
            case_id=await proposals_case(session, number),
            user=await user_of(session, who),
            agreed=agreed,
        )


async def test_a_representatives_data_shown_and_erased(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None
    session_id = await seed_congress(h, cosigners=2)
    alice, _ = await seed_representative(h, 1001, "陈晓", session_id)
    bob_user, _ = await seed_representative(h, BOB, "王芳", session_id, delegation="护理学院代表团")
    carol, _ = await seed_representative(h, 1003, "赵磊", session_id)
    dave, _ = await seed_representative(h, 1004, "刘洋", session_id)
    bob = Talk(h, bob_user)

    # Registered with Bob's and Carol's 附议; Dave's still collecting (Bob co-signed);
    # Carol's, which Bob declined; and a draft of Bob's own. Bob supports the registered one.
    registered = await seed_proposal(h, alice, cosigners=(bob_user, carol))
    await officer_act(h, registered, Action.ACCEPT)
    collecting = await seed_proposal(h, dave, cosigners=(bob_user,), title="关于增设自习室的提案")
    declined = await seed_proposal(h, carol, title="关于食堂延长营业时间的提案")
    await cosign(h, declined, bob_user, agreed=False)
    async with h.app.session_factory.begin() as session:
        bob_row = await session.get(User, BOB)
        assert bob_row is not None
        draft = await proposals.start_draft(
            session=session, services=h.app.services, user=bob_row, title="关于宿舍热水的提案"
        )
        draft_number = draft.number
        await crud.add_support(
            session=session, case_id=await proposals_case(session, registered), user_id=BOB
        )
    assert "王芳" in card(h, registered)
    assert "陈晓" in (h.emu.bot_messages(CHANNEL_ID)[0].text or "")

    shown = (await bob.send("/mydata")).text
    assert f"学生代表: {SESSION_NAME} · 王芳 · 学号 20231002 · 护理学院代表团" in shown
    assert f"{registered} (附议), {collecting} (附议), {declined} (不附议)" in shown
    assert f"您支持的提案: {registered}" in shown
    assert f"您关注的反馈和提案: {registered}, {collecting}" in shown

    asked = await bob.send("/deleteme")
    assert "学生代表" in asked.text and "不再署名" in asked.text
    await bob.press("删除我的数据")
    await h.settle()

    async with h.app.session_factory() as session:
        rep = await session.scalar(select(Representative).where(Representative.name == "王芳"))
        assert rep is not None and (rep.user_id, rep.linked_at) == (None, None)
        assert rep.invite_code == f"rtest{BOB}"  # he can link a new account with his link
        cosigns = {
            (number, row.user_id, row.agreed)
            for number in (registered, collecting, declined)
            for row in await crud.cosigns_of(
                session=session, case_id=await proposals_case(session, number)
            )
        }
        # His 附议 of the registered proposal counts on, nameless; the others are gone.
        assert cosigns == {(registered, 1003, True), (registered, None, True)}
        assert not list(
            await session.scalars(select(ProposalCosign).where(col(ProposalCosign.user_id) == BOB))
        )
        assert not list(await session.scalars(select(ProposalSupport)))
        by_him = select(CaseEvent).where(
            (col(CaseEvent.actor_id) == BOB) | col(CaseEvent.text).contains("王芳")
        )
        assert not list(await session.scalars(by_him))
        case = await session.get(Case, await proposals_case(session, registered))
        assert case is not None
        view = await proposal_views.build(session=session, services=h.app.services, case=case)
        assert (view.cosigners, view.erased_cosigners, view.cosigner_count) == (["赵磊"], 1, 2)
    assert (await case_of(h, draft_number)).state == State.WITHDRAWN
    with pytest.raises(AssertionError):  # withdrawn unsent, it never reaches the officers
        card(h, draft_number)
    text = card(h, registered)
    assert "王芳" not in text and "附议人: 赵磊、1 位已注销" in text

    # The proposer erases her data too: the public channel's post stops naming her.
    await Talk(h, alice).send("/deleteme")
    await Talk(h, alice).press("删除我的数据")
    await h.settle()
    post = h.emu.bot_messages(CHANNEL_ID)[0].text or ""
    assert "陈晓" not in post and "附议人: 2" in post
    assert "陈晓" not in card(h, registered)
