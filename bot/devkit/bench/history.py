"""A plausible two-year history of cases, bulk-inserted in chunks (both dialects).

Runs in a spawned process so the memory it takes is never charged to the digest being measured.
Rows go in through Core executemany with explicit ids, so events and followers can point at
their cases without a round trip per case.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.progress import progress
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import Case, CaseEvent, CaseFollower

CHUNK = 5_000
CATEGORIES = (
    ("logistics", 30), ("dormitory", 22), ("teaching", 20), ("internship", 8),
    ("finance", 6), ("campus_safety", 5), ("wellbeing", 3), ("harassment", 1), ("other", 5),
)  # fmt: skip
COLLEGES = (
    ("clinical", 35), ("basic", 15), ("nursing", 15), ("public_health", 10),
    ("pharmacy", 10), ("stomatology", 5), ("graduate", 10),
)  # fmt: skip
DEPARTMENTS = ("academic_affairs", "student_affairs", "logistics", "security", "graduate_school")


class _Track:
    """A case walking through its states; a step that would happen after `now` does not."""

    def __init__(self, created: datetime, now: datetime) -> None:
        self.state, self.t, self.now = "submitted", created, now
        self.events: list[tuple[str, str | None, str, datetime]] = []

    def step(self, action: str, target: str, delay_hours: float) -> bool:
        when = self.t + timedelta(hours=delay_hours)
        if when > self.now:
            return False
        self.events.append((action, self.state, target, when))
        self.state, self.t = target, when
        return True


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def generate(
    n: int, now: datetime, seed: int = 47
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]:
    """(case, its events, its followers) for n cases spread over the two years before `now`."""
    rng = random.Random(seed)
    start = now - timedelta(days=730)
    span = (now - start).total_seconds()
    event_id = 0
    created_times = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(n))
    for case_id, created in enumerate(created_times, start=1):
        kind = "proposal" if rng.random() < 0.02 else rng.choice(("grievance", "suggestion"))
        track = _Track(created, now)
        first_response = answered = closed = None
        merged_into = None
        department = None
        reopen = 0
        rating = None
        roll = rng.random()
        recent = created > now - timedelta(days=21)
        if roll < 0.03 and case_id > 10:
            if track.step("merge", "merged", rng.expovariate(1 / 6)):
                merged_into = rng.randint(max(1, case_id - 200), case_id - 1)
                first_response = closed = track.t
        elif roll < 0.06:
            if track.step("reject", "rejected", rng.expovariate(1 / 12)):
                first_response = closed = track.t
        elif (roll < 0.97 or not recent) and track.step(
            "accept", "accepted", rng.expovariate(1 / (20 if roll < 0.97 else 200))
        ):
            first_response = track.t
            if rng.random() < 0.1 and track.step("request_info", "needs_info", 2):
                track.step("provide_info", "accepted", rng.expovariate(1 / 30))
            if track.state == "accepted" and rng.random() < 0.5:
                department = rng.choice(DEPARTMENTS)
                track.step("forward", "in_progress", rng.expovariate(1 / 10))
            if track.state in ("accepted", "in_progress") and track.step(
                "answer", "answered", rng.expovariate(1 / 150)
            ):
                answered = track.t
                if rng.random() < 0.7:
                    action, rating = rng.choices(
                        (("rate_satisfied", 3), ("rate_partly", 2), ("rate_unsatisfied", 1)),
                        (6, 3, 1),
                    )[0]
                    target = "reopened" if rating == 1 else "closed"
                    if track.step(action, target, rng.expovariate(1 / 30)):
                        closed = track.t if target == "closed" else None
                        reopen = 1 if target == "reopened" else 0
                    # 复核: answered again, then accepted as it is.
                    if track.state == "reopened" and track.step(
                        "answer", "answered", rng.expovariate(1 / 120)
                    ):
                        answered = track.t
                        if track.step("rate_partly", "closed", rng.expovariate(1 / 30)):
                            closed, rating = track.t, 2
        state, t, events = track.state, track.t, track.events
        # Drawn in this order, so a seed makes the history it always made.
        category, college = _pick(rng, CATEGORIES), _pick(rng, COLLEGES)
        anonymous, submitter = rng.random() < 0.2, 10_000 + rng.randint(1, 40_000)
        case = {
            "id": case_id,
            "number": f"{'P' if kind == 'proposal' else 'G'}{created.year}-{case_id:06d}",
            "kind": kind,
            "category_code": category,
            "college_code": college,
            "text": "食堂二楼的饭菜连续一周出现异物，希望后勤加强检查。",
            "anonymous": anonymous,
            "state": state,
            "source": "telegram",
            # An anonymous case names nobody (its seal is left out: nobody is reached here).
            "submitter_id": None if anonymous else submitter,
            "department_code": department,
            "merged_into_id": merged_into,
            "reopen_count": reopen,
            "rating": rating,
            "created_at": created,
            "updated_at": t,
            "first_response_at": first_response,
            "answered_at": answered,
            "closed_at": closed,
            "first_response_due_at": created + timedelta(days=2.8),
            "answer_due_at": None if state == "needs_info" else created + timedelta(days=21),
            "department_due_at": created + timedelta(days=16) if department else None,
        }
        rows = [
            {"id": (event_id := event_id + 1), "case_id": case_id, "action": "submit",
             "from_state": None, "to_state": "submitted", "actor_role": "student",
             "public": True, "created_at": created}
        ]  # fmt: skip
        for action, source, target, when in events:
            event_id += 1
            rows.append(
                {"id": event_id, "case_id": case_id, "action": action, "from_state": source,
                 "to_state": target, "actor_role": "officer", "public": True, "created_at": when}
            )  # fmt: skip
        followers = []
        if rng.random() < 0.12:
            for user in rng.sample(range(1, 50_000), rng.randint(1, 25)):
                when = created + timedelta(hours=rng.uniform(1, 200))
                followers.append(
                    {"case_id": case_id, "user_id": user, "created_at": min(when, now)}
                )
        yield case, rows, followers


class NotEmpty(Exception):
    """The bench writes rows with fixed ids: it needs a database without cases."""


async def seed(engine: AsyncEngine, n: int, now: datetime) -> dict[str, int]:
    await upgrade(engine)
    async with engine.connect() as conn:
        if (await conn.execute(text("SELECT count(*) FROM cases"))).scalar_one():
            raise NotEmpty("the database already holds cases; give an empty one")
    cases: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    followers: list[dict[str, Any]] = []
    counts = {"cases": 0, "events": 0, "followers": 0}

    async def flush() -> int:
        """The cases written."""
        written = len(cases)
        async with engine.begin() as conn:
            for table, rows in (
                (Case, cases), (CaseEvent, events),
                (CaseFollower, followers),
            ):  # fmt: skip
                if rows:
                    await conn.execute(insert(table), rows)
        counts["cases"] += len(cases)
        counts["events"] += len(events)
        counts["followers"] += len(followers)
        for rows in (cases, events, followers):
            rows.clear()
        return written

    with progress("seeding the history", n, unit="case") as advance:
        for case, rows, fans in generate(n, now):
            cases.append(case)
            events.extend(rows)
            followers.extend(fans)
            if len(cases) >= CHUNK:
                advance(await flush())
        advance(await flush())
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind; later inserts must not collide.
            for table in ("cases", "case_events"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            await conn.execute(text("ANALYZE"))
        else:
            await conn.execute(text("ANALYZE"))
    return counts


def seed_in_process(url: str, n: int, now_iso: str, out: Any) -> None:
    """Entry point of the spawned seeding process; the counts go back through `out`."""

    async def main() -> dict[str, int]:
        engine = create_engine(url)
        try:
            return await seed(engine, n, datetime.fromisoformat(now_iso))
        finally:
            await engine.dispose()

    try:
        out.put(asyncio.run(main()))
    except NotEmpty as exc:
        out.put({"error": str(exc)})
