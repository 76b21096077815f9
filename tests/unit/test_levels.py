"""校院两级's routing rules, without a bot: where a case starts, who may act on it at which
level, who may 上报 and 下派 what, and where its cards go when it moves."""

from __future__ import annotations

import pytest

from bot.domain import levels
from bot.domain.levels import COLLEGE, UNIVERSITY
from bot.domain.roles import grant_refusal, scope_refusal
from bot.domain.workflow import Kind, State

COLLEGES = {"clinical", "nursing"}


@pytest.mark.parametrize(
    ("kind", "sensitive", "college", "has_chat", "expected"),
    [
        (Kind.GRIEVANCE, False, "clinical", True, COLLEGE),
        (Kind.SUGGESTION, False, "clinical", True, COLLEGE),
        (Kind.GRIEVANCE, False, "clinical", False, UNIVERSITY),  # no union chat bound
        (Kind.GRIEVANCE, True, "clinical", True, UNIVERSITY),  # sensitive: never a college
        (Kind.GRIEVANCE, False, None, True, UNIVERSITY),  # no college given
        (Kind.PROPOSAL, False, "clinical", True, UNIVERSITY),  # the congress's business
        (Kind.QUESTION, False, "clinical", True, UNIVERSITY),
    ],
)
def test_where_a_new_case_starts(
    kind: Kind, sensitive: bool, college: str | None, has_chat: bool, expected: str
) -> None:
    assert (
        levels.initial_level(kind=kind, sensitive=sensitive, college=college, has_chat=has_chat)
        == expected
    )


def test_university_officers_act_everywhere_college_officers_on_their_college_cases() -> None:
    university, clinical = {""}, {"clinical"}
    assert levels.officer_scope_refusal(scopes=university, level=COLLEGE, college="nursing") is None
    assert levels.officer_scope_refusal(scopes=university, level=UNIVERSITY, college=None) is None
    assert levels.officer_scope_refusal(scopes=clinical, level=COLLEGE, college="clinical") is None
    assert (
        levels.officer_scope_refusal(scopes=clinical, level=COLLEGE, college="nursing")
        == "other_college"
    )
    # Their own college's case, once escalated, is the university's.
    assert (
        levels.officer_scope_refusal(scopes=clinical, level=UNIVERSITY, college="clinical")
        == "university_case"
    )
    assert (
        levels.officer_scope_refusal(scopes=set(), level=COLLEGE, college="clinical", is_admin=True)
        is None
    )


@pytest.mark.parametrize("state", sorted(State))
def test_only_an_open_case_held_by_a_college_is_escalated(state: State) -> None:
    open_ = state in {"submitted", "accepted", "needs_info", "in_progress", "reopened"}
    assert levels.escalate_refusal(level=COLLEGE, state=state) == (
        None if open_ else "escalate_closed"
    )
    assert levels.escalate_refusal(level=UNIVERSITY, state=state) == "not_at_college"


def test_delegation_goes_to_the_case_s_own_college_union_with_a_chat() -> None:
    ok = {
        "level": UNIVERSITY,
        "state": State.ACCEPTED,
        "kind": Kind.GRIEVANCE,
        "sensitive": False,
        "college": "clinical",
        "has_chat": True,
    }
    assert levels.delegate_refusal(**ok, chosen="clinical") is None  # type: ignore[arg-type]
    refusals = {
        "level": (COLLEGE, "already_at_college"),
        "state": (State.CLOSED, "delegate_closed"),
        "kind": (Kind.PROPOSAL, "delegate_kind"),
        "sensitive": (True, "delegate_sensitive"),
        "college": (None, "delegate_no_college"),
        "has_chat": (False, "college_no_chat"),
    }
    for key, (value, reason) in refusals.items():
        facts = ok | {key: value}
        assert levels.delegable_refusal(**facts) == reason, key  # type: ignore[arg-type]
    assert (
        levels.delegate_refusal(**ok, chosen="nursing")  # type: ignore[arg-type]
        == "delegate_other_college"
    )


def test_cards_after_a_move() -> None:
    college_card, university_card = (-3, None, 30), (-1, 7, 10)
    # 上报: the college's card stays there, watching; a new card is posted above.
    live, watch = levels.cards_after_move(current=college_card, watch=(None, None, None), new=-1)
    assert (live, watch) == ((None, None, None), college_card)
    # 下派 back: the college's card is the live one again, the university's watches.
    live, watch = levels.cards_after_move(current=university_card, watch=college_card, new=-3)
    assert (live, watch) == (college_card, university_card)
    # A case that had no card yet has none anywhere.
    live, watch = levels.cards_after_move(
        current=(None, None, None), watch=(None, None, None), new=-3
    )
    assert live == watch == (None, None, None)


def test_purposes_scopes_and_the_queue_filter() -> None:
    assert levels.purpose_of("clinical") == "college:clinical"
    assert levels.college_of_purpose("college:clinical") == "clinical"
    assert levels.college_of_purpose("officers") is None
    assert levels.scope_code(" college:nursing ") == "nursing" == levels.scope_code("nursing")
    assert levels.level_filter("院级") == COLLEGE == levels.level_filter("College")
    assert levels.level_filter("university") == UNIVERSITY
    assert levels.level_filter("department") is None


def test_an_officer_grant_takes_a_known_college_as_its_scope() -> None:
    def refusal(scope: str) -> str | None:
        return scope_refusal(role="officer", scope=scope, departments=set(), colleges=COLLEGES)

    assert refusal("") is None and refusal("clinical") is None
    assert refusal("nosuch") == "unknown_college"
    assert (
        grant_refusal(
            is_admin=True,
            role="officer",
            scope="nursing",
            departments=set(),
            colleges=COLLEGES,
            target_known=True,
        )
        is None
    )
    assert scope_refusal(role="admin", scope="clinical", departments=set()) == "role_takes_no_scope"
