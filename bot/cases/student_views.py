"""A student's own cases (/my): the list, one case's timeline, and what they add to a case —
information, a rating of the answer, a comment on that rating."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import conversation, mutes
from bot.cases.actions import apply_action
from bot.casework import authors
from bot.core.callbacks import MyCaseCB
from bot.core.context import Services
from bot.core.markup import Keyboard, as_dict, one_row
from bot.core.render import MESSAGE_LIMIT
from bot.delivery import notify
from bot.domain import labels
from bot.domain.workflow import FINAL_STATES, Action, Actor, Kind, Role, State
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.models import Case, User

PAGE = 5


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    total: int
    page: int

    @property
    def has_older(self) -> bool:
        return (self.page + 1) * PAGE < self.total


async def cases_page(
    *, session: AsyncSession, services: Services, user_id: int, page: int
) -> CasePage:
    """The student's cases, their anonymous ones found by tag (`bot.casework.authors`)."""
    seal = services.sealer
    cases = await authors.own_cases(
        session=session, seal=seal, user_id=user_id, limit=PAGE, offset=page * PAGE
    )
    total = await authors.count_own(session=session, seal=seal, user_id=user_id)
    for case in cases:
        authors.conceal(session, case, user_id, seal)  # the list names them
    return CasePage(cases=cases, total=total, page=page)


async def own_case(
    *, session: AsyncSession, services: Services, user_id: int, case_id: int
) -> Case | None:
    case = await cases_crud.get_case(session=session, case_id=case_id)
    if case is None or not authors.acts_as_author(session, case, user_id, services.sealer):
        return None
    return case


async def purged(*, session: AsyncSession, case_id: int) -> bool:
    """The case's personal data went after the retention period (its submitter with it, so
    the student's own buttons on it find no case of theirs)."""
    case = await cases_crud.get_case(session=session, case_id=case_id)
    return case is not None and case.purged_at is not None


async def case_replied_to(
    *, session: AsyncSession, services: Services, user_id: int, chat_id: int, message_id: int
) -> Case | None:
    """The student's own case the message they reply to belongs to (its links in their chat
    are stored under a stand-in for it when the case is anonymous)."""
    case = await cases_crud.case_by_message(
        session=session,
        chat_id=chat_id,
        message_id=message_id,
        stand_ins=services.sealer.pseudonyms(chat_id),
    )
    if case is None or not authors.acts_as_author(session, case, user_id, services.sealer):
        return None
    return case


async def show_case(*, session: AsyncSession, services: Services, user: User, case: Case) -> None:
    """Queue the case's timeline with its buttons as the case's message: once sent it is linked
    to the case, so a reply to it adds information, like one to any case message."""
    locale = notify.user_locale(user)
    await outbox_crud.enqueue(
        session=session,
        messages=notify.message_rows(
            chat_id=user.id,
            texts=[await _timeline(session, services, case, locale)],
            case_id=case.id,
            recipient=user.id,
            priority=notify.INTERACTIVE,
            keyboard=_case_keyboard(services, locale, case),
        ),
    )


async def add_information(
    *,
    session: AsyncSession,
    services: Services,
    user: User,
    case_id: int,
    text: str,
    attachments: list[dict[str, Any]],
    acknowledge: bool = True,
) -> None:
    """Raises `TransitionError` when the case takes nothing more. A muted student's is held."""
    if await mutes.hold_for_case(
        session=session,
        services=services,
        user=user,
        case_id=case_id,
        text=text,
        attachments=attachments,
    ):
        return
    case = await conversation.student_message(
        session=session,
        services=services,
        case_id=case_id,
        student_id=user.id,
        text=text,
        attachments=attachments,
    )
    if acknowledge:
        await _tell(session, services, user, "student/info_received.html", case=case)


async def rate(
    *, session: AsyncSession, services: Services, user: User, case_id: int, action: Action
) -> Case:
    """Raises `TransitionError` when the case cannot be rated (any more)."""
    return await apply_action(
        session=session,
        services=services,
        case_id=case_id,
        action=action,
        actor=Actor(user.id, Role.STUDENT),
    )


async def thank_for_rating(
    *, session: AsyncSession, services: Services, user: User, case: Case, invite_comment: bool
) -> None:
    """Queued after the button's own answer, as the student then sees them."""
    keyboard = None
    if invite_comment:
        _ = services.renderer.translator(notify.user_locale(user))
        keyboard = one_row((_("Skip"), MyCaseCB(action="skip", case_id=case.id or 0)))
    await _tell(
        session,
        services,
        user,
        "student/rated.html",
        case=case,
        keyboard=keyboard,
        invite_comment=invite_comment,
    )


async def comment_rating(
    *, session: AsyncSession, services: Services, user: User, case_id: int, text: str
) -> None:
    """Raises `TransitionError` when the case is not the student's or not rated."""
    await conversation.rating_comment(
        session=session, services=services, case_id=case_id, student_id=user.id, text=text
    )
    await _tell(session, services, user, "student/comment_saved.html")


async def _tell(
    session: AsyncSession, services: Services, user: User, template: str, **context: Any
) -> None:
    """The student hears that what they did is stored, from the outbox, in the same
    transaction: a crash cannot lose the message while keeping what it reports."""
    await outbox_crud.enqueue(
        session=session,
        messages=notify.to_user(services=services, user=user, template=template, **context),
    )


async def _timeline(session: AsyncSession, services: Services, case: Case, locale: str) -> str:
    assert case.id is not None
    events = await cases_crud.events_of(session=session, case_id=case.id, public_only=True)
    items: list[dict[str, Any]] = [
        {
            "created_at": e.created_at,
            "action": e.action,
            "text": e.text,
            "department": services.org.department(e.text)
            if e.action in ("forward", "answer_recorded")
            else None,
            "label": labels.EVENT.get(e.action, e.action),
        }
        for e in events
    ]

    def render(shown: list[dict[str, Any]]) -> str:
        return services.renderer.render(
            locale,
            "student/my_case.html",
            case=case,
            kind_label=labels.KIND[Kind(case.kind)],
            category=services.org.category(case.category_code),
            department=services.org.department(case.department_code),
            events=shown,
            omitted=len(items) - len(shown),
            event_label=lambda item: item["label"],
        )

    # A long history would not fit in one message: the latest steps matter most.
    shown = items
    text = render(shown)
    while len(text) > MESSAGE_LIMIT and shown:
        shown = shown[1:]
        text = render(shown)
    return text


def _case_keyboard(services: Services, locale: str, case: Case) -> dict[str, Any] | None:
    _ = services.renderer.translator(locale)
    kb = Keyboard()
    if case.state not in FINAL_STATES:
        kb.button(
            text=_("Add information"), callback_data=MyCaseCB(action="info", case_id=case.id or 0)
        )
    if case.state == State.ANSWERED:
        for value in (3, 2, 1):
            kb.button(
                text=_(labels.RATING[value]),
                callback_data=MyCaseCB(action="rate", case_id=case.id or 0, value=value),
            )
    kb.adjust(1, 3)
    return as_dict(kb) if list(kb.buttons) else None
