"""A panel member's ballot: one reviewee at a time, a tap per dimension, skippable, changeable
until submitted. What they choose stays in their draft until they submit; then their ballots
join the round's with nothing that names them (`storage.crud.reviews.cast`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.callbacks import ReviewCB
from bot.core.context import Services
from bot.core.i18n import DEFAULT_LOCALE
from bot.core.markup import Keyboard, as_dict
from bot.core.render import Renderer
from bot.delivery import notify
from bot.reviews.rules import COMMENT_LIMIT, DIMENSIONS, INVITE_PREFIX, SCALE, token_hash
from storage.crud import reviews as crud
from storage.crud import users as users_crud
from storage.models import OutboxMessage, User
from storage.models_reviews import PanelMember, ReviewDraft, Reviewee, ReviewRound

TEMPLATE = "reviews/ballot.html"
REFUSED = "reviews/refused.html"


@dataclass
class Ballot:
    review: ReviewRound
    seat: PanelMember
    people: list[Reviewee]
    draft: ReviewDraft
    at: int = 0

    @property
    def person(self) -> Reviewee:
        return self.people[self.at]

    def scores_of(self, person: Reviewee) -> dict[str, int]:
        return dict(self.draft.scores.get(str(person.id), {}))

    @property
    def scored(self) -> int:
        return sum(1 for p in self.people if self.scores_of(p))


@dataclass
class Outcome:
    """`ok`, or why nothing changed: closed | submitted | not_panel | no_round | used |
    invalid | too_long."""

    status: str
    ballot: Ballot | None = None
    extra: dict[str, Any] = field(default_factory=dict)


async def invitation(
    *, session: AsyncSession, services: Services, review: ReviewRound, user_id: int
) -> list[OutboxMessage]:
    """A member's invitation to the round, with the button that opens their ballot."""
    user = await users_crud.get_user(session=session, user_id=user_id)
    locale = notify.user_locale(user) if user else DEFAULT_LOCALE
    return _told(services, locale, user_id, review, "reviews/invited.html", open_button=True)


def reminder(
    services: Services, user: User | None, user_id: int, review: ReviewRound
) -> list[OutboxMessage]:
    locale = notify.user_locale(user) if user else DEFAULT_LOCALE
    return _told(services, locale, user_id, review, "reviews/reminder.html", open_button=True)


def _told(
    services: Services,
    locale: str,
    user_id: int,
    review: ReviewRound,
    template: str,
    *,
    open_button: bool,
) -> list[OutboxMessage]:
    assert review.id is not None
    _ = services.renderer.translator(locale)
    kb = Keyboard()
    if open_button:
        kb.button(text=_("Open my ballot"), callback_data=ReviewCB(op="go", round_id=review.id))
    text = services.renderer.render(locale, template, review=review)
    return notify.message_rows(
        chat_id=user_id,
        texts=[text],
        case_id=None,
        recipient=user_id,
        priority=notify.NORMAL,
        keyboard=as_dict(kb) if open_button else None,
    )


async def load(
    *,
    session: AsyncSession,
    services: Services,
    user_id: int,
    round_id: int | None,
    at: int = 0,
    for_update: bool = False,
    lock_round: bool = False,
) -> Outcome:
    """The member's ballot in `round_id` (their latest open round if None), or why not."""
    if round_id is None:
        seats = await crud.seats_of_user(session=session, user_id=user_id)
        if not seats:
            return Outcome("not_panel")
        round_id = seats[0].round_id
    # A submission locks the round: it rewrites every ballot of it, one at a time. A tap
    # locks only the member's seat.
    review = await crud.get_round(session=session, round_id=round_id, for_update=lock_round)
    if review is None:
        return Outcome("no_round")
    seat = await crud.seat_of(
        session=session, round_id=round_id, user_id=user_id, for_update=for_update
    )
    if seat is None or seat.id is None:
        return Outcome("not_panel")
    if seat.voted:
        return Outcome("submitted", extra={"review": review})
    if review.closed_at is not None or review.deadline <= services.now():
        return Outcome("closed", extra={"review": review})
    people = await crud.reviewees(session=session, round_id=round_id)
    draft = await crud.draft_of(session=session, member_id=seat.id) or ReviewDraft(
        member_id=seat.id, scores={}, comments={}
    )
    return Outcome("ok", Ballot(review, seat, people, draft, max(0, min(at, len(people) - 1))))


async def tap(
    *, session: AsyncSession, services: Services, user_id: int, data: ReviewCB
) -> Outcome:
    """A score chosen (or, with score 0, taken back) for one dimension of one reviewee."""
    outcome = await load(
        session=session,
        services=services,
        user_id=user_id,
        round_id=data.round_id,
        at=data.at,
        for_update=True,
    )
    ballot = outcome.ballot
    if ballot is None or not 0 <= data.dim < len(DIMENSIONS):
        return outcome
    if data.score not in (0, *SCALE):
        return Outcome("invalid")
    key, code = str(ballot.person.id), DIMENSIONS[data.dim][0]
    scores = {k: dict(v) for k, v in ballot.draft.scores.items()}
    mine = scores.setdefault(key, {})
    if data.score == 0 or mine.get(code) == data.score:
        mine.pop(code, None)  # a second tap on the chosen score takes it back
    else:
        mine[code] = data.score
    if not mine:
        scores.pop(key)
    ballot.draft.scores = scores  # a new dict: the JSON column sees the change
    await crud.save_draft(session=session, draft=ballot.draft)
    return outcome


async def comment(
    *, session: AsyncSession, services: Services, user_id: int, round_id: int, at: int, text: str
) -> Outcome:
    outcome = await load(
        session=session,
        services=services,
        user_id=user_id,
        round_id=round_id,
        at=at,
        for_update=True,
    )
    ballot = outcome.ballot
    if ballot is None:
        return outcome
    text = text.strip()
    if len(text) > COMMENT_LIMIT:
        return Outcome("too_long", ballot, {"limit": COMMENT_LIMIT})
    comments = dict(ballot.draft.comments)
    if text and text != "-":
        comments[str(ballot.person.id)] = text
    else:
        comments.pop(str(ballot.person.id), None)
    ballot.draft.comments = comments
    await crud.save_draft(session=session, draft=ballot.draft)
    return outcome


async def submit(
    *, session: AsyncSession, services: Services, user_id: int, round_id: int
) -> Outcome:
    """The member's ballots cast, their draft gone, in this one transaction."""
    outcome = await load(
        session=session,
        services=services,
        user_id=user_id,
        round_id=round_id,
        for_update=True,
        lock_round=True,
    )
    ballot = outcome.ballot
    if ballot is None:
        return outcome
    rows = []
    for person in ballot.people:
        scores = ballot.scores_of(person)
        note = ballot.draft.comments.get(str(person.id))
        if scores or note:  # someone skipped is not scored at all, not scored "nothing"
            rows.append(
                {
                    "reviewee_id": person.id,
                    **{code: scores.get(code) for code, _ in DIMENSIONS},
                    "comment": note,
                }
            )
    await crud.cast(session=session, member=ballot.seat, rows=rows)
    return Outcome("submitted_now", ballot, {"review": ballot.review, "count": len(rows)})


async def join(*, session: AsyncSession, services: Services, user: User, payload: str) -> Outcome:
    """A staff member (or a representative not yet linked) takes their seat by its link."""
    seat = await crud.seat_by_invite(
        session=session, invite_hash=token_hash(payload.removeprefix(INVITE_PREFIX))
    )
    if seat is None:
        return Outcome("invalid")
    if seat.user_id is not None:
        if seat.user_id == user.id:
            return await load(
                session=session, services=services, user_id=user.id, round_id=seat.round_id
            )
        return Outcome("used")
    if await crud.seat_of(session=session, round_id=seat.round_id, user_id=user.id):
        return Outcome("used")  # one person, one seat
    seat.user_id = user.id
    session.add(seat)
    await session.flush()
    return await load(session=session, services=services, user_id=user.id, round_id=seat.round_id)


def view(renderer: Renderer, locale: str, ballot: Ballot) -> tuple[str, dict[str, Any]]:
    """The ballot's message and keyboard: five rows of 1–5, then the way on."""
    _ = renderer.translator(locale)
    assert ballot.review.id is not None
    rid, at, mine = ballot.review.id, ballot.at, ballot.scores_of(ballot.person)
    kb = Keyboard()
    widths = []
    for index, (code, label) in enumerate(DIMENSIONS):
        kb.button(text=_(label), callback_data=ReviewCB(op="noop", round_id=rid, at=at))
        for score in SCALE:
            text = f"[{score}]" if mine.get(code) == score else str(score)
            kb.button(
                text=text,
                callback_data=ReviewCB(op="score", round_id=rid, at=at, dim=index, score=score),
            )
        widths.append(1 + len(SCALE))
    last = len(ballot.people) - 1
    nav = 0
    if at > 0:
        kb.button(text=_("◀ Previous"), callback_data=ReviewCB(op="go", round_id=rid, at=at - 1))
        nav += 1
    if at < last:
        label = _("Next ▶") if mine else _("Skip ▶")
        kb.button(text=label, callback_data=ReviewCB(op="go", round_id=rid, at=at + 1))
        nav += 1
    kb.button(text=_("💬 Comment"), callback_data=ReviewCB(op="comment", round_id=rid, at=at))
    kb.button(text=_("✅ Submit"), callback_data=ReviewCB(op="submit", round_id=rid, at=at))
    kb.adjust(*widths, nav + 1, 1)
    text = renderer.render(
        locale,
        TEMPLATE,
        review=ballot.review,
        person=ballot.person,
        place=at + 1,
        total=len(ballot.people),
        scores=[(label, mine.get(code)) for code, label in DIMENSIONS],
        comment=ballot.draft.comments.get(str(ballot.person.id)),
        scored=ballot.scored,
    )
    return text, as_dict(kb)
