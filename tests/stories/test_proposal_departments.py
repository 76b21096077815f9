"""A proposal assigned (交办) to two departments: the deadline the committee chose on the card
and in /queue, each department's liaison reminded of its own part, and the proposer's comment
on the answers reaching both departments."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.casework.deadlines import calendar_of
from bot.departments import answers as department_answers
from bot.devkit.emulator import SimUser
from bot.domain.workflow import Action, Actor, Part, Role, State
from bot.proposals import decisions as proposal_decisions
from storage.models import ProposalAssignment
from tests.support.deadline_helpers import plain_monday
from tests.support.harness import OFFICERS_CHAT
from tests.support.officer_helpers import (
    OfficerHarness,
    card,
    case_of,
    freeze_clock,
    received,
    say,
    user_of,
)
from tests.support.proposal_helpers import (
    officer_act,
    parts_of,
    proposals_case,
    seed_congress,
    seed_liaison,
    seed_proposal,
    seed_representative,
)
from tests.support.student_helpers import Talk

TWO = ["library", "logistics"]


def when(h: OfficerHarness, moment: datetime | None) -> str:
    assert h.app is not None
    return h.app.services.renderer.format_time(moment)


async def registered(h: OfficerHarness) -> tuple[SimUser, str]:
    """A proposal needing no co-signers, submitted and registered (立案): (proposer, number)."""
    session_id = await seed_congress(h, cosigners=0)
    proposer, _ = await seed_representative(h, 1001, "陈晓", session_id)
    number = await seed_proposal(h, proposer)
    await officer_act(h, number, Action.ACCEPT)
    return proposer, number


async def assign(h: OfficerHarness, number: str, days: int) -> None:
    assert h.app is not None and h.officer is not None
    async with h.app.session_factory.begin() as session:
        await proposal_decisions.assign(
            session=session,
            services=h.app.services,
            case_id=await proposals_case(session, number),
            actor=Actor(h.officer.id, Role.OFFICER, OFFICERS_CHAT),
            departments=TWO,
            days=days,
        )
    h.app.worker.wake()
    await h.settle()


async def answer(h: OfficerHarness, part_id: int, liaison: SimUser, publish: bool) -> None:
    """A liaison's answer for their part, published by an officer when `publish`."""
    assert h.app is not None and h.officer is not None
    async with h.app.session_factory.begin() as session:
        await department_answers.draft_answer(
            session=session,
            services=h.app.services,
            assignment_id=part_id,
            user=await user_of(session, liaison),
            chat_id=liaison.id,
            text="本部门已研究并将于下学期落实该提案提出的措施。",
        )
    if publish:
        async with h.app.session_factory.begin() as session:
            await department_answers.approve_answer(
                session=session,
                services=h.app.services,
                assignment_id=part_id,
                actor=Actor(h.officer.id, Role.OFFICER, OFFICERS_CHAT),
            )
    h.app.worker.wake()
    await h.settle()


async def test_the_card_and_queue_show_the_deadline_chosen_at_assignment(
    harness: OfficerHarness,
) -> None:
    h = harness
    assert h.app is not None and h.officer is not None
    monday = plain_monday(h)
    clock = freeze_clock(h, at=monday)
    _proposer, number = await registered(h)
    calendar = calendar_of(h.app.services)
    policy_answer = calendar.add_working_days(monday, 15)  # from submission, by the policy

    clock[0] = monday + timedelta(hours=1)
    await h.press_card(number, "交办承办部门")
    for button in ("图书馆", "后勤保障处", "20 个工作日", "确定"):
        await h.officer.press(h.card(number), button)
        await h.settle()
    due = calendar.add_working_days(clock[0], 20)
    assert policy_answer is not None and due is not None and policy_answer < due

    # The departments have until the chosen day, so the proposal's answer is due then too.
    case = await case_of(h, number)
    assert (case.department_due_at, case.answer_due_at) == (due, due)
    assert {part.due_at for part in await parts_of(h, number)} == {due}
    text = card(h, number).text or ""
    assert f"办理时限: {when(h, due)}" in text and f"部门答复期限: {when(h, due)}" in text
    assert "已超时" not in text
    await say(h, "/queue")
    queue = h.last(h.group).text or ""
    assert number in queue and when(h, due)[5:] in queue and "⚠️" not in queue

    # Past the policy's fifteen days but within the chosen twenty: nobody is late.
    clock[0] = policy_answer + timedelta(hours=1)
    assert await h.app.jobs.reminders(clock[0]) in (0, None)  # type: ignore[union-attr]
    await say(h, "/queue")
    assert "⚠️" not in (h.last(h.group).text or "")


async def _liaison_and_clock(h: OfficerHarness) -> tuple[datetime, list[datetime], SimUser]:
    """A plain Monday on a frozen clock, and the library's liaison."""
    monday = plain_monday(h)
    clock = freeze_clock(h, at=monday)
    return monday, clock, await seed_liaison(h, 8001, "李老师", "library")


async def _assigned_to_two(h: OfficerHarness) -> tuple[str, dict[str, ProposalAssignment]]:
    """A registered proposal handed to the library and logistics with five working days."""
    _proposer, number = await registered(h)
    await assign(h, number, days=5)
    return number, {part.department_code: part for part in await parts_of(h, number)}


async def test_each_departments_liaison_is_reminded_of_its_own_part(
    harness: OfficerHarness,
) -> None:
    h = harness
    monday, clock, li = await _liaison_and_clock(h)
    zhou = await seed_liaison(h, 8002, "周老师", "logistics")
    number, parts = await _assigned_to_two(h)
    due = parts["library"].due_at
    assert due is not None and due == monday + timedelta(days=7)  # the next Monday 10:00

    # Tuesday 09:30, the morning after: both departments are late, each told of its part.
    tuesday = datetime.combine((monday + timedelta(days=8)).date(), time(9, 30), monday.tzinfo)
    clock[0] = tuesday
    assert await h.app.jobs.reminders(tuesday) == 2  # the two liaisons; the officers are not late
    await h.settle()
    for liaison, department in ((li, "图书馆"), (zhou, "后勤保障处")):
        text = received(h, liaison)[-1]
        assert f"督办提醒 · {department}" in text, department
        assert f"{number} · 教学教务 · 期限 {when(h, due)[5:]} · 超时 23 小时" in text, text

    # The library answers (its part goes to the officers' review): only logistics still owes.
    library_before = len(received(h, li))
    await answer(h, parts["library"].id or 0, li, publish=False)
    wednesday = tuesday + timedelta(days=1)
    clock[0] = wednesday
    assert await h.app.jobs.reminders(wednesday) == 1
    await h.settle()
    assert number in received(h, zhou)[-1] and "督办提醒" in received(h, zhou)[-1]
    assert not any("督办提醒" in t for t in received(h, li)[library_before:])


async def test_the_officers_reminder_names_every_department_still_owing(
    harness: OfficerHarness,
) -> None:
    h = harness
    monday, clock, li = await _liaison_and_clock(h)
    number, parts = await _assigned_to_two(h)

    # Three weeks on, a Tuesday morning: the proposal's answer is late, and both still owe.
    tuesday = datetime.combine((monday + timedelta(days=22)).date(), time(9, 30), monday.tzinfo)
    clock[0] = tuesday
    assert await h.app.jobs.reminders(tuesday)
    await h.settle()
    line = next(t for t in (h.last(h.group).text or "").splitlines() if number in t)
    assert "图书馆、后勤保障处" in line, line

    await answer(h, parts["library"].id or 0, li, publish=False)
    wednesday = tuesday + timedelta(days=1)
    clock[0] = wednesday
    assert await h.app.jobs.reminders(wednesday)
    await h.settle()
    line = next(t for t in (h.last(h.group).text or "").splitlines() if number in t)
    assert "后勤保障处" in line and "图书馆" not in line, line


async def test_the_proposers_comment_reaches_the_departments(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None
    li = await seed_liaison(h, 8001, "李老师", "library")
    zhou = await seed_liaison(h, 8002, "周老师", "logistics")
    proposer, number = await registered(h)
    await assign(h, number, days=10)
    for part in await parts_of(h, number):
        liaison = li if part.department_code == "library" else zhou
        await answer(h, part.id or 0, liaison, publish=True)
    assert (await case_of(h, number)).state == State.ANSWERED

    alice = Talk(h, proposer)
    await alice.press("不满意")
    await alice.send("开放时间还是不够，希望能到凌晨两点。")
    assert (await case_of(h, number)).state == State.REOPENED
    assert "凌晨两点" in received(h, h.group)[-1]  # the officers' thread, as before
    for liaison in (li, zhou):
        last = Talk(h, liaison).last
        assert number in last.content and "不满意" in last.content, liaison.first_name
        assert "凌晨两点" in last.content and "复核" in last.content
        # The part is the department's again: the buttons to answer come with the comment.
        assert "撰写答复" in last.buttons()[0][0]
    assert {p.status for p in await parts_of(h, number)} == {Part.ASSIGNED}
