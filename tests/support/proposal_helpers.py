"""What the proposal tests share: a congress session, its representatives, liaisons, proposals
brought to a given point through the services (when how they got there is not the test)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot.cases.actions import apply_action
from bot.devkit.emulator import BotAPIEmulator, SimUser
from bot.devkit.emulator.models import SimChat
from bot.domain.workflow import Action, Actor, Role
from bot.proposals import cosign as proposal_cosign
from bot.proposals import drafts as proposals
from storage.crud import departments as departments_crud
from storage.crud import proposals as crud
from storage.crud import users as users_crud
from storage.models import CongressSession, ProposalAssignment, Representative
from tests.support.officer_helpers import (
    OfficerHarness,
    card,
    chat_of_card,
    officer_harness,
    seed_student,
    seed_user,
    user_of,
)

SESSION_NAME = "第十届学生代表大会第二次会议"
CHANNEL_ID = -1003000000001
TITLE = "关于延长图书馆考试周开放时间的提案"
PROBLEM = "考试周期间图书馆晚上十点闭馆，大量同学无处自习，只能在走廊和食堂复习。"
REASONS = "去年考试周问卷中有百分之七十二的同学希望延长开放时间，兄弟院校已实行通宵开放。"
# The representatives the proposal stories cast, by account.
CAST = {1001: "陈晓", 1002: "刘洋", 1003: "王芳", 1004: "赵磊", 1006: "周敏", 1007: "吴昊"}
MEASURES = "建议考试周期间图书馆一楼自习区开放至凌晨一点，并安排保安巡查。"


@contextlib.asynccontextmanager
async def proposal_harness(
    emulator: BotAPIEmulator, database_url: str, *, channel: bool = False, **overrides: Any
) -> AsyncIterator[OfficerHarness]:
    if channel:
        emulator.world.chats[CHANNEL_ID] = SimChat(
            id=CHANNEL_ID, type="channel", title="学生之声·提案公示", bot_status="administrator"
        )
        overrides["public_channel_id"] = CHANNEL_ID
    async with officer_harness(emulator, database_url, **overrides) as h:
        yield h


async def seed_congress(
    h: OfficerHarness, *, cosigners: int = 2, opened_days_ago: float = 1, closes_in_days: float = 7
) -> int:
    assert h.app is not None
    now = h.app.services.now()
    async with h.app.session_factory.begin() as session:
        congress = await crud.add_session(
            session=session,
            congress=CongressSession(
                name=SESSION_NAME,
                opens_at=now - timedelta(days=opened_days_ago),
                closes_at=now + timedelta(days=closes_in_days),
                cosigners_required=cosigners,
            ),
        )
        assert congress.id is not None
        return congress.id


async def seed_representative(
    h: OfficerHarness,
    user_id: int,
    name: str,
    session_id: int,
    *,
    delegation: str = "临床医学院代表团",
    onboarded: bool = True,
) -> tuple[SimUser, str]:
    """A representative on the roster, linked to their account; (the user, their invite code)."""
    assert h.app is not None
    if onboarded:
        user = await seed_student(h, user_id, name)
    else:
        user = h.emu.add_user(user_id, name, language_code="zh-hans")
    code = f"rtest{user_id}"
    async with h.app.session_factory.begin() as session:
        await crud.add_representatives(
            session=session,
            rows=[
                Representative(
                    session_id=session_id,
                    name=name,
                    student_no=f"2023{user_id}",
                    college_code="clinical",
                    delegation=delegation,
                    invite_code=code,
                    user_id=user_id if onboarded else None,
                )
            ],
        )
    return user, code


async def seed_representatives(h: OfficerHarness, session_id: int, *user_ids: int) -> list[SimUser]:
    """Onboarded representatives from the cast, in the order asked."""
    return [(await seed_representative(h, who, CAST[who], session_id))[0] for who in user_ids]


async def seed_liaison(h: OfficerHarness, user_id: int, name: str, department: str) -> SimUser:
    assert h.app is not None
    async with h.app.session_factory.begin() as session:
        user = await seed_user(h, session, user_id, name)
        await users_crud.grant_role(
            session=session, user_id=user_id, role="liaison", granted_by=None, department=department
        )
    return user


async def seed_proposal(
    h: OfficerHarness,
    proposer: SimUser,
    *,
    cosigners: tuple[SimUser, ...] = (),
    title: str = TITLE,
    department: str | None = "library",
) -> str:
    """A proposal written through the services and sent out; each co-signer then co-signs."""
    assert h.app is not None
    services = h.app.services
    async with h.app.session_factory.begin() as session:
        user = await user_of(session, proposer)
        case = await proposals.start_draft(
            session=session, services=services, user=user, title=title
        )
        assert case.id is not None
        for field, value in (
            ("problem", PROBLEM),
            ("reasons", REASONS),
            ("measures", MEASURES),
            ("category", "teaching"),
            ("department", department),
        ):
            await proposals.save_field(
                session=session,
                services=services,
                case_id=case.id,
                user=user,
                field=field,
                value=value,
            )
        await proposal_cosign.send_for_cosign(
            session=session, services=services, case_id=case.id, user=user, bot_username="bot"
        )
        case_id, number = case.id, case.number
    for cosigner in cosigners:
        async with h.app.session_factory.begin() as session:
            await proposal_cosign.answer_cosign(
                session=session,
                services=services,
                case_id=case_id,
                user=await user_of(session, cosigner),
                agreed=True,
            )
    h.app.worker.wake()
    await h.settle()
    return number


async def officer_act(h: OfficerHarness, number: str, action: Action, **kwargs: Any) -> None:
    """An officer's decision through the service (for tests whose subject comes after it)."""
    assert h.app is not None
    async with h.app.session_factory.begin() as session:
        case = await proposals_case(session, number)
        await apply_action(
            session=session,
            services=h.app.services,
            case_id=case,
            action=action,
            actor=Actor(h.officer.id if h.officer else None, Role.OFFICER, chat_of_card(h, number)),
            **kwargs,
        )
    h.app.worker.wake()
    await h.settle()


async def proposals_case(session: Any, number: str) -> int:
    from storage.models import Case

    case_id = await session.scalar(select(col(Case.id)).where(col(Case.number) == number))
    assert case_id is not None
    return int(case_id)


async def parts_of(h: OfficerHarness, number: str) -> list[ProposalAssignment]:
    assert h.app is not None
    async with h.app.session_factory() as session:
        case_id = await proposals_case(session, number)
        return await departments_crud.assignments_of(session=session, case_id=case_id)


def buttons(h: OfficerHarness, number: str) -> list[str]:
    return [text for text, _ in card(h, number).buttons()]
