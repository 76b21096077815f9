"""Shared concerns: a case's public version, its own small lifecycle beside the case's state.

requested (the student asked at submission) ──officer words it──▶ drafted ──student accepts──▶
published; the officers may word it again while it is drafted; the student may decline it
(declined). Once published its wording is final. Plain rules, no Telegram, no storage.
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain.workflow import FINAL_STATES, STUDENT_KINDS, State, TransitionError

PUBLIC_TEXT_MAX = 1000
PUBLIC_TEXT_MIN = 10


class Status(StrEnum):
    REQUESTED = "requested"
    DRAFTED = "drafted"
    PUBLISHED = "published"
    DECLINED = "declined"


class PublicationError(TransitionError):
    """A refusal of a step of the public version (its `reason` is told like any other)."""


# A case that ended without being handled is not a concern anyone can join any more.
CLOSED_TO_SUPPORT = frozenset({State.MERGED, State.REJECTED, State.WITHDRAWN, State.CONVERTED})


def may_publish(kind: str, *, sensitive: bool) -> bool:
    """Grievances and suggestions; never a sensitive category's (harassment, mental health),
    whose cases are kept to a smaller chat."""
    return kind in STUDENT_KINDS and not sensitive


def check_draft(status: str | None, case_state: str, text: str) -> str:
    """The officers' public wording, checked: the text as stored."""
    if status is None:
        raise PublicationError("not_requested")
    if status == Status.PUBLISHED:
        raise PublicationError("already_published")
    if status == Status.DECLINED:
        raise PublicationError("declined")
    if case_state in FINAL_STATES:
        raise PublicationError("case_closed")
    text = text.strip()
    if not PUBLIC_TEXT_MIN <= len(text) <= PUBLIC_TEXT_MAX:
        raise PublicationError("public_text_length")
    return text


def check_answer(status: str | None, case_state: str) -> None:
    """The student accepts or declines the version the officers wrote, while the case is
    still one to join (merged or rejected meanwhile, it is not published)."""
    if status == Status.PUBLISHED:
        raise PublicationError("already_published")
    if status != Status.DRAFTED:
        raise PublicationError("not_drafted")
    if case_state in CLOSED_TO_SUPPORT:
        raise PublicationError("case_closed")


def check_support(status: str | None, case_state: str) -> None:
    if status != Status.PUBLISHED or case_state in CLOSED_TO_SUPPORT:
        raise PublicationError("not_public")


def answer_shown(status: str | None, case_state: str) -> str | None:
    """Whether an answer to the case is seen by the public (the web board shows a published
    concern's answers): "public" when it is published, "maybe" when its student asked and it
    may still be, None when it never will be. Told to the officers before an answer goes out."""
    if case_state in CLOSED_TO_SUPPORT or status in (None, Status.DECLINED):
        return None
    return "public" if status == Status.PUBLISHED else "maybe"
