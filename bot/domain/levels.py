"""Two levels (校院两级): the university union's rights department and each college union.

A case of a college whose union has a chat bound is handled there first (level "college");
the college union may 上报 it to the university level, and the university may 下派 it back
to a college union. Sensitive categories stay with the university (its sensitive chat),
whatever the college. Officers of a college act only on their college's cases while those
are at college level; university officers (scope "") act everywhere.
Knows nothing of Telegram or storage.
"""

from __future__ import annotations

from collections.abc import Set

from bot.domain.workflow import OPEN_STATES, STUDENT_KINDS, Kind, State

COLLEGE, UNIVERSITY = "college", "university"
LEVELS = (COLLEGE, UNIVERSITY)
# A college union's chat binding is stored under this prefix and the college's code.
PURPOSE_PREFIX = "college:"
UNIVERSITY_SCOPE = ""
# Case events (no state changes: the case keeps its state at either level).
ESCALATE, DELEGATE = "escalate", "delegate"


def purpose_of(college: str) -> str:
    return PURPOSE_PREFIX + college


def college_of_purpose(purpose: str) -> str | None:
    return purpose.removeprefix(PURPOSE_PREFIX) if purpose.startswith(PURPOSE_PREFIX) else None


def scope_code(scope: str) -> str:
    """An officer grant's scope as written (`college:clinical` or `clinical`): the college code."""
    return scope.strip().removeprefix(PURPOSE_PREFIX)


def routable(kind: Kind | str) -> bool:
    """Only students' grievances and suggestions go to college unions; proposals and town-hall
    questions are the university's."""
    return kind in STUDENT_KINDS


def initial_level(*, kind: Kind | str, sensitive: bool, college: str | None, has_chat: bool) -> str:
    """Where a new case starts: with its college union when that has a chat, else above."""
    if routable(kind) and not sensitive and college and has_chat:
        return COLLEGE
    return UNIVERSITY


def officer_scope_refusal(
    *, scopes: Set[str], level: str, college: str | None, is_admin: bool = False
) -> str | None:
    """None when an officer holding `scopes` may act on a case at `level` of `college`."""
    if is_admin or UNIVERSITY_SCOPE in scopes:
        return None
    if level == COLLEGE and college is not None and college in scopes:
        return None
    return "other_college" if level == COLLEGE else "university_case"


def escalate_refusal(*, level: str, state: State | str) -> str | None:
    """上报: an open case held by a college union."""
    if level != COLLEGE:
        return "not_at_college"
    if state not in OPEN_STATES:
        return "escalate_closed"
    return None


def delegable_refusal(
    *,
    level: str,
    state: State | str,
    kind: Kind | str,
    sensitive: bool,
    college: str | None,
    has_chat: bool,
) -> str | None:
    """下派: an open, ordinary case at university level goes to its own college's union,
    which must have a chat. Sensitive cases never leave the university."""
    if level != UNIVERSITY:
        return "already_at_college"
    if state not in OPEN_STATES:
        return "delegate_closed"
    if not routable(kind):
        return "delegate_kind"
    if sensitive:
        return "delegate_sensitive"
    if college is None:
        return "delegate_no_college"
    return None if has_chat else "college_no_chat"


def delegate_refusal(
    *,
    level: str,
    state: State | str,
    kind: Kind | str,
    sensitive: bool,
    college: str | None,
    has_chat: bool,
    chosen: str,
) -> str | None:
    """下派 to the college `chosen` (a button's): only the case's own college's union."""
    refusal = delegable_refusal(
        level=level, state=state, kind=kind, sensitive=sensitive, college=college, has_chat=has_chat
    )
    if refusal is not None:
        return refusal
    return None if chosen == college else "delegate_other_college"


def level_filter(word: str) -> str | None:
    """`/queue level:…`: the level a word names (either language), None for none."""
    return {
        "college": COLLEGE,
        "院级": COLLEGE,
        "学院": COLLEGE,
        "university": UNIVERSITY,
        "校级": UNIVERSITY,
        "学校": UNIVERSITY,
    }.get(word.strip().casefold())


def cards_after_move(
    *, current: tuple[int | None, int | None, int | None], watch: tuple[int | None, ...], new: int
) -> tuple[tuple[int | None, ...], tuple[int | None, ...]]:
    """The case's cards after it moves to the chat `new`: (chat, topic, card) for the holding
    chat and for the chat that keeps watching. Back in a chat that watched it, its old card
    there becomes the live one again; otherwise a new card is posted (all None)."""
    if watch[0] is not None and watch[0] == new:
        return watch, current
    return (None, None, None), current
