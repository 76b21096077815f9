"""A town hall changed or called off before it is held: an officer edits one field at a time
(a bad edit changes nothing), and when its time or place changes, or it is cancelled with a
reason, each student taking part — who asked, who upvoted, who opted in of its colleges — is
told once. A cancelled session is listed as 已取消 in the bot and on the web board, takes no
more questions, votes, moderation or answers, and its unanswered questions can still become
cases. Only officers, only in the officers' chat."""

from __future__ import annotations

from datetime import datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import select

from storage.models import Case, TownHall, TownHallQuestion
from tests.stories.test_townhall import (
    ASKER,
    ASKER_NAME,
    DUPER,
    NURSE,
    Q_DUPLICATE,
    Q_LIBRARY,
    Q_SECRET,
    QUIET,
    SECRET,
    SECRET_NAME,
    VOTER,
    create,
    local,
    question_ids,
)
from tests.support.board_helpers import serving_board
from tests.support.board_lists_helpers import PERSONAL
from tests.support.officer_helpers import (
    OfficerHarness,
    freeze_clock,
    received,
    say,
    seed_student,
)
from tests.support.student_helpers import Talk

FAN = 1007
NEW_PLACE = "图书馆一楼报告厅"


async def town_hall_row(h: OfficerHarness, town_hall_id: int) -> TownHall:
    assert h.app is not None
    async with h.app.session_factory() as session:
        row = await session.get(TownHall, town_hall_id)
    assert row is not None
    return row


def minute(moment: datetime) -> datetime:
    """As an officer types it."""
    return moment.replace(second=0, microsecond=0)


def shape(row: TownHall) -> tuple[object, ...]:
    return (
        row.title,
        row.held_at,
        row.place,
        row.attendees,
        row.opens_at,
        row.closes_at,
        row.colleges,
        row.cancelled_at,
    )


class Taking:
    """A session with a named and an anonymous question, an upvoter, an opted-in student of
    its college, and two who must hear nothing: an opted-in nurse (another college) and a
    student who did nothing."""

    def __init__(self, h: OfficerHarness, box: list[datetime]) -> None:
        self.h, self.box = h, box

    async def setup(self) -> Taking:
        h = self.h
        self.fan = Talk(h, await seed_student(h, FAN, "订阅同学"))
        self.nurse = Talk(h, await seed_student(h, NURSE, "护理同学", college="nursing"))
        await self.fan.send("/townhall on")
        await self.nurse.send("/townhall on")
        self.town_hall = await create(self.h, self.box)
        self.asker = Talk(h, await seed_student(h, ASKER, ASKER_NAME, username="li_my"))
        self.secret = Talk(h, await seed_student(h, SECRET, SECRET_NAME, username="zhao_yt"))
        self.voter = Talk(h, await seed_student(h, VOTER, "投票人"))
        self.quiet = Talk(h, await seed_student(h, QUIET, "旁观者"))
        await self.asker.send(f"/ask {self.town_hall} {Q_LIBRARY}")
        await self.secret.send(f"/ask {self.town_hall} 匿名 {Q_SECRET}")
        ids = await question_ids(h)
        self.q_lib, self.q_sec = ids[Q_LIBRARY], ids[Q_SECRET]
        for qid in (self.q_lib, self.q_sec):
            await say(h, f"/townhall approve {qid}")
        listing = await self.voter.send(f"/questions {self.town_hall}")
        assert not (await self.voter.press(f"👍 #{self.q_lib}", listing.last)).alert
        return self

    def taking_part(self) -> list[Talk]:
        return [self.asker, self.secret, self.voter, self.fan]

    async def footprint(self) -> tuple[tuple[object, ...], dict[int, int]]:
        """The session's fields, and how many messages each student taking part has seen."""
        row = shape(await town_hall_row(self.h, self.town_hall))
        return row, {t.user.id: len(t.saw()) for t in self.taking_part()}

    def counts(self, needle: str) -> dict[int, int]:
        everyone = [*self.taking_part(), self.nurse, self.quiet]
        return {t.user.id: sum(needle in text for text in t.saw()) for t in everyone}


async def test_a_changed_time_or_place_is_told_once_to_each_student_taking_part(
    harness: OfficerHarness,
) -> None:
    h = harness
    s = await Taking(h, freeze_clock(h)).setup()

    await say(h, f"/townhall edit {s.town_hall} 地点 {NEW_PLACE}")
    reply = received(h, h.group)[-1]
    assert NEW_PLACE in reply and "已通知 4 名" in reply, reply
    told = s.counts(NEW_PLACE)
    assert told == {ASKER: 1, SECRET: 1, VOTER: 1, FAN: 1, NURSE: 0, QUIET: 0}
    assert any("有变动" in t and "原为 学生活动中心报告厅" in t for t in s.voter.saw())
    # Nothing in the officers' chat says who was told.
    group = "\n".join(received(h, h.group))
    assert SECRET_NAME not in group and "zhao_yt" not in group

    # A new title is the officers' business: nobody is told.
    await say(h, f"/townhall edit {s.town_hall} 标题 校领导面对面·第二期")
    assert "第二期" in received(h, h.group)[-1]
    assert all(n == 0 for n in s.counts("第二期").values())

    new_time = s.box[0] + timedelta(days=5)
    await say(h, f"/townhall edit {s.town_hall} 时间 {local(h, new_time)}")
    assert s.counts(local(h, new_time)) == {
        ASKER: 1,
        SECRET: 1,
        VOTER: 1,
        FAN: 1,
        NURSE: 0,
        QUIET: 0,
    }
    row = await town_hall_row(h, s.town_hall)
    assert (row.title, row.place) == ("校领导面对面·第二期", NEW_PLACE)
    assert row.held_at == minute(new_time)
    home = await s.quiet.send("/townhall")
    assert NEW_PLACE in home.text and local(h, new_time) in home.text

    # The window and the colleges are edited the same way, and checked.
    opens, closes = s.box[0] - timedelta(hours=2), s.box[0] + timedelta(days=4)
    await say(h, f"/townhall edit {s.town_hall} 征集 {local(h, opens)} | {local(h, closes)}")
    before = s.counts("第二期")
    await say(h, f"/townhall edit {s.town_hall} 学院 clinical,nursing")
    # Opened to another college: its opted-in students hear of it now, and only they.
    assert "另外通知 1 名" in received(h, h.group)[-1], received(h, h.group)[-1]
    after = s.counts("第二期")
    assert {uid: after[uid] - before[uid] for uid in after} == {
        ASKER: 0,
        SECRET: 0,
        VOTER: 0,
        FAN: 0,
        NURSE: 1,
        QUIET: 0,
    }
    row = await town_hall_row(h, s.town_hall)
    assert (row.opens_at, row.closes_at) == (minute(opens), minute(closes))
    assert row.colleges == ["clinical", "nursing"]
    assert "已收到" in (await s.nurse.send(f"/ask {s.town_hall} {Q_DUPLICATE}")).text


async def test_a_bad_edit_is_answered_with_its_form_and_changes_nothing(
    harness: OfficerHarness,
) -> None:
    h = harness
    s = await Taking(h, freeze_clock(h)).setup()
    before = await s.footprint()
    closes = s.box[0] + timedelta(days=2)
    refusals = {
        "": "/townhall edit 活动编号 字段 新值",
        f"{s.town_hall}": "/townhall edit 活动编号 字段 新值",
        f"{s.town_hall} 颜色 红色": "/townhall edit 活动编号 字段 新值",
        f"{s.town_hall} 地点": "/townhall edit 活动编号 字段 新值",
        f"{s.town_hall} 地点 东区 | 西区": "/townhall edit 活动编号 字段 新值",
        f"{s.town_hall} 时间 下周三下午": "YYYY-MM-DD HH:MM",
        # Held before its questions close: the window must end first.
        f"{s.town_hall} 时间 {local(h, closes - timedelta(hours=1))}": "征集",
        f"{s.town_hall} 征集 {local(h, closes)}": "/townhall edit 活动编号 字段 新值",
        f"{s.town_hall} 征集 {local(h, closes)} | {local(h, s.box[0])}": "征集",
        f"{s.town_hall} 学院 clinical,nowhere": "学院代码",
        f"999 地点 {NEW_PLACE}": "没有这场",
    }
    for args, expected in refusals.items():
        await say(h, f"/townhall edit {args}")
        answer = received(h, h.group)[-1]
        assert expected in answer, (args, answer)
        assert await s.footprint() == before, args

    # Once held, a session is no longer edited.
    s.box[0] += timedelta(days=3, minutes=1)
    await say(h, f"/townhall edit {s.town_hall} 地点 {NEW_PLACE}")
    assert "已经举行" in received(h, h.group)[-1]
    assert await s.footprint() == before


@pytest.mark.harness(board_enabled=True)
async def test_a_cancelled_session_is_told_listed_as_cancelled_and_takes_nothing_more(
    harness: OfficerHarness,
) -> None:
    h = harness
    s = await Taking(h, freeze_clock(h)).setup()
    duper = Talk(h, await seed_student(h, DUPER, "重复者"))
    await duper.send(f"/ask {s.town_hall} {Q_DUPLICATE}")
    q_dup = (await question_ids(h))[Q_DUPLICATE]
    listing = await s.asker.send(f"/questions {s.town_hall}")

    await say(h, f"/townhall cancel {s.town_hall}")
    assert "须说明理由" in received(h, h.group)[-1]
    assert (await town_hall_row(h, s.town_hall)).cancelled_at is None

    await say(h, f"/townhall cancel {s.town_hall} 报告厅临时检修，另行通知")
    reply = received(h, h.group)[-1]
    assert "已取消" in reply and "已通知 5 名" in reply, reply
    told = s.counts("报告厅临时检修")
    assert told == {ASKER: 1, SECRET: 1, VOTER: 1, FAN: 1, NURSE: 0, QUIET: 0}
    assert sum("报告厅临时检修" in t for t in duper.saw()) == 1  # asked, still pending

    # Nothing more is taken: questions, votes, moderation, answers, edits, a second cancel.
    asked = await s.quiet.send(f"/ask {s.town_hall} {Q_DUPLICATE}")
    assert "已取消" in asked.text
    voted = await s.asker.press(f"👍 #{s.q_sec}", listing.last)
    assert voted.alert and "已取消" in (voted.toast or "")
    for command in (
        f"/townhall approve {q_dup}",
        f"/townhall reject {q_dup} 重复",
        f"/townhall merge {q_dup} {s.q_lib}",
        f"/townhall answer {s.q_lib} 分管副校长 | 考试周延长开放。",
        f"/townhall edit {s.town_hall} 地点 {NEW_PLACE}",
        f"/townhall cancel {s.town_hall} 再取消一次",
    ):
        await say(h, command)
        assert "已取消" in received(h, h.group)[-1], command
    assert h.app is not None
    async with h.app.session_factory() as session:
        rows = {q.id: q for q in await session.scalars(select(TownHallQuestion))}
    assert rows[q_dup].status == "pending" and rows[s.q_lib].answer is None
    assert set(await question_ids(h)) == {Q_LIBRARY, Q_SECRET, Q_DUPLICATE}

    # Listed as cancelled, with no invitation to ask and no 👍 to press.
    home = await s.quiet.send("/townhall")
    assert "已取消" in home.text and "报告厅临时检修" in home.text
    assert f"/ask {s.town_hall}" not in home.text
    shown = await s.voter.send(f"/questions {s.town_hall}")
    assert "已取消" in shown.text and Q_LIBRARY in shown.text and not shown.last.buttons()

    # The session will not answer them: an unanswered question can still become a case.
    await say(h, f"/townhall case {s.q_lib}")
    assert any(f"#{s.q_lib} 已转为诉求" in t for t in received(h, h.group))
    async with h.app.session_factory() as session:
        question = await session.get(TownHallQuestion, s.q_lib)
        assert question is not None and question.case_id is not None
        assert (await session.get(Case, question.case_id)) is not None

    async with serving_board(h) as base, aiohttp.ClientSession() as client:
        async with client.get(f"{base}/board/townhalls") as response:
            assert response.status == 200
            listed = await response.text()
        async with client.get(f"{base}/board/townhalls/{s.town_hall}") as response:
            assert response.status == 200
            page = await response.text()
    assert "校领导面对面·第一期" in listed and "已取消" in listed
    assert "已取消" in page and "报告厅临时检修" in page and Q_LIBRARY in page
    assert "start=townhall_" not in page
    for personal in (ASKER_NAME, SECRET_NAME, *PERSONAL):
        assert personal not in listed and personal not in page


async def test_only_an_officer_in_the_officers_chat_edits_or_cancels(
    harness: OfficerHarness,
) -> None:
    h = harness
    s = await Taking(h, freeze_clock(h)).setup()
    before = await s.footprint()

    # A member of the officers' chat who is no officer.
    stranger = h.emu.add_user(7001, "路人")
    h.group.add_member(stranger)
    await say(h, f"/townhall cancel {s.town_hall} 不办了", who=stranger)
    await say(h, f"/townhall edit {s.town_hall} 地点 {NEW_PLACE}", who=stranger)
    # An officer, in another group and in a private chat with the bot.
    other = h.emu.add_group(chat_id=-100555, title="闲聊群")
    assert h.officer is not None
    other.add_member(h.officer)
    await say(h, f"/townhall cancel {s.town_hall} 不办了", chat=other)
    await say(h, f"/townhall edit {s.town_hall} 地点 {NEW_PLACE}", chat=other)
    await h.officer.send(f"/townhall cancel {s.town_hall} 不办了")
    await h.settle()

    assert await s.footprint() == before
    assert not any("不办了" in t or NEW_PLACE in t for t in received(h, other))
    assert not any("已取消" in t for t in received(h, h.officer))
