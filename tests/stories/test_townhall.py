"""The face-to-face town hall (面对面): an officer creates a session, the students who opted
in (of its colleges) are told, students ask, officers moderate (approve, reject with a
reason, merge duplicates with their votes), students upvote once, the ranked list is exported,
answers reach the asker and the upvoters, an unanswered question becomes a case with its
votes as followers. No list shows who asked."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.cli import main
from storage.models import (
    Case,
    CaseFollower,
    TownHall,
    TownHallOptIn,
    TownHallQuestion,
    TownHallVote,
    User,
)
from storage.types import utcnow
from tests.support.harness import reset_database
from tests.support.officer_helpers import (
    OfficerHarness,
    advance,
    freeze_clock,
    received,
    say,
    seed_student,
)
from tests.support.student_helpers import Talk

ASKER, ASKER_NAME = 1001, "李明远"
SECRET, SECRET_NAME = 1002, "赵雨桐"
DUPER, VOTER, NURSE, QUIET = 1003, 1004, 1005, 1006
Q_LIBRARY = "图书馆能否在考试周延长开放到凌晨一点？"
Q_SECRET = "宿舍楼的热水经常中断，学校有没有改造计划？"
Q_DUPLICATE = "考试周图书馆可以晚些关门吗？"
Q_SPAM = "哈哈哈哈哈哈"


def local(h: OfficerHarness, moment: datetime) -> str:
    assert h.app is not None
    return h.app.services.renderer.format_time(moment)


async def create(h: OfficerHarness, box: list[datetime], colleges: str = "clinical") -> int:
    now = box[0]
    form = " | ".join(
        [
            "校领导面对面·第一期",
            local(h, now + timedelta(days=3)),
            "学生活动中心报告厅",
            "分管副校长、后勤保障处",
            local(h, now - timedelta(hours=1)),
            local(h, now + timedelta(days=2)),
            colleges,
        ]
    )
    await say(h, f"/townhall new {form}")
    created = received(h, h.group)[-1]
    found = re.search(r"#(\d+)", created)
    assert found and "校领导面对面·第一期" in created, created
    return int(found.group(1))


async def question_ids(h: OfficerHarness) -> dict[str, int]:
    assert h.app is not None
    async with h.app.session_factory() as session:
        rows = await session.scalars(select(TownHallQuestion))
        return {q.text: q.id or 0 for q in rows}


async def test_a_session_is_announced_to_the_students_who_opted_in(
    harness: OfficerHarness,
) -> None:
    h = harness
    box = freeze_clock(h)
    fan = Talk(h, await seed_student(h, ASKER, ASKER_NAME))
    quiet = Talk(h, await seed_student(h, QUIET, "不订阅"))
    nurse = Talk(h, await seed_student(h, NURSE, "护理同学", college="nursing"))
    assert "将收到" in (await fan.send("/townhall on")).text
    await nurse.send("/townhall on")
    await say(h, "/townhall new 只有标题")
    assert "/townhall new" in received(h, h.group)[-1]

    town_hall = await create(h, box)

    assert any("校领导面对面·第一期" in t and f"/ask {town_hall}" in t for t in fan.saw())
    assert not any("校领导面对面" in t for t in quiet.saw())
    assert not any("校领导面对面" in t for t in nurse.saw())  # not for 护理学院
    listed = await quiet.send("/townhall")
    assert "校领导面对面·第一期" in listed.text and "/townhall on" in listed.text


async def test_questions_are_moderated_upvoted_exported_answered_and_made_cases(
    harness: OfficerHarness,
) -> None:
    h = harness
    box = freeze_clock(h)
    town_hall = await create(h, box)
    asker = Talk(h, await seed_student(h, ASKER, ASKER_NAME, username="li_my"))
    secret = Talk(h, await seed_student(h, SECRET, SECRET_NAME, username="zhao_yt"))
    duper = Talk(h, await seed_student(h, DUPER, "重复者"))
    voter = Talk(h, await seed_student(h, VOTER, "投票人"))

    assert "已收到" in (await asker.send(f"/ask {town_hall} {Q_LIBRARY}")).text
    await secret.send(f"/ask {town_hall} 匿名 {Q_SECRET}")
    await duper.send(f"/ask {town_hall} {Q_DUPLICATE}")
    await duper.send(f"/ask {town_hall} {Q_SPAM}")
    ids = await question_ids(h)
    q_lib, q_sec, q_dup, q_spam = (ids[t] for t in (Q_LIBRARY, Q_SECRET, Q_DUPLICATE, Q_SPAM))

    group = "\n".join(received(h, h.group))
    assert Q_SECRET in group and SECRET_NAME not in group and "zhao_yt" not in group
    assert ASKER_NAME in group  # a named question's moderation message names its asker

    # Nothing is listed before the officers approve it.
    assert Q_LIBRARY not in (await voter.send(f"/questions {town_hall}")).text

    moderation = next(m for m in h.emu.bot_messages(h.group.id) if Q_LIBRARY in (m.text or ""))
    assert h.officer is not None
    await h.officer.press(moderation, f"✅ 通过 #{q_lib}")
    await h.settle()
    for qid in (q_sec, q_dup):
        await say(h, f"/townhall approve {qid}")
    await say(h, f"/townhall reject {q_spam}")  # no reason
    assert "理由" in received(h, h.group)[-1]
    await say(h, f"/townhall reject {q_spam} 与学校事务无关")
    assert any("与学校事务无关" in t for t in duper.saw())
    assert any(f"#{q_lib}" in t and "已通过" in t for t in asker.saw())

    # Votes: once each; the duplicate's votes go with it into the question it repeats.
    listing = await voter.send(f"/questions {town_hall}")
    first = await voter.press(f"👍 #{q_dup}", listing.last)
    assert not first.alert
    again = await voter.press(f"👍 #{q_dup}", listing.last)
    assert again.alert and "已经" in (again.toast or "")
    await secret.send(f"/questions {town_hall}")
    await secret.press(f"👍 #{q_lib}")
    await say(h, f"/townhall merge {q_dup} {q_lib}")
    assert any(f"#{q_lib}" in t and "合并" in t for t in duper.saw())
    mine = await asker.send(f"/questions {town_hall}")
    own = await asker.press(f"👍 #{q_sec}", mine.last)
    assert not own.alert
    assert h.app is not None
    async with h.app.session_factory() as session:
        votes = list(await session.scalars(select(TownHallVote)))
    by_question: dict[int, set[int]] = {}
    for v in votes:
        by_question.setdefault(v.question_id, set()).add(v.user_id)
    assert by_question[q_lib] == {VOTER, SECRET, DUPER}
    assert by_question[q_sec] == {ASKER}

    # A rejected question cannot be upvoted, nor a vote be forged onto it.
    refused = await voter.forge(f"th:vote:{q_spam}", listing.last)
    assert refused.alert and "通过" in (refused.toast or "")

    # Export: ranked, with counts, never who asked.
    await say(h, f"/townhall export {town_hall}")
    files = [m for m in h.emu.bot_messages(h.group.id) if m.kind == "document"]
    names = {h.emu.world.files[m.file_ids[0]].file_name: m for m in files}
    assert set(names) == {f"townhall-{town_hall}.html", f"townhall-{town_hall}.xlsx"}
    page = h.emu.world.files[names[f"townhall-{town_hall}.html"].file_ids[0]].data.decode()
    assert page.index(Q_LIBRARY) < page.index(Q_SECRET)
    assert Q_SPAM not in page and Q_DUPLICATE not in page
    book = load_workbook(
        io.BytesIO(h.emu.world.files[names[f"townhall-{town_hall}.xlsx"].file_ids[0]].data)
    )
    rows = [list(r) for r in book.active.iter_rows(min_row=3, values_only=True)]  # type: ignore[union-attr]
    assert [(r[0], r[2], r[3]) for r in rows] == [(1, Q_LIBRARY, 3), (2, Q_SECRET, 1)]
    for identity in (ASKER_NAME, SECRET_NAME, "li_my", "zhao_yt", str(ASKER), str(SECRET)):
        assert identity not in page
        assert all(identity not in str(cell) for row in rows for cell in row)

    # An answer reaches the asker and everyone who upvoted.
    await say(h, f"/townhall answer {q_lib} 分管副校长 | 考试周起图书馆开放至凌晨一点。")
    for talk in (asker, voter, secret, duper):
        assert any("开放至凌晨一点" in t and "分管副校长" in t for t in talk.saw()), talk.user.id
    await say(h, f"/townhall answer {q_lib} 校长 | 再答一次")
    assert "已经回答" in received(h, h.group)[-1]

    # The anonymous, unanswered question becomes a case: its asker the sealed author, its
    # votes its followers.
    await say(h, f"/townhall list {town_hall}")
    listed = h.emu.bot_messages(h.group.id)[-1]
    await h.officer.press(listed, f"📂 转为诉求 #{q_sec}")
    await h.settle()
    async with h.app.session_factory() as session:
        question = await session.get(TownHallQuestion, q_sec)
        assert question is not None and question.case_id is not None
        case = await session.get(Case, question.case_id)
        followers = set(
            await session.scalars(
                select(col(CaseFollower.user_id)).where(col(CaseFollower.case_id) == case.id)  # type: ignore[union-attr]
            )
        )
    assert case is not None and case.anonymous and case.submitter_id is None
    assert case.author_sealed and case.text == Q_SECRET
    assert followers == {ASKER}
    assert any(case.number in t for t in secret.saw())
    await say(h, f"/townhall case {q_sec}")
    assert "已转为诉求" in received(h, h.group)[-1]


async def test_refusals_change_nothing(harness: OfficerHarness) -> None:
    h = harness
    box = freeze_clock(h)
    town_hall = await create(h, box)
    nurse = Talk(h, await seed_student(h, NURSE, "护理同学", college="nursing"))
    asker = Talk(h, await seed_student(h, ASKER, ASKER_NAME))

    other = await nurse.send(f"/ask {town_hall} {Q_LIBRARY}")
    assert "不面向你所在的学院" in other.text
    assert h.app is not None
    async with h.app.session_factory.begin() as session:
        await session.execute(update(User).where(col(User.id) == NURSE).values(locale="en"))
    english = await nurse.send(f"/ask {town_hall} {Q_LIBRARY}")
    assert "not for students of your college" in english.text
    assert "没有这场" in (await asker.send(f"/ask 999 {Q_LIBRARY}")).text
    assert "5" in (await asker.send(f"/ask {town_hall} 短")).text
    await asker.send(f"/ask {town_hall} {Q_LIBRARY}")
    ids = await question_ids(h)
    await say(h, f"/townhall approve {ids[Q_LIBRARY]}")
    listing = await asker.send(f"/questions {town_hall}")
    own = await asker.forge(f"th:vote:{ids[Q_LIBRARY]}", listing.last)
    assert own.alert and "自己" in (own.toast or "")

    advance(box, days=2, hours=1)
    closed = await asker.send(f"/ask {town_hall} {Q_SECRET}")
    assert "已截止" in closed.text
    assert set(await question_ids(h)) == {Q_LIBRARY}


def test_the_command_line_exports_the_ranked_list(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def seeded() -> None:
        engine = await reset_database(database_url)
        try:
            async with AsyncSession(engine) as session, session.begin():
                now = utcnow()
                town_hall = TownHall(
                    title="面对面",
                    held_at=now,
                    place="礼堂",
                    attendees="校长",
                    opens_at=now,
                    closes_at=now,
                )
                session.add(town_hall)
                await session.flush()
                assert town_hall.id is not None
                few = TownHallQuestion(
                    town_hall_id=town_hall.id, text=Q_SECRET, asker_id=ASKER, status="approved"
                )
                many = TownHallQuestion(
                    town_hall_id=town_hall.id, text=Q_LIBRARY, asker_id=SECRET, status="approved"
                )
                hidden = TownHallQuestion(town_hall_id=town_hall.id, text=Q_SPAM, status="rejected")
                session.add_all([few, many, hidden])
                await session.flush()
                session.add_all(
                    [TownHallVote(question_id=many.id or 0, user_id=u) for u in (1, 2)]
                    + [TownHallVote(question_id=few.id or 0, user_id=3)]
                )
        finally:
            await engine.dispose()

    asyncio.run(seeded())
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["townhall", "export", "9", "--out", str(tmp_path / "th")]) == 2
    assert main(["townhall", "export", "1", "--out", str(tmp_path / "th.html")]) == 0
    page = (tmp_path / "th.html").read_text(encoding="utf-8")
    assert page.index(Q_LIBRARY) < page.index(Q_SECRET) and Q_SPAM not in page
    sheet = load_workbook(tmp_path / "th.xlsx").active
    assert sheet is not None
    rows = [(r[0], r[2], r[3]) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert rows == [(1, Q_LIBRARY, 2), (2, Q_SECRET, 1)]


async def test_deleteme_takes_the_students_votes_opt_in_and_asker(harness: OfficerHarness) -> None:
    h = harness
    box = freeze_clock(h)
    town_hall = await create(h, box)
    asker = Talk(h, await seed_student(h, ASKER, ASKER_NAME))
    secret = Talk(h, await seed_student(h, SECRET, SECRET_NAME))
    await secret.send("/townhall on")
    await asker.send(f"/ask {town_hall} {Q_LIBRARY}")
    await secret.send(f"/ask {town_hall} 匿名 {Q_SECRET}")
    ids = await question_ids(h)
    await say(h, f"/townhall approve {ids[Q_LIBRARY]}")
    await secret.send(f"/questions {town_hall}")
    await secret.press(f"👍 #{ids[Q_LIBRARY]}")

    await secret.send("/deleteme")
    await secret.press("删除我的数据")

    assert h.app is not None
    async with h.app.session_factory() as session:
        assert [v.user_id for v in await session.scalars(select(TownHallVote))] == []
        assert list(await session.scalars(select(TownHallOptIn))) == []
        question = await session.get(TownHallQuestion, ids[Q_SECRET])
        assert question is not None and question.text == Q_SECRET
        assert (question.asker_id, question.asker_sealed, question.asker_tag) == (None, None, None)
        named = await session.get(TownHallQuestion, ids[Q_LIBRARY])
        assert named is not None and named.asker_id == ASKER
