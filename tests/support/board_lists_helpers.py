"""The board's other lists worth looking at: published concerns of a named and an anonymous
student (one answered and forwarded), three the public must never see (only requested, declined,
moved into a sensitive category), and a town hall with approved, pending and rejected questions
of a named and an anonymous asker. Each private text is distinctive, so finding it in a page
can only mean a leak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col

from bot.domain.workflow import Action, Role, State
from storage.crud import cases as cases_crud
from storage.models import (
    Case,
    CaseEvent,
    CasePublication,
    ProposalSupport,
    TownHall,
    TownHallQuestion,
    TownHallVote,
)
from storage.types import utcnow
from tests.support.officer_helpers import OfficerHarness, seed_case, seed_student

AUTHOR_ID, AUTHOR_NAME, AUTHOR_USERNAME = 7372001, "柏若晴", "brq_author_5521"
HIDDEN_ID, HIDDEN_NAME, HIDDEN_USERNAME = 7372002, "穆清远", "mqy_anon_6630"
ASKER_ID = 7372003
ANON_ASKER_ID = 7372004
PRIVATE_TEXT = "我是临床医学2023级3班的柏若晴，宿舍楼下的自动售货机吞钱 PRIV-8812"
ANON_PRIVATE = "食堂二楼的米饭经常夹生，我同寝室的人都吃坏了肚子 PRIV-9923"
HIDDEN_PRIVATE = ("尚未公开的私人诉求 PRIV-7734", "学生拒绝公开的诉求 PRIV-6645", "心理 PRIV-5556")
VENDING_PUBLIC = "有同学反映宿舍区自动售货机吞币后不退款，希望后勤处尽快检修。"
RICE_PUBLIC = "有同学反映食堂二楼米饭经常夹生，希望改进蒸饭工艺。"
CONCERN_ANSWER = "后勤处已联系供应商，本周内完成全部售货机的检修。"
INTERNAL_EVENT = "内部沟通：联系人电话 138-0000-7777"
QUESTIONS = ("图书馆能否延长考试周开放时间？", "实验室开放预约能否改到线上？")
TOWNHALL_ANSWER = "图书馆考试周将开放到晚上十二点。"
LEADER = "分管副校长"
UNSEEN_QUESTIONS = ("待审核的问题 PEND-4411", "被拒绝的问题 REJ-5522")
TOWNHALL_TITLE = "2026年秋季学期校领导面对面"
PERSONAL = (
    AUTHOR_NAME,
    AUTHOR_USERNAME,
    str(AUTHOR_ID),
    HIDDEN_NAME,
    HIDDEN_USERNAME,
    str(HIDDEN_ID),
    str(ASKER_ID),
    str(ANON_ASKER_ID),
    PRIVATE_TEXT,
    ANON_PRIVATE,
    "PRIV-",
    INTERNAL_EVENT,
    *UNSEEN_QUESTIONS,
)


@dataclass(frozen=True)
class SeededLists:
    vending: str  # the named student's: published, forwarded to logistics, answered, two +1
    rice: str  # the anonymous student's: published, a suggestion still open
    requested: str
    declined: str
    sensitive: str
    town_hall: int


async def seed_lists(h: OfficerHarness) -> SeededLists:
    assert h.app is not None and h.officer is not None
    named = await seed_student(h, AUTHOR_ID, AUTHOR_NAME, username=AUTHOR_USERNAME)
    hidden = await seed_student(h, HIDDEN_ID, HIDDEN_NAME, username=HIDDEN_USERNAME)
    vending = await seed_case(h, named, PRIVATE_TEXT, category="dormitory")
    rice = await seed_case(h, hidden, ANON_PRIVATE, category="logistics", anonymous=True)
    requested = await seed_case(h, named, HIDDEN_PRIVATE[0])
    declined = await seed_case(h, hidden, HIDDEN_PRIVATE[1], anonymous=True)
    sensitive = await seed_case(h, named, HIDDEN_PRIVATE[2])
    now = utcnow()
    async with h.app.session_factory.begin() as session:
        ids = {}
        for number in (vending, rice, requested, declined, sensitive):
            case = await cases_crud.get_case_by_number(session=session, number=number)
            assert case is not None and case.id is not None
            ids[number] = case.id
        for number, status, text, age in (
            (vending, "published", VENDING_PUBLIC, 2),
            (rice, "published", RICE_PUBLIC, 1),
            (requested, "requested", None, 0),
            (declined, "declined", "学生拒绝了的公开措辞，不应出现在网页上。", 0),
            (sensitive, "published", "已移入敏感类别的公开措辞 SENS-1200", 0),
        ):
            session.add(
                CasePublication(
                    case_id=ids[number],
                    status=status,
                    public_text=text,
                    published_at=now - timedelta(hours=age) if status == "published" else None,
                )
            )
        await session.execute(
            update(Case)
            .where(col(Case.id) == ids[vending])
            .values(state=State.ANSWERED, department_code="logistics", answered_at=now)
        )
        await session.execute(
            update(Case).where(col(Case.id) == ids[sensitive]).values(category_code="wellbeing")
        )
        for action, to_state, text, public in (
            (Action.FORWARD, State.IN_PROGRESS, "logistics", True),
            ("note", None, INTERNAL_EVENT, False),
            (Action.ANSWER, State.ANSWERED, CONCERN_ANSWER, True),
        ):
            await cases_crud.add_event(
                session=session,
                event=CaseEvent(
                    case_id=ids[vending],
                    action=action,
                    actor_id=h.officer.id,
                    actor_role=Role.OFFICER,
                    from_state=State.SUBMITTED if to_state else None,
                    to_state=to_state,
                    text=text,
                    public=public,
                ),
            )
        for user_id in (AUTHOR_ID, HIDDEN_ID):
            session.add(ProposalSupport(case_id=ids[vending], user_id=user_id, created_at=now))
        town_hall = TownHall(
            title=TOWNHALL_TITLE,
            held_at=now + timedelta(days=7),
            place="行政楼三楼报告厅",
            attendees="分管副校长、教务处、图书馆",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=6),
            created_by=h.officer.id,
        )
        session.add(town_hall)
        await session.flush()
        assert town_hall.id is not None
        rows = [
            TownHallQuestion(
                town_hall_id=town_hall.id,
                text=QUESTIONS[0],
                asker_id=ASKER_ID,
                status="approved",
                answer=TOWNHALL_ANSWER,
                answered_by=LEADER,
                answered_at=now,
            ),
            TownHallQuestion(
                town_hall_id=town_hall.id,
                text=QUESTIONS[1],
                anonymous=True,
                asker_sealed="sealed-asker-blob",
                asker_tag="tag-" + str(ANON_ASKER_ID),
                status="approved",
            ),
            TownHallQuestion(
                town_hall_id=town_hall.id, text=UNSEEN_QUESTIONS[0], asker_id=ASKER_ID
            ),
            TownHallQuestion(
                town_hall_id=town_hall.id,
                text=UNSEEN_QUESTIONS[1],
                asker_id=ANON_ASKER_ID,
                status="rejected",
                reason="重复",
            ),
        ]
        session.add_all(rows)
        await session.flush()
        votes = {rows[0].id: (1, 2, 3), rows[2].id: (1, 2, 3, 4), rows[1].id: (5,)}
        session.add_all(
            TownHallVote(question_id=question_id or 0, user_id=user_id)
            for question_id, users in votes.items()
            for user_id in users
        )
    return SeededLists(vending, rice, requested, declined, sensitive, town_hall.id)
