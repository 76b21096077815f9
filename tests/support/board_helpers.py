"""A public board worth looking at: registered proposals of a named and an anonymous
proposer, one assigned and answered, and two the public must never see (one not registered,
one moved into a sensitive category); served over real HTTP on a free local port."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.app.http import build_web_app
from bot.departments import answers as department_answers
from bot.domain.workflow import Action, Actor, Role
from bot.proposals import decisions as proposal_decisions
from storage.crud import cases as cases_crud
from storage.crud import departments as departments_crud
from storage.crud import proposals as proposals_crud
from storage.models import Case, CaseEvent, User
from tests.support.harness import OFFICERS_CHAT
from tests.support.officer_helpers import OfficerHarness, seed_student, user_of
from tests.support.proposal_helpers import (
    officer_act,
    proposals_case,
    seed_congress,
    seed_liaison,
    seed_proposal,
    seed_representative,
)

# Distinctive enough that finding one in a page can only mean a leak.
NAMED_ID, NAMED_NAME, NAMED_USERNAME, NAMED_NO = 7371001, "邱振豪", "qzh_rep_7731", "20237371001"
ANON_ID, ANON_NAME, ANON_USERNAME, ANON_NO = 7371002, "蓝沐熙", "lmx_anon_8842", "20237371002"
SUPPORTER_ID, SUPPORTER_NAME = 7371003, "Zhaoyunxi"
LIAISON_ID, LIAISON_NAME = 7371004, "图书馆联络员甘棠"
INTERNAL_NOTE = "内部备注：请勿外传 XQ-INTERNAL-4417"
PERSONAL = (
    NAMED_NAME,
    NAMED_USERNAME,
    str(NAMED_ID),
    NAMED_NO,
    ANON_NAME,
    ANON_USERNAME,
    str(ANON_ID),
    ANON_NO,
    SUPPORTER_NAME,
    str(SUPPORTER_ID),
    LIAISON_NAME,
    str(LIAISON_ID),
    INTERNAL_NOTE,
)

LIBRARY_TITLE = "关于延长图书馆考试周开放时间的提案"
CANTEEN_TITLE = "关于增设食堂夜宵窗口的提案"
DRAFT_TITLE = "关于尚未立案的宿舍热水提案"
SENSITIVE_TITLE = "关于心理咨询预约排队过长的提案"
ANSWER = "本部门已研究，下学期考试周图书馆一楼自习区开放至凌晨一点。"


@dataclass(frozen=True)
class SeededBoard:
    library: str  # the named proposer's: assigned to the library, its answer published
    canteen: str  # the anonymous proposer's: registered, in logistics
    unregistered: str
    sensitive: str


async def seed_board(h: OfficerHarness) -> SeededBoard:
    assert h.app is not None and h.officer is not None
    session_id = await seed_congress(h, cosigners=0)
    named, _ = await seed_representative(h, NAMED_ID, NAMED_NAME, session_id)
    anon, _ = await seed_representative(h, ANON_ID, ANON_NAME, session_id)
    async with h.app.session_factory.begin() as session:
        for user_id, username in ((NAMED_ID, NAMED_USERNAME), (ANON_ID, ANON_USERNAME)):
            await session.execute(
                update(User).where(col(User.id) == user_id).values(username=username)
            )
        for user_id, number in ((NAMED_ID, NAMED_NO), (ANON_ID, ANON_NO)):
            rep = await proposals_crud.representative_of(
                session=session, user_id=user_id, session_id=session_id
            )
            assert rep is not None
            rep.student_no = number
    library = await seed_proposal(h, named, title=LIBRARY_TITLE)
    canteen = await seed_proposal(h, anon, title=CANTEEN_TITLE, department="logistics")
    unregistered = await seed_proposal(h, named, title=DRAFT_TITLE)
    sensitive = await seed_proposal(h, anon, title=SENSITIVE_TITLE)
    for number in (library, canteen, sensitive):
        await officer_act(h, number, Action.ACCEPT)
    liaison = await seed_liaison(h, LIAISON_ID, LIAISON_NAME, "library")
    supporter = await seed_student(h, SUPPORTER_ID, SUPPORTER_NAME)
    actor = Actor(h.officer.id, Role.OFFICER, OFFICERS_CHAT)
    async with h.app.session_factory.begin() as session:
        library_id = await proposals_case(session, library)
        await proposal_decisions.assign(
            session=session,
            services=h.app.services,
            case_id=library_id,
            actor=actor,
            departments=["library"],
            days=10,
        )
    async with h.app.session_factory.begin() as session:
        parts = await _parts(session, library_id)
        await department_answers.draft_answer(
            session=session,
            services=h.app.services,
            assignment_id=parts[0],
            user=await user_of(session, liaison),
            chat_id=liaison.id,
            text=ANSWER,
        )
    async with h.app.session_factory.begin() as session:
        await department_answers.approve_answer(
            session=session, services=h.app.services, assignment_id=parts[0], actor=actor
        )
    async with h.app.session_factory.begin() as session:
        await proposals_crud.add_support(session=session, case_id=library_id, user_id=supporter.id)
        canteen_id = await proposals_case(session, canteen)
        sensitive_id = await proposals_case(session, sensitive)
        await session.execute(
            update(Case)
            .where(col(Case.id) == canteen_id)
            .values(anonymous=True, category_code="logistics")
        )
        await session.execute(
            update(Case).where(col(Case.id) == sensitive_id).values(category_code="wellbeing")
        )
        await cases_crud.add_event(
            session=session,
            event=CaseEvent(
                case_id=library_id,
                action="note",
                actor_id=h.officer.id,
                actor_role=Role.OFFICER,
                text=INTERNAL_NOTE,
                public=False,
            ),
        )
    h.app.worker.wake()
    await h.settle()
    return SeededBoard(library, canteen, unregistered, sensitive)


async def _parts(session: AsyncSession, case_id: int) -> list[int]:
    parts = await departments_crud.assignments_of(session=session, case_id=case_id)
    return [part.id or 0 for part in parts]


@contextlib.asynccontextmanager
async def serving_board(h: OfficerHarness) -> AsyncIterator[str]:
    """The bot's own web application (BOARD_ENABLED) on a free local port; its base URL."""
    assert h.app is not None
    runner = web.AppRunner(build_web_app(h.app), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
