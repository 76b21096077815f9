"""/mydata sends two files with every row stored about the student, and nothing of others.

The registry test walks every table: a column that can hold a person's id must be declared in
`storage.crud.personal_rows.REGISTRY`, as exported or as not about the person (and why).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import BigInteger, func, select
from sqlmodel import SQLModel, col

from bot.cases.mutes import seal_held
from bot.domain.workflow import Action
from storage.crud.personal_rows import REGISTRY, Exported
from storage.models import (
    Case,
    CollegeFollow,
    HeldMessage,
    Mute,
    OutboxMessage,
    PendingInput,
    ProposalAssignment,
    RoleGrant,
    StoredFile,
    TownHall,
    TownHallOptIn,
    TownHallQuestion,
    TownHallVote,
)
from storage.models_reviews import PanelMember, ReviewRound
from storage.types import utcnow
from tests.support.harness import Harness
from tests.support.officer_helpers import OfficerHarness
from tests.support.proposal_helpers import (
    officer_act,
    proposals_case,
    seed_congress,
    seed_proposal,
    seed_representative,
)
from tests.support.student_helpers import Talk, officer_reply, seed_cases, student

BOB = 1002
# Names that say a column holds someone's Telegram id, whatever its type.
PERSON_COLUMN_NAMES = {
    "user_id",
    "submitter_id",
    "actor_id",
    "last_actor_id",
    "officer_id",
    "liaison_id",
    "recipient_user_id",
    "granted_by",
    "chat_id",
    "owner_id",
}


def person_columns() -> set[tuple[str, str]]:
    """Every (table, column) that can hold a person's id: Telegram ids are 64-bit, so every
    BigInteger column, and every column named like one."""
    found = set()
    for table in SQLModel.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, BigInteger) or column.name in PERSON_COLUMN_NAMES:
                found.add((table.name, column.name))
    return found


def test_every_column_that_can_hold_a_person_is_declared() -> None:
    declared = {(table, column) for table, columns in REGISTRY.items() for column in columns}
    missing = person_columns() - declared
    assert not missing, f"declare these in storage/crud/personal_rows.REGISTRY: {sorted(missing)}"
    # And no line is left for a column that no longer exists.
    tables = SQLModel.metadata.tables
    stale = {(t, c) for t, c in declared if t not in tables or c not in tables[t].columns}
    assert not stale, f"REGISTRY names columns that do not exist: {sorted(stale)}"


def export_files(h: Harness, user_id: int) -> tuple[dict[str, Any], str]:
    """The JSON (parsed) and the HTML the bot sent the person last."""
    found: dict[str, bytes] = {}
    for message in h.emu.bot_messages(user_id):
        if message.kind == "document":
            record = h.emu.world.files[message.file_ids[0]]
            found[(record.file_name or "").rsplit(".", 1)[-1]] = record.data
    assert set(found) == {"json", "html"}, found.keys()
    return json.loads(found["json"]), found["html"].decode("utf-8")


def keys_in(section: str, data: dict[str, Any]) -> set[Any]:
    """How the export names the rows of one section: ids, or case numbers, or message ids."""
    if section == "profile":
        return {data["profile"]["telegram_id"]}
    if section in ("follows", "supports", "college_follows"):
        return {row["case"] for row in data[section]}
    if section == "message_links":
        return {row["message_id"] for row in data[section]}
    if section == "town_hall_votes":
        return {row["question"] for row in data[section]}
    if section == "town_hall_optin":
        return {row["user_id"] for row in data[section]}
    return {row["id"] for row in data[section]}


async def stored_keys(h: Harness, table: str, column: str, section: str, before: int) -> set[Any]:
    """The rows the database links to the person through `column`, named as `keys_in` does;
    outbox rows up to `before` (the export's own messages come after what it holds)."""
    assert h.app is not None
    sa_table = SQLModel.metadata.tables[table]
    where = sa_table.c[column] == BOB
    if table == "outbox":
        where &= sa_table.c.id <= before
    async with h.app.session_factory() as session:
        rows = (await session.execute(select(sa_table).where(where))).all()
        numbers = dict((await session.execute(select(Case.id, Case.number))).all())
    if section == "profile":
        return {row.id for row in rows}
    if section in ("follows", "supports", "college_follows"):
        return {numbers[row.case_id] for row in rows}
    if section == "message_links":
        return {row.message_id for row in rows}
    if section == "town_hall_votes":
        return {row.question_id for row in rows}
    if section == "town_hall_optin":
        return {row.user_id for row in rows}
    return {row.id for row in rows}


@pytest.mark.harness(channel=True)
async def test_mydata_holds_every_row_stored_about_the_student(harness: OfficerHarness) -> None:
    h = harness
    assert h.app is not None
    session_id = await seed_congress(h, cosigners=2)
    alice, _ = await seed_representative(h, 1001, "陈晓", session_id)
    bob_user, _ = await seed_representative(h, BOB, "王芳", session_id)
    carol, _ = await seed_representative(h, 1003, "赵磊", session_id)
    bob = Talk(h, bob_user)

    # A consent record: the notice changes and Bob agrees again.
    h.app.services.org.privacy.notice_version = "2099-01"
    asked = await bob.send("/help")
    assert "隐私声明已更新" in asked.text
    await bob.press("同意", bob.message_with("隐私声明已更新"))

    # His cases, one anonymous; an officer's reply he received and an internal note he did not;
    # a photo he added by replying.
    (named,) = await seed_cases(h, bob, 1)
    (anonymous,) = await seed_cases(h, bob, 1, anonymous=True)
    await officer_reply(h, named, "请问具体是哪一栋楼？")
    await officer_reply(h, named, "#内部 这位同学上周也反映过")
    await bob.photo("3号楼，见照片", reply_to=bob.message_with("请问具体是哪一栋楼"))

    # A proposal he co-signs (and so follows) and supports once registered.
    registered = await seed_proposal(h, alice, cosigners=(bob_user, carol))
    await officer_act(h, registered, Action.ACCEPT)
    async with h.app.session_factory.begin() as session:
        registered_id = await proposals_case(session, registered)
        # What staff work leaves: a role, a department's part, an officer's prompt.
        session.add(RoleGrant(user_id=BOB, role="liaison", department_code="logistics"))
        # A representative's 关注 on a case of his college.
        session.add(CollegeFollow(case_id=registered_id, user_id=BOB))
        # 面对面: a question he asked, his vote on another's, his opt-in.
        town_hall = TownHall(
            title="面对面",
            held_at=utcnow(),
            place="礼堂",
            attendees="校长",
            opens_at=utcnow(),
            closes_at=utcnow(),
        )
        session.add(town_hall)
        await session.flush()
        assert town_hall.id is not None
        own_question = TownHallQuestion(
            town_hall_id=town_hall.id, text="图书馆开放时间", asker_id=BOB
        )
        other = TownHallQuestion(town_hall_id=town_hall.id, text="食堂价格", asker_id=1001)
        session.add_all([own_question, other])
        await session.flush()
        assert other.id is not None
        session.add(TownHallVote(question_id=other.id, user_id=BOB))
        session.add(TownHallOptIn(user_id=BOB))
        session.add(
            ProposalAssignment(case_id=registered_id, department_code="logistics", liaison_id=BOB)
        )
        session.add(
            PendingInput(
                case_id=registered_id,
                action="comment",
                officer_id=BOB,
                chat_id=-100123,
                prompt_row_id=987654,
                expires_at=utcnow(),
            )
        )
        # A seat on a semester review's panel (述职评议); his ballots would name no one.
        review = ReviewRound(semester="2026-fall", deadline=utcnow() + timedelta(days=3))
        session.add(review)
        await session.flush()
        assert review.id is not None
        session.add(
            PanelMember(round_id=review.id, kind="representative", name="王芳", user_id=BOB)
        )
    assert registered in (await bob.send("/proposals")).text
    await bob.press(registered)
    assert (await bob.press("👍 支持 (0)")).alert

    # A mute, with a message held under it that the officers have not received yet.
    async with h.app.session_factory.begin() as session:
        mute = Mute(user_id=BOB, until=utcnow() + timedelta(days=1), reason="刷屏", officer_id=7)
        session.add(mute)
        await session.flush()
        assert mute.id is not None
        sealed = seal_held(h.app.services, None, {"text": "禁言期间写的补充"})
        session.add(HeldMessage(mute_id=mute.id, payload=sealed))

    async with h.app.session_factory() as session:
        before = await session.scalar(select(func.max(OutboxMessage.id)))
    reply = await bob.send("/mydata")
    assert "学生之声保存的您的信息" in reply.text
    data, readable = export_files(h, BOB)

    assert data["format"] == "studentvoice.mydata/1"
    numbers = {case["number"] for case in data["cases"]}
    assert {named, anonymous} <= numbers
    checked = set()
    for table, columns in REGISTRY.items():
        for column, relation in columns.items():
            if not isinstance(relation, Exported):
                continue
            stored = await stored_keys(h, table, column, relation.section, before)
            assert stored, f"the test seeds no {table}.{column} row for the student"
            assert stored <= keys_in(relation.section, data), (table, column)
            checked.add(table)
    assert {"cases", "case_events", "outbox", "proposal_supports", "consent_records"} <= checked

    own = next(case for case in data["cases"] if case["number"] == named)
    timeline = json.dumps(own["timeline"], ensure_ascii=False)
    assert [held["text"] for held in data["mutes"][0]["held"]] == ["禁言期间写的补充"]
    assert "请问具体是哪一栋楼？" in timeline  # an answer he received
    assert "3号楼，见照片" in timeline  # what he sent
    assert own["attachments"] and own["attachments"][0]["kind"] == "photo"
    assert {"officer"} <= {event["by"] for event in own["timeline"]}
    assert [r["decision"] for r in data["consent"]] == ["accepted"]
    assert data["consent"][0]["version"] == "2099-01"

    everything = json.dumps(data, ensure_ascii=False) + readable
    for other in ("这位同学上周也反映过", "王老师", "陈晓", "赵磊"):
        where = everything.find(other)
        assert other not in everything, (other, everything[max(0, where - 300) : where + 100])
    # The officer's id as a number of its own, not as digits inside a time's microseconds.
    officer = re.search(rf"(?<!\d){h.officer.id}(?!\d)", everything)  # type: ignore[union-attr]
    assert officer is None, everything[max(0, officer.start() - 300) : officer.end() + 100]

    # Readable, in his language, escaped.
    assert readable.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in readable
    assert "您的反馈" in readable and named in readable and anonymous in readable
    assert "请问具体是哪一栋楼？" in readable


async def test_erasure_deletes_the_exports(harness: OfficerHarness) -> None:
    """An export is a copy of the person's data: /deleteme takes it too."""
    h = harness
    alice = await student(h)
    await seed_cases(h, alice, 1)
    await alice.send("/mydata")
    assert await exports_of(h, 1001) == 2
    await alice.send("/deleteme")
    await alice.press("删除我的数据")
    assert await exports_of(h, 1001) == 0


async def exports_of(h: Harness, user_id: int) -> int:
    assert h.app is not None
    async with h.app.session_factory() as session:
        stmt = select(StoredFile).where(col(StoredFile.owner_id) == user_id)
        return len(list(await session.scalars(stmt)))
