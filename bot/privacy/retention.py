"""Retention (PIPL): a case finished longer than RETENTION_DAYS ago keeps its figures, not its
people.

Kept: the case's number, kind, state, category, college, department, anonymity, rating (the
number), every time (submitted, first response, answered, finished, deadlines), its events'
actions and states, how many followed, supported and co-signed it, what it was merged into,
and the text of a proposal that was published (registered and posted to the public channel).
Purged: who submitted it and who acted on it, every other text (the case's own, replaced by
an empty text that the officers' card and the digest's report show as "deleted after the
retention period"; the events'; the rating comment; internal comments), attachments, the
links of bot messages to it, the officers' prompts, the outbox rows about it that are done
with, and whose follows, supports and co-signatures they were. Beyond cases, finished outbox
rows and generated files older than the period go too. The officers' card and the channel
post are redrawn without them.

Town-hall questions (面对面; not cases, so steps of their own, `crud.town_hall_steps`) of
sessions held longer than RETENTION_DAYS ago, cancelled ones too, keep their figures, not
their people.
Kept: the session, each question's number, status, college, times, answer and the leader who
answered, whether it became a case, and its vote count (every vote stays, under a stand-in
id -1, -2, … per question, so the board and the export count the same), and the text of a
question that was published (approved, answered or not). Purged: who asked (`asker_id`,
`asker_sealed`, `asker_tag`), who voted, and the texts never published (pending, rejected,
merged) with a rejection's reason. The students' opt-ins to hear of sessions are theirs to
switch off and are left alone.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.context import Services
from bot.delivery import notify
from bot.domain import townhall as townhall_rules
from bot.domain.workflow import FINAL_STATES
from bot.proposals.core import channel_rows
from storage.crud import outbox as outbox_crud
from storage.crud import retention as crud
from storage.crud import runs as runs_crud
from storage.crud.retention import Declaration

log = logging.getLogger(__name__)

# One line per table; a new personal column is one more name in its tuple.
PERSONAL = Declaration(
    # Ids of people, and what they wrote beside the case: emptied on every purged case.
    personal={
        "cases": (
            "submitter_id",
            "author_sealed",
            "author_tag",
            "last_actor_id",
            "rating_comment",
            "classmate_name",
        ),
        "case_events": ("actor_id", "text"),
        "proposal_cosigns": ("user_id",),
        "proposal_assignments": ("liaison_id", "review_comment"),
    },
    # What the case says: kept only if it was published.
    unpublished={
        "cases": ("text",),
        "proposals": ("title", "problem", "reasons", "measures"),
        "proposal_assignments": ("answer",),
    },
    # A department's answer went public only once published, even on a published proposal.
    published_mark={"proposal_assignments": "published_at"},
    # A request to reveal the author gives its reason, about the student; the audit log keeps
    # that the reveal happened, for oversight.
    # A representative's 关注 is nobody's figure: it goes whole.
    deleted=(
        "attachments",
        "message_links",
        "pending_inputs",
        "reveal_requests",
        "intake_invites",
        "college_follows",
    ),
    # The digest counts followers, the proposal board supports: the rows stay, unnamed.
    pseudonymised=("case_followers", "proposal_supports"),
)
# What the board shows of a town-hall question (approved, answered or not): its text stays.
TOWN_HALL_PUBLISHED = townhall_rules.PUBLIC
# Cases purged per transaction: short transactions, and statements of bounded size.
BATCH = 500
JOB = "retention"
# After every other message, bulk ones included: the first purge of a long history redraws
# thousands of cards, at the group's 20 a minute, which must not hold up a reminder or a digest.
REDRAW_PRIORITY = notify.BULK + 10
# The daily purge: from this local time on, in the night's quiet (or at the first start after).
DAILY_AT = time(3, 0)


def cutoff(now: datetime, days: int) -> datetime:
    """Cases finished before this are due."""
    return now - timedelta(days=days)


@dataclass(frozen=True)
class Purge:
    """Rows per table (and kind of change) that went, or would go."""

    counts: Counter[str]
    cases: int
    before: datetime

    def lines(self) -> list[str]:
        return [f"{label}: {n}" for label, n in sorted(self.counts.items())]


async def preview(*, session: AsyncSession, now: datetime, days: int) -> Purge:
    """What `purge` would take at `now`, changing nothing."""
    before = cutoff(now, days)
    due = crud.due_cases(before=before, final_states=FINAL_STATES)
    files_kept = await crud.files_needed(session=session)
    counts: Counter[str] = Counter()
    steps = [
        *crud.steps(PERSONAL, due, now),
        *crud.town_hall_steps(before, TOWN_HALL_PUBLISHED),
        *crud.old_rows(before, files_kept),
    ]
    for step in steps:
        counts[step.label] += await crud.count(session=session, step=step)
    return Purge(counts, counts["cases"], before)


async def purge(
    *,
    session_factory: async_sessionmaker[AsyncSession],
    services: Services,
    now: datetime,
    batch: int = BATCH,
) -> Purge:
    """Everything due at `now`, a batch of cases per transaction: a purge stopped half-way
    leaves whole cases purged, and the next one goes on from there."""
    days = services.settings.retention_days
    before = cutoff(now, days)
    counts: Counter[str] = Counter()
    while True:
        async with session_factory.begin() as session:
            ids = await crud.due_batch(
                session=session, before=before, final_states=FINAL_STATES, limit=batch
            )
            if not ids:
                break
            for step in crud.steps(PERSONAL, ids, now):
                counts[step.label] += await crud.apply(session=session, step=step)
            await _redraw(session, services, ids)
    async with session_factory.begin() as session:
        for step in crud.town_hall_steps(before, TOWN_HALL_PUBLISHED):
            counts[step.label] += await crud.apply(session=session, step=step)
    async with session_factory.begin() as session:
        files_kept = await crud.files_needed(session=session)
        for step in crud.old_rows(before, files_kept):
            counts[step.label] += await crud.apply(session=session, step=step)
    done = Purge(counts, counts["cases"], before)
    if done.cases or sum(counts.values()):
        log.info("retention purge before %s: %s", before.isoformat(), ", ".join(done.lines()))
    return done


async def _redraw(session: AsyncSession, services: Services, case_ids: list[int]) -> None:
    """The officers' cards and the channel posts showed the names and texts just purged."""
    rows = [
        notify.card_row(case_id)
        for case_id in await crud.cards_of(session=session, case_ids=case_ids)
    ]
    for proposal in await crud.posted_proposals(session=session, case_ids=case_ids):
        rows += channel_rows(services=services, proposal=proposal)
    for row in rows:
        row.priority = REDRAW_PRIORITY
    await outbox_crud.enqueue(session=session, messages=rows)


async def scheduled_purge(
    *, session_factory: async_sessionmaker[AsyncSession], services: Services, now: datetime
) -> Purge | None:
    """Once a day, claimed like the digest so that a second instance or a restart leaves the
    day alone; None when it is not due or was done."""
    local = now.astimezone(services.renderer.tz)
    if local.time() < DAILY_AT:
        return None
    day = local.date().isoformat()
    async with session_factory() as session:
        if await runs_crud.is_claimed(session=session, job=JOB, period=day):
            return None
    try:
        async with session_factory.begin() as session:
            await runs_crud.claim(
                session=session,
                job=JOB,
                period=day,
                scheduled_for=datetime.combine(local.date(), DAILY_AT, services.renderer.tz),
                claimed_at=now,
                late=False,
            )
    except IntegrityError:
        return None
    return await purge(session_factory=session_factory, services=services, now=now)
