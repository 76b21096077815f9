"""Semester reviews (述职评议): a round opened for the presidium and department heads; the panel
(representatives, staff by a link) scores them in private, one tap a dimension, skipping and
changing until they submit; reminders to those who have not voted; results to the committee
chat only after the round closes with a quorum, never a figure scored by fewer than three."""

from __future__ import annotations

import io
import uuid
from datetime import date, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import SQLModel

from bot.core.callbacks import ReviewCB
from storage.models_reviews import ReviewBallot
from tests.support.officer_helpers import OfficerHarness, freeze_clock
from tests.support.review_helpers import (
    COMMENT,
    COMMITTEE_CHAT,
    OPEN,
    SUBMIT,
    committee,
    deliver,
    open_round,
    panel_of_reps,
    score,
    tick,
    vote,
    with_button,
)
from tests.support.student_helpers import Talk, student

NOT_VOTED = "您还没有投票"


async def dump(h: OfficerHarness) -> dict[str, list[dict[str, object]]]:
    """Every row of every table."""
    assert h.app is not None
    found: dict[str, list[dict[str, object]]] = {}
    async with h.app.session_factory() as session:
        for table in SQLModel.metadata.sorted_tables:
            rows = (await session.execute(select(table))).mappings().all()
            found[table.name] = [dict(row) for row in rows]
    return found


async def ballot_ids(h: OfficerHarness) -> set[str]:
    assert h.app is not None
    async with h.app.session_factory() as session:
        return set(await session.scalars(select(ReviewBallot.id)))


def documents(h: OfficerHarness) -> dict[str, bytes]:
    found = {}
    for message in h.emu.bot_messages(COMMITTEE_CHAT):
        if message.kind == "document":
            record = h.emu.world.files[message.file_ids[0]]
            if not (record.file_name or "").startswith("review-"):
                continue  # the weekly digest shares the chat (and the scheduler's tick)
            found[(record.file_name or "").rsplit(".", 1)[-1]] = record.data
    return found


def shown(talk: Talk) -> str:
    """The ballot as the person sees it now."""
    return with_button(talk, SUBMIT).content


def texts(h: OfficerHarness, chat: int) -> str:
    return "\n".join(m.text or "" for m in h.emu.bot_messages(chat))


async def test_a_round_from_ballots_to_the_committee_report(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None and h.admin is not None
    clock = freeze_clock(h)
    start = clock[0]
    await committee(h)
    chen, liu, wang = await panel_of_reps(h, 1001, 1002, 1003)
    opened = await open_round(h, start, staff=[("王老师", "学生工作部")])
    assert opened.told == 3 and [(n, u) for n, u, _ in opened.links] == [("王老师", "学生工作部")]
    for rep in (chen, liu, wang):
        assert "述职评议" in rep.saw()[-1] and OPEN in [t for t, _ in rep.last.buttons()]

    # Chen: taps, changes his mind, takes a score back, skips, comments, submits.
    await chen.press(OPEN, with_button(chen, OPEN))
    assert "赵一鸣" in shown(chen) and "1/3" in shown(chen)
    await score(chen, 0, 3)
    await score(chen, 0, 5)
    assert "[5]" in [t for t, _ in with_button(chen, SUBMIT).buttons()]
    assert "政治态度: 5" in shown(chen)
    for dim, value in ((1, 4), (2, 4), (3, 5), (4, 2), (4, 2)):  # the last tap takes 2 back
        await score(chen, dim, value)
    assert "纪律作风: —" in shown(chen)
    await chen.press(COMMENT, with_button(chen, SUBMIT))
    await chen.send('=HYPERLINK("x") 工作认真，沟通及时')
    assert "工作认真" in shown(chen)
    await chen.press("下一位 ▶", with_button(chen, SUBMIT))
    await chen.press("跳过 ▶", with_button(chen, SUBMIT))  # 钱二 skipped
    for dim in range(5):
        await score(chen, dim, 3)  # 孙三
    cast = await chen.press(SUBMIT, with_button(chen, SUBMIT))
    assert "评议票已提交（评了 2 人）" in cast.text
    first_ids = await ballot_ids(h)
    assert len(first_ids) == 2

    # A second submission, and a press on the old ballot: refused, nothing changed.
    again = await chen.forge(ReviewCB(op="submit", round_id=1).pack())
    assert "已提交本轮评议票" in again.text
    tapped = await chen.forge(ReviewCB(op="score", round_id=1, dim=0, score=1).pack())
    assert "已提交本轮评议票" in tapped.text
    assert await ballot_ids(h) == first_ids

    # Someone not on the panel has no ballot, and a forged press is refused.
    outsider = await student(h, 1010, "路人")
    assert "不在述职评议的评议组" in (await outsider.send("/review")).text
    forged = await outsider.forge(ReviewCB(op="score", round_id=1, dim=0, score=5).pack())
    assert "不在述职评议的评议组" in forged.text

    # The staff member joins by her link (after the privacy notice) and votes.
    teacher = await student(h, 1004, "王老师")
    link = opened.links[0][2]
    await teacher.send(f"/start {link}")
    assert "赵一鸣" in shown(teacher)
    stranger = await student(h, 1011, "别人")
    assert "已被他人使用" in (await stranger.send(f"/start {link}")).text
    await vote(teacher, (4, 4, 4, 4, 4), (), (2, 2, 2, 2, 2))

    # The secrecy check: two have voted; nothing in the tables ties a ballot to either.
    tables = await dump(h)
    assert tables["review_drafts"] == []
    ballots = tables["review_ballots"]
    assert len(ballots) == 4 and not first_ids & {b["id"] for b in ballots}  # all rewritten
    assert set(ballots[0]) == {
        "id", "round_id", "reviewee_id", "political", "moral", "study", "work", "discipline",
        "comment",
    }  # fmt: skip
    for row in ballots:
        assert uuid.UUID(str(row["id"])).version == 4
        assert not any(isinstance(v, datetime | date) for v in row.values())
    seats = tables["review_panel"]
    assert not any(isinstance(v, datetime | date) for s in seats for v in s.values())
    assert sorted(s["user_id"] for s in seats if s["voted"]) == [1001, 1004]
    keys = {str(b["id"]) for b in ballots}
    for name, rows in tables.items():
        if name == "review_ballots":
            continue
        for row in rows:
            # No other row names a ballot, nor carries what could (its key, in any column).
            assert not keys & {str(v) for v in row.values()}, name
            assert not any(k in str(row.get("payload", "")) for k in keys), name

    # A day later: a reminder to those who have not voted, and to nobody else.
    clock[0] = start + timedelta(days=1, minutes=1)
    await tick(h, clock[0])
    for rep in (liu, wang):
        assert NOT_VOTED in rep.saw()[-1]
    assert not any(NOT_VOTED in t for t in chen.saw() + teacher.saw())

    # Results are not given before the round closes.
    await h.admin.send("/review results", chat=h.emu.group(COMMITTEE_CHAT))
    await h.settle()
    assert "评议结束后才公布结果" in texts(h, COMMITTEE_CHAT)
    await h.admin.send("/review status", chat=h.emu.group(COMMITTEE_CHAT))
    await h.settle()
    assert "已投票：2 / 4（50%）" in texts(h, COMMITTEE_CHAT)
    assert not documents(h)

    await vote(liu, (5, 5, 5, 5, 5), (), (4, 4, 4, 4, 4))

    # The deadline passes: the round closes, the report reaches the committee.
    clock[0] = start + timedelta(days=3, minutes=1)
    await tick(h, clock[0])
    await wang.press(OPEN, with_button(wang, OPEN))
    assert "已截止" in wang.saw()[-1]
    said = texts(h, COMMITTEE_CHAT)
    assert "已投票：3 / 4（75%）" in said and "法定人数：3" in said
    assert "赵一鸣 (主席团成员): 4.67" in said
    assert "钱二 (权益部部长): 评分人数少于 3 人" in said
    files = documents(h)
    assert set(files) == {"html", "xlsx"}
    html = files["html"].decode("utf-8")
    assert "4.67" in html and "工作认真" in html and "少于 3 人" in html
    assert "王老师" not in html and "陈晓" not in html  # no voter is named
    book = load_workbook(io.BytesIO(files["xlsx"]))
    rows = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    political = next(r for r in rows if r[0] == "赵一鸣" and r[3] == "政治态度")
    assert political[4:] == [4.67, 3, 0, 0, 0, 1, 2]  # 4, 5, 5: average, count, spread
    comment = book.worksheets[1]["B2"]
    assert comment.value.startswith("=HYPERLINK") and comment.data_type == "s"


async def test_without_a_quorum_there_are_no_results(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None and h.admin is not None
    clock = freeze_clock(h)
    await committee(h)
    chen, _liu, _wang = await panel_of_reps(h, 1001, 1002, 1003)
    await open_round(h, clock[0])
    await vote(chen, (5, 5, 5, 5, 5), (4, 4, 4, 4, 4), (3, 3, 3, 3, 3))
    clock[0] += timedelta(days=3, minutes=1)
    await tick(h, clock[0])
    said = texts(h, COMMITTEE_CHAT)
    assert "未达法定人数" in said and "已投票：1 / 3（33%）" in said
    assert "赵一鸣" not in said and not documents(h)
    before = len(h.emu.bot_messages(COMMITTEE_CHAT))
    await h.admin.send("/review results", chat=h.emu.group(COMMITTEE_CHAT))
    await h.settle()
    assert "未达法定人数" in texts(h, COMMITTEE_CHAT) and not documents(h)
    assert len(h.emu.bot_messages(COMMITTEE_CHAT)) == before + 1

    # /deleteme unlinks a seat; the panel keeps its size, so the turnout is unchanged.
    await chen.send("/deleteme")
    assert "您的数据已删除" in (await chen.press("删除我的数据")).text
    seats = sorted((await dump(h))["review_panel"], key=lambda seat: int(str(seat["id"])))
    assert [(s["user_id"], s["voted"]) for s in seats] == [
        (None, True),
        (1002, False),
        (1003, False),
    ]

    # Nor does anyone outside the committee chat get them.
    talk: Talk = await student(h, 1020, "同学")
    assert "只有委员会群" in (await talk.send("/review results")).text
    await deliver(h)
