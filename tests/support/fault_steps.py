"""The steps of the main stories, each brought about in a fresh world, performed, and checked:
what the fault matrix (tests/reliability/test_fault_matrix.py) breaks one call or one commit at
a time.

A step is prepared with the shared helpers up to the moment before it, then performed as the
people in it would (a press, a reply); `verify` asserts that it took effect exactly once and
that everyone concerned was told so exactly once. The chats a step talks to have roles
("student", "officers", "proposer", "cosigner"), so a call is named by its method, the role
of its chat and its rank among the step's calls of that method to that chat.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.devkit.scenario import CASE_NUMBER
from bot.domain.workflow import State
from storage.crud import proposals as proposals_crud
from tests.support.officer_helpers import (
    ACCEPT,
    ANSWER,
    ASK_INFO,
    OfficerHarness,
    act,
    case_of,
    events_of,
    forward,
    press,
    preview,
    reply_to_prompt,
    seed_case,
    seed_student,
    send_preview,
)
from tests.support.proposal_helpers import seed_congress, seed_proposal, seed_representative
from tests.support.student_helpers import ANSWER_TEXT, Reply, Talk, db_cases

INFO_QUESTION = "请提供具体楼号和楼层。"
INFO_TEXT = "3号楼2层东侧。"


@dataclass
class Story:
    """A world brought up to a step, and what the step left behind to check."""

    h: OfficerHarness
    chats: dict[str, int]
    number: str = ""
    talk: Talk | None = None
    replies: list[Reply] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    @property
    def person(self) -> Talk:
        assert self.talk is not None
        return self.talk


@dataclass(frozen=True)
class Step:
    prepare: Callable[[OfficerHarness], Awaitable[Story]]
    perform: Callable[[Story], Awaitable[None]]
    verify: Callable[[Story], Awaitable[None]]


# -- what people were told ----------------------------------------------------------------------


def told(story: Story, role: str, needle: str) -> list[str]:
    """The bot's messages in the role's chat that contain `needle` (as they read now)."""
    messages = story.h.emu.bot_messages(story.chats[role])
    return [m.content for m in messages if needle in m.content]


def told_once(story: Story, role: str, needle: str) -> None:
    found = told(story, role, needle)
    assert len(found) == 1, f"{role} was told {needle!r} {len(found)} times: {found!r}"


def one_card(story: Story, state_label: str) -> None:
    cards = [
        m
        for m in story.h.emu.bot_messages(story.chats["officers"])
        if story.number in m.content.split("\n", 1)[0] and "状态: " in m.content
    ]
    assert len(cards) == 1, f"{len(cards)} cards for {story.number}"
    assert f"状态: {state_label}" in cards[0].content


async def happened_once(story: Story, action: str, text: str | None = None) -> None:
    events = await events_of(story.h, story.number)
    found = [e for e in events if e.action == action]
    assert len(found) == 1, f"{action!r} in {[e.action for e in events]!r}"
    if text is not None:
        assert found[0].text == text


def toasted(story: Story, text: str | None) -> None:
    """Every button pressed in the step stopped spinning, the last one with `text`."""
    answers = story.h.emu.callback_answers
    assert all(query in answers for query in story.queries)
    assert answers[story.queries[-1]][0] == text


# -- the world before each step -----------------------------------------------------------------


async def _with_case(h: OfficerHarness, *buttons: str) -> Story:
    alice = await seed_student(h, 1001, "Alice")
    story = Story(h, {"student": alice.id, "officers": h.group.id}, talk=Talk(h, alice))
    story.number = await seed_case(h, alice)
    for button in buttons:
        await press(h, story.number, button)
    return story


async def _answered(h: OfficerHarness) -> Story:
    story = await _with_case(h, ACCEPT)
    await act(h, story.number, ANSWER, ANSWER_TEXT)
    return story


# -- submit: the student presses 提交 on the preview ---------------------------------------------


async def prepare_submit(h: OfficerHarness) -> Story:
    alice = await seed_student(h, 1001, "Alice")
    talk = Talk(h, alice)
    await talk.to_preview()
    return Story(h, {"student": alice.id, "officers": h.group.id}, talk=talk)


async def perform_submit(story: Story) -> None:
    story.replies.append(await story.person.press(0))


async def verify_submit(story: Story) -> None:
    cases = await db_cases(story.h)
    assert [(c.submitter_id, c.state) for c in cases] == [(story.chats["student"], "submitted")]
    story.number = cases[0].number
    await happened_once(story, "submit")
    told_once(story, "student", "已收到")
    confirmation = told(story, "student", "已收到")[0]
    found = CASE_NUMBER.search(confirmation)
    assert found is not None and found.group(0) == story.number
    assert story.replies[0].toast == "已提交"
    one_card(story, "待受理")


# -- add info: the student replies to the officers' request with the information ---------------


async def prepare_add_info(h: OfficerHarness) -> Story:
    story = await _with_case(h, ACCEPT)
    await act(h, story.number, ASK_INFO, INFO_QUESTION)
    return story


async def perform_add_info(story: Story) -> None:
    talk = story.person
    await talk.send(INFO_TEXT, reply_to=talk.message_with("补充以下信息"))


async def verify_add_info(story: Story) -> None:
    assert (await case_of(story.h, story.number)).state == State.ACCEPTED
    await happened_once(story, "provide_info", INFO_TEXT)
    told_once(story, "student", f"已添加到 {story.number}")
    told_once(story, "officers", INFO_TEXT)
    one_card(story, "已受理")


# -- accept: 受理 on the card -------------------------------------------------------------------


async def prepare_accept(h: OfficerHarness) -> Story:
    return await _with_case(h)


async def perform_accept(story: Story) -> None:
    story.queries.append(await press(story.h, story.number, ACCEPT))


async def verify_accept(story: Story) -> None:
    assert (await case_of(story.h, story.number)).state == State.ACCEPTED
    await happened_once(story, "accept")
    told_once(story, "student", "已由权益部受理")
    toasted(story, "完成")
    one_card(story, "已受理")


# -- forward: 转办, then the department ---------------------------------------------------------


async def prepare_forward(h: OfficerHarness) -> Story:
    return await _with_case(h, ACCEPT)


async def perform_forward(story: Story) -> None:
    h = story.h
    mark = len(h.emu.requests)
    await forward(h, story.number)
    story.queries = [
        str(r.params["callback_query_id"])
        for r in h.emu.requests[mark:]
        if r.method == "answerCallbackQuery" and r.ok
    ]


async def verify_forward(story: Story) -> None:
    case = await case_of(story.h, story.number)
    assert (case.state, case.department_code) == (State.IN_PROGRESS, "logistics")
    await happened_once(story, "forward")
    told_once(story, "student", "已转交后勤保障处办理")
    told_once(story, "officers", "转办单")
    toasted(story, "完成")
    one_card(story, "办理中")


# -- answer: the reply to the bot's request, then 发送 on the preview ----------------------------


async def prepare_answer(h: OfficerHarness) -> Story:
    return await _with_case(h, ACCEPT, ANSWER)


async def perform_answer(story: Story) -> None:
    await reply_to_prompt(story.h, ANSWER_TEXT)
    story.queries.append(await send_preview(story.h))


async def verify_answer(story: Story) -> None:
    case = await case_of(story.h, story.number)
    assert case.state == State.ANSWERED
    await happened_once(story, "answer", ANSWER_TEXT)
    told_once(story, "student", ANSWER_TEXT)
    told_once(story, "officers", "已向同学发送答复")
    toasted(story, "已发送。")
    one_card(story, "已答复")
    try:
        preview(story.h)
    except AssertionError:
        pass  # sent: no preview waits for 发送 any more
    else:
        raise AssertionError("the preview still offers 发送 after the answer was sent")


# -- rate and rate-and-reopen: 满意 / 不满意 on the answer --------------------------------------


async def perform_rate(story: Story, button: str) -> None:
    talk = story.person
    story.replies.append(await talk.press(button, talk.message_with(ANSWER_TEXT)))


async def verify_rate(story: Story) -> None:
    case = await case_of(story.h, story.number)
    assert (case.state, case.rating) == (State.CLOSED, 3)
    await happened_once(story, "rate_satisfied")
    told_once(story, "student", f"反馈 {story.number} 已办结")
    told_once(story, "officers", "同学对答复的评价为满意")
    assert story.replies[0].toast == "满意"
    assert story.person.message_with(ANSWER_TEXT).buttons() == []
    one_card(story, "已办结")


async def verify_reopen(story: Story) -> None:
    case = await case_of(story.h, story.number)
    assert (case.state, case.rating, case.reopen_count) == (State.REOPENED, 1, 1)
    await happened_once(story, "rate_unsatisfied")
    told_once(story, "student", "已重新开启")
    told_once(story, "officers", "同学对答复不满意")
    assert story.replies[0].toast == "不满意"
    assert story.person.message_with(ANSWER_TEXT).buttons() == []
    one_card(story, "复核中")


# -- co-sign: a representative's 附议 that completes a proposal ---------------------------------


async def prepare_cosign(h: OfficerHarness) -> Story:
    session_id = await seed_congress(h, cosigners=1)
    proposer, _ = await seed_representative(h, 1101, "陈晓", session_id)
    cosigner, _ = await seed_representative(h, 1102, "刘洋", session_id)
    number = await seed_proposal(h, proposer)
    story = Story(
        h,
        {"proposer": proposer.id, "cosigner": cosigner.id, "officers": h.group.id},
        number=number,
        talk=Talk(h, cosigner),
    )
    case = await case_of(h, number)
    await story.person.send(f"/start cosign_{case.id}")
    return story


async def perform_cosign(story: Story) -> None:
    story.replies.append(await story.person.press("✍️ 附议"))


async def verify_cosign(story: Story) -> None:
    h = story.h
    case = await case_of(h, story.number)
    assert case.state == State.SUBMITTED and case.id is not None
    async with h.app.session_factory() as session:  # type: ignore[union-attr]
        cosigns = await proposals_crud.cosigns_of(session=session, case_id=case.id)
    assert [c.user_id for c in cosigns] == [story.chats["cosigner"]]
    await happened_once(story, "cosign")
    told_once(story, "proposer", "附议人数已满")
    told_once(story, "cosigner", "您已附议提案")
    told_once(story, "cosigner", "您附议的提案")
    one_card(story, "待立案审查")


STEPS: dict[str, Step] = {
    "submit": Step(prepare_submit, perform_submit, verify_submit),
    "add_info": Step(prepare_add_info, perform_add_info, verify_add_info),
    "accept": Step(prepare_accept, perform_accept, verify_accept),
    "forward": Step(prepare_forward, perform_forward, verify_forward),
    "answer": Step(prepare_answer, perform_answer, verify_answer),
    "rate": Step(_answered, lambda story: perform_rate(story, "满意"), verify_rate),
    "reopen": Step(_answered, lambda story: perform_rate(story, "不满意"), verify_reopen),
    "cosign": Step(prepare_cosign, perform_cosign, verify_cosign),
}


def role_of(story: Story, chat_id: int | None) -> str:
    for role, chat in story.chats.items():
        if chat == chat_id:
            return role
    return f"chat {chat_id}"
