"""A small, hand-countable history for the digest and reminder tests.

Two weeks of 2026 in Beijing time: week 46 (Nov 9–15) and week 47 (Nov 16–22). The expected
figures in test_digest_figures.py are counted by hand from the comments below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, CaseEvent, CaseFollower, User

CST = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CST)


# (action, from_state, to_state, when)
Step = tuple[str, str | None, str, datetime]


@dataclass
class Spec:
    number: str
    category: str
    college: str | None
    created: datetime
    steps: list[Step] = field(default_factory=list)
    kind: str = "grievance"
    anonymous: bool = False
    followers: list[datetime] = field(default_factory=list)
    merged_into: str | None = None
    department: str | None = None
    first_response_due: datetime | None = None
    answer_due: datetime | None = None
    department_due: datetime | None = None
    last_actor: int | None = None
    text: str = "食堂、宿舍或教学方面的问题描述，请相关部门核实处理。"
    # A proposal written as a draft first: no "submit" of its own (its steps say when, if ever,
    # it reached the officers) and, until then, no deadlines; `created` is its submission.
    drafted: bool = False


FIRST_RESPONSE = {"accept", "request_info", "forward", "reject", "answer", "merge"}


async def insert(session: AsyncSession, specs: list[Spec]) -> dict[str, Case]:
    """Cases with their events, as the services would have left them."""
    made: dict[str, Case] = {}
    follower_id = 70000
    for spec in specs:
        state = spec.steps[-1][2] if spec.steps else ("draft" if spec.drafted else "submitted")
        submitted = not spec.drafted or any(to == "submitted" for _, _, to, _ in spec.steps)
        firsts = [when for action, _, _, when in spec.steps if action in FIRST_RESPONSE]
        answers = [
            when
            for action, _, to, when in spec.steps
            if action == "answer" or (action == "approve_answer" and to == "answered")
        ]
        ends = ("closed", "rejected", "merged", "withdrawn", "converted")
        finals = [w for _, _, to, w in spec.steps if to in ends]
        reopened = sum(1 for _, _, to, _ in spec.steps if to == "reopened")
        first_due = spec.first_response_due or spec.created + timedelta(days=2)
        answer_due = spec.answer_due or spec.created + timedelta(days=21)
        case = Case(
            number=spec.number,
            kind=spec.kind,
            category_code=spec.category,
            college_code=spec.college,
            text=spec.text,
            anonymous=spec.anonymous,
            state=state,
            submitter_id=None,
            department_code=spec.department,
            reopen_count=reopened,
            last_actor_id=spec.last_actor,
            created_at=spec.created,
            updated_at=spec.steps[-1][3] if spec.steps else spec.created,
            first_response_at=firsts[0] if firsts else None,
            answered_at=answers[-1] if answers else None,
            closed_at=finals[-1] if finals else None,
            first_response_due_at=first_due if submitted else None,
            answer_due_at=answer_due if submitted else None,
            department_due_at=spec.department_due,
            merged_into_id=made[spec.merged_into].id if spec.merged_into else None,
        )
        session.add(case)
        await session.flush()
        assert case.id is not None
        if not spec.drafted:
            session.add(
                CaseEvent(
                    case_id=case.id,
                    action="submit",
                    to_state="submitted",
                    actor_role="student",
                    created_at=spec.created,
                )
            )
        for action, source, target, when in spec.steps:
            session.add(
                CaseEvent(
                    case_id=case.id,
                    action=action,
                    from_state=source,
                    to_state=target,
                    actor_role="officer",
                    created_at=when,
                )
            )
        for when in spec.followers:
            follower_id += 1
            session.add(User(id=follower_id, first_name=f"F{follower_id}"))
            session.add(CaseFollower(case_id=case.id, user_id=follower_id, created_at=when))
        made[spec.number] = case
    await session.flush()
    return made


def chain(start: str, *moves: tuple[str, str, datetime]) -> list[Step]:
    """Steps one after another, each (action, to_state, when) from where the one before ended."""
    steps: list[Step] = []
    for action, target, when in moves:
        steps.append((action, steps[-1][2] if steps else start, target, when))
    return steps


def two_weeks() -> list[Spec]:
    """Week 46: A, B. Week 47: C, D, E, F (a duplicate of D), G, H (a proposal)."""
    return [
        # A: responded in 4 h, answered in W46, rated satisfied → closed in W46.
        Spec(
            "G2026-0001",
            "teaching",
            "clinical",
            at(10, 10),
            chain(
                "submitted",
                ("accept", "accepted", at(10, 14)),
                ("answer", "answered", at(12, 10)),
                ("rate_satisfied", "closed", at(13, 10)),
            ),
        ),
        # B: forwarded in W46, answered in W47 (168 h after submission), not yet rated.
        Spec(
            "G2026-0002",
            "logistics",
            "nursing",
            at(11, 9),
            chain(
                "submitted",
                ("accept", "accepted", at(11, 10)),
                ("forward", "in_progress", at(12, 9)),
                ("answer", "answered", at(18, 9)),
            ),
            department="logistics",
        ),
        # C: response 2 h, answer 24 h, rated partly → closed in W47; one follower.
        Spec(
            "G2026-0003",
            "logistics",
            "clinical",
            at(16, 9),
            chain(
                "submitted",
                ("accept", "accepted", at(16, 11)),
                ("answer", "answered", at(17, 9)),
                ("rate_partly", "closed", at(18, 9)),
            ),
            followers=[at(16, 12)],
        ),
        # D: anonymous; response 24 h, answer 72 h, rated unsatisfied → reopened (open).
        Spec(
            "G2026-0004",
            "logistics",
            "basic",
            at(16, 10),
            chain(
                "submitted",
                ("accept", "accepted", at(17, 10)),
                ("answer", "answered", at(19, 10)),
                ("rate_unsatisfied", "reopened", at(19, 12)),
            ),
            anonymous=True,
            followers=[at(18, 13), at(19, 9)],
            text="匿名反映：食堂饭菜里连续出现异物。",
        ),
        # E: never responded to: its first-response deadline (Thu 08:00) passed. 4 followers.
        Spec(
            "G2026-0005",
            "dormitory",
            "clinical",
            at(17, 8),
            first_response_due=at(19, 8),
            text="宿舍楼热水供应不稳定，经常没有热水。",
            followers=[at(17, 9), at(18, 9), at(19, 9), at(20, 9)],
        ),
        # F: merged into D after 1 h.
        Spec(
            "G2026-0006",
            "logistics",
            "clinical",
            at(18, 12),
            chain("submitted", ("merge", "merged", at(18, 13))),
            merged_into="G2026-0004",
        ),
        # G: asked for information after 1 h: waits for the student (no deadline running).
        Spec(
            "S2026-0001",
            "teaching",
            "nursing",
            at(20, 15),
            chain("submitted", ("request_info", "needs_info", at(20, 16))),
            kind="suggestion",
            first_response_due=at(24, 15),
        ),
        # H: a proposal, submitted Thursday, due Monday 10:00 (not yet overdue at the week's end).
        Spec(
            "P2026-0001",
            "teaching",
            "clinical",
            at(19, 10),
            kind="proposal",
            first_response_due=at(23, 10),
        ),
    ]


def proposal(number: str, created: datetime, steps: list[Step], **more: Any) -> Spec:
    """A teaching proposal of the basic medicine delegation, written as a draft first."""
    return Spec(number, "teaching", "basic", created, steps, kind="proposal", drafted=True, **more)


def proposals_week() -> list[Spec]:
    """Week 47's proposals besides H: three that never reached the officers, two that did.

    I, J, K are not new cases and not proposals "submitted"; K's co-signers follow it, which is
    not support. L is answered when its last department's answer is published (48 h); M has
    one of its two answers published, which answers nothing yet.
    """
    return [
        # I: a draft begun on Monday, never sent out.
        proposal("P2026-0002", at(16, 9), []),
        # J: still collecting co-signatures; its one co-signer follows it.
        proposal(
            "P2026-0003",
            at(17, 9),
            chain("draft", ("send_for_cosign", "cosigning", at(17, 10))),
            followers=[at(17, 11)],
        ),
        # K: withdrawn while being co-signed, by two co-signers who follow it.
        proposal(
            "P2026-0004",
            at(16, 14),
            chain(
                "draft",
                ("send_for_cosign", "cosigning", at(16, 15)),
                ("cosign", "cosigning", at(16, 16)),
                ("withdraw", "withdrawn", at(17, 9)),
            ),
            followers=[at(16, 16), at(16, 17)],
        ),
        # L: submitted Monday 10:00, registered in 4 h, assigned to two departments; the second
        # answer published on Wednesday 10:00 answers it (48 h).
        proposal(
            "P2026-0005",
            at(16, 10),
            chain(
                "draft",
                ("send_for_cosign", "cosigning", at(16, 9)),
                ("cosign", "submitted", at(16, 10)),
                ("accept", "accepted", at(16, 14)),
                ("assign", "in_progress", at(16, 15)),
                ("approve_answer", "in_progress", at(17, 10)),
                ("approve_answer", "answered", at(18, 10)),
            ),
            department="library",
        ),
        # M: submitted Tuesday 09:00, registered in 2 h; one of two answers published Thursday.
        proposal(
            "P2026-0006",
            at(17, 9),
            chain(
                "cosigning",
                ("cosign", "submitted", at(17, 9)),
                ("accept", "accepted", at(17, 11)),
                ("assign", "in_progress", at(17, 12)),
                ("approve_answer", "in_progress", at(19, 9)),
            ),
            department="library",
        ),
    ]
