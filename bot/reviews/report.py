"""A round's results: computed only once it is closed and only when the quorum voted; sent to
the committee chat as a summary, an HTML report and an XLSX workbook."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.core.exports import append_row
from bot.core.render import Renderer
from bot.delivery import notify
from bot.domain.chats import COMMITTEE
from bot.reviews.rules import DIMENSIONS, MIN_VOTERS, SCALE, PersonFigures, figures, needed
from bot.reviews.rules import quorum_met as met
from storage.crud import files as files_crud
from storage.crud import outbox as outbox_crud
from storage.crud import reviews as crud
from storage.crud import users as users_crud
from storage.models import OutboxMessage
from storage.models_reviews import ReviewRound


@dataclass
class Results:
    review: ReviewRound
    panel: int
    voted: int
    needed: int
    persons: list[PersonFigures] = field(default_factory=list)

    @property
    def quorum_met(self) -> bool:
        quorum = Fraction(self.review.quorum_num, self.review.quorum_den)
        return met(self.voted, self.panel, quorum)

    @property
    def turnout(self) -> int:
        return round(100 * self.voted / self.panel) if self.panel else 0


async def turnout(*, session: AsyncSession, review: ReviewRound) -> Results:
    """Who voted, in numbers only: never a figure of the ballots."""
    assert review.id is not None
    seats = await crud.panel(session=session, round_id=review.id)
    voted = sum(1 for s in seats if s.voted)
    quorum = Fraction(review.quorum_num, review.quorum_den)
    return Results(review, len(seats), voted, needed(len(seats), quorum))


async def results(*, session: AsyncSession, review: ReviewRound) -> Results:
    found = await turnout(session=session, review=review)
    assert review.id is not None and review.closed_at is not None
    if not found.quorum_met:
        return found
    ballots = await crud.ballots(session=session, round_id=review.id)
    rng = random.SystemRandom()
    for person in await crud.reviewees(session=session, round_id=review.id):
        rows: list[dict[str, Any]] = [
            {code: getattr(b, code) for code, _ in DIMENSIONS} | {"comment": b.comment}
            for b in ballots
            if b.reviewee_id == person.id
        ]
        found.persons.append(figures(person.name, person.post, rows, rng))
    return found


async def committee_chat(*, session: AsyncSession, services: Services) -> int | None:
    binding = await users_crud.get_binding(session=session, purpose=COMMITTEE)
    return binding.chat_id if binding else services.settings.committee_chat_id


async def queue_report(
    *, session: AsyncSession, services: Services, review: ReviewRound, chat_id: int
) -> Results:
    """The results (or, short of the quorum, that there are none) to `chat_id`."""
    found = await results(session=session, review=review)
    locale = services.group_locale
    renderer = services.renderer
    summary = renderer.render(locale, "reviews/summary.html", r=found, min_voters=MIN_VOTERS)
    rows = [
        *notify.message_rows(
            chat_id=chat_id, texts=[summary], case_id=None, recipient=None, priority=notify.NORMAL
        )
    ]
    if found.quorum_met:
        stem = f"review-{review.semester}"
        html = render_html(renderer, locale, found, services.now())
        xlsx = render_xlsx(renderer, locale, found)
        for name, kind, data in (
            (f"{stem}.html", "text/html", html.encode("utf-8")),
            (
                f"{stem}.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                xlsx,
            ),
        ):
            stored = await files_crud.store_file(
                session=session, filename=name, content_type=kind, data=data
            )
            rows.append(
                OutboxMessage(
                    method="sendDocument",
                    chat_id=chat_id,
                    payload={"chat_id": chat_id, "document": {"stored_file": stored.id}},
                    priority=notify.NORMAL,
                )
            )
    await outbox_crud.enqueue(session=session, messages=rows)
    return found


def render_html(renderer: Renderer, locale: str, found: Results, generated: datetime) -> str:
    return renderer.render(
        locale,
        "reviews/report.html",
        r=found,
        dimensions=DIMENSIONS,
        scale=SCALE,
        min_voters=MIN_VOTERS,
        generated=generated,
    )


def render_xlsx(renderer: Renderer, locale: str, found: Results) -> bytes:
    from openpyxl import Workbook

    _ = renderer.translator(locale)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Results")[:31]
    append_row(sheet, [_("Panel"), found.panel, _("Voted"), found.voted, f"{found.turnout}%"])
    head = [_("Name"), _("Post"), _("Scorers"), _("Dimension"), _("Average"), _("Count")]
    append_row(sheet, [*head, *(str(s) for s in SCALE)])
    for person in found.persons:
        if not person.shown:
            append_row(sheet, [person.name, person.post, person.scorers, _("too few scorers")])
            continue
        for dim, (_code, label) in zip(person.dimensions, DIMENSIONS, strict=True):
            spread = [dim.distribution[s] for s in SCALE]
            append_row(
                sheet,
                [
                    person.name,
                    person.post,
                    person.scorers,
                    _(label),
                    dim.average,
                    dim.count,
                    *spread,
                ],
            )
    notes = book.create_sheet(_("Comments")[:31])
    append_row(notes, [_("Name"), _("Comment")])
    for person in found.persons:
        for text in person.comments if person.shown else []:
            append_row(notes, [person.name, text])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def latest(*, session: AsyncSession) -> ReviewRound | None:
    return await crud.latest_round(session=session)
