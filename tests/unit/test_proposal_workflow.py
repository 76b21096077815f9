"""The transition table's proposal rows, without a bot or a database."""

from __future__ import annotations

import pytest

from bot.domain.workflow import (
    Action,
    CaseFacts,
    Kind,
    Part,
    Role,
    State,
    TransitionError,
    available_actions,
    resolve,
)

P = Kind.PROPOSAL


def proposal(state: State, **facts: object) -> CaseFacts:
    return CaseFacts(state, kind=P, **facts)  # type: ignore[arg-type]


def test_cosignatures_decide_when_a_proposal_is_submitted() -> None:
    assert (
        resolve(proposal(State.DRAFT, cosigns_missing=2), Action.SEND_FOR_COSIGN, Role.STUDENT)
        == State.COSIGNING
    )
    assert (
        resolve(proposal(State.DRAFT, cosigns_missing=0), Action.SEND_FOR_COSIGN, Role.STUDENT)
        == State.SUBMITTED
    )
    cosigning = Action.COSIGN, Role.REPRESENTATIVE
    assert resolve(proposal(State.COSIGNING, cosigns_missing=2), *cosigning) == State.COSIGNING
    assert resolve(proposal(State.COSIGNING, cosigns_missing=1), *cosigning) == State.SUBMITTED
    assert resolve(proposal(State.COSIGNING), Action.EXPIRE, Role.SYSTEM) == State.DRAFT


def test_only_the_right_people_move_a_proposal() -> None:
    for facts, action, role in (
        (proposal(State.COSIGNING, cosigns_missing=1), Action.COSIGN, Role.STUDENT),
        (proposal(State.COSIGNING), Action.EXPIRE, Role.OFFICER),
        (proposal(State.SUBMITTED), Action.CONVERT, Role.REPRESENTATIVE),
        (
            proposal(State.IN_PROGRESS, part=Part.ASSIGNED, open_parts=1),
            Action.DRAFT_ANSWER,
            Role.OFFICER,
        ),
        (
            proposal(State.IN_PROGRESS, part=Part.REVIEW, open_parts=1),
            Action.APPROVE_ANSWER,
            Role.LIAISON,
        ),
    ):
        with pytest.raises(TransitionError) as err:
            resolve(facts, action, role)
        assert err.value.reason == "forbidden"


def test_the_committee_decides_and_the_departments_answer() -> None:
    assert available_actions(proposal(State.SUBMITTED), Role.OFFICER) == [
        Action.ACCEPT,
        Action.REJECT,
        Action.MERGE,
        Action.CONVERT,
    ]
    assert available_actions(proposal(State.ACCEPTED), Role.OFFICER) == [
        Action.ASSIGN,
        Action.MERGE,
    ]
    # The last part published answers the proposal; before it, it stays with the departments.
    review = Action.APPROVE_ANSWER, Role.OFFICER
    assert (
        resolve(proposal(State.IN_PROGRESS, part=Part.REVIEW, open_parts=2), *review)
        == State.IN_PROGRESS
    )
    assert (
        resolve(proposal(State.IN_PROGRESS, part=Part.REVIEW, open_parts=1), *review)
        == State.ANSWERED
    )
    assert (
        resolve(proposal(State.REOPENED, part=Part.REVIEW, open_parts=1), *review) == State.ANSWERED
    )
    with pytest.raises(TransitionError):  # nothing to publish before the liaison answers
        resolve(proposal(State.IN_PROGRESS, part=Part.ASSIGNED, open_parts=1), *review)
    with pytest.raises(TransitionError):  # an answer under review is not written again
        resolve(proposal(State.IN_PROGRESS, part=Part.REVIEW), Action.DRAFT_ANSWER, Role.LIAISON)
    returned = proposal(State.IN_PROGRESS, part=Part.RETURNED, open_parts=1)
    assert resolve(returned, Action.DRAFT_ANSWER, Role.LIAISON) == State.IN_PROGRESS


def test_unsatisfied_sends_a_proposal_back_once() -> None:
    assert (
        resolve(proposal(State.ANSWERED), Action.RATE_UNSATISFIED, Role.STUDENT) == State.REOPENED
    )
    again = proposal(State.ANSWERED, reopen_count=1)
    assert resolve(again, Action.RATE_UNSATISFIED, Role.STUDENT) == State.CLOSED


@pytest.mark.parametrize("state", list(State))
def test_the_other_kinds_keep_their_buttons(state: State) -> None:
    """A case of another kind has exactly the actions it had before proposals existed."""
    for kind in (Kind.GRIEVANCE, Kind.SUGGESTION):
        facts = CaseFacts(state, kind=kind)
        assert available_actions(facts, Role.OFFICER) == available_actions(
            CaseFacts(state), Role.OFFICER
        )
    assert all(
        action not in available_actions(CaseFacts(state, kind=Kind.GRIEVANCE), Role.OFFICER)
        for action in (Action.CONVERT, Action.ASSIGN, Action.APPROVE_ANSWER)
    )
    proposal_actions = available_actions(proposal(state), Role.OFFICER)
    assert Action.FORWARD not in proposal_actions and Action.ANSWER not in proposal_actions
