"""The transition table, without a bot or a database."""

import pytest

from bot.domain.workflow import (
    FINAL_STATES,
    LIAISONS,
    OFFICERS,
    OPEN_STATES,
    REPRESENTATIVES,
    REVIEWERS,
    SUBMITTER,
    SYSTEM,
    TRANSITIONS,
    UNSUBMITTED,
    Action,
    CaseFacts,
    Kind,
    Part,
    Role,
    State,
    TransitionError,
    available_actions,
    recording_refusal,
    resolve,
)


def test_the_documented_lifecycle_is_walkable() -> None:
    facts = CaseFacts(State.SUBMITTED)
    path = [
        (Action.ACCEPT, Role.OFFICER, State.ACCEPTED),
        (Action.FORWARD, Role.OFFICER, State.IN_PROGRESS),
        (Action.ANSWER, Role.OFFICER, State.ANSWERED),
        (Action.RATE_UNSATISFIED, Role.STUDENT, State.REOPENED),
    ]
    for action, role, expected in path:
        facts = CaseFacts(resolve(facts, action, role), reopen_count=facts.reopen_count)
        assert facts.state == expected
    facts = CaseFacts(facts.state, reopen_count=1)
    facts = CaseFacts(resolve(facts, Action.FORWARD, Role.OFFICER), reopen_count=1)
    facts = CaseFacts(resolve(facts, Action.ANSWER, Role.OFFICER), reopen_count=1)
    assert resolve(facts, Action.RATE_UNSATISFIED, Role.STUDENT) == State.CLOSED


def test_unsatisfied_reopens_only_once() -> None:
    first = CaseFacts(State.ANSWERED, reopen_count=0)
    second = CaseFacts(State.ANSWERED, reopen_count=1)
    assert resolve(first, Action.RATE_UNSATISFIED, Role.STUDENT) == State.REOPENED
    assert resolve(second, Action.RATE_UNSATISFIED, Role.STUDENT) == State.CLOSED


@pytest.mark.parametrize("rating", [Action.RATE_SATISFIED, Action.RATE_PARTLY])
def test_satisfied_or_partly_closes(rating: Action) -> None:
    assert resolve(CaseFacts(State.ANSWERED), rating, Role.STUDENT) == State.CLOSED


@pytest.mark.parametrize("before", [State.SUBMITTED, State.ACCEPTED, State.IN_PROGRESS])
def test_info_given_returns_to_where_the_request_came_from(before: State) -> None:
    asked = resolve(CaseFacts(before), Action.REQUEST_INFO, Role.OFFICER)
    assert asked == State.NEEDS_INFO
    back = resolve(CaseFacts(asked, resume_state=before), Action.PROVIDE_INFO, Role.STUDENT)
    assert back == before


def test_students_cannot_do_officer_work_and_the_reverse() -> None:
    with pytest.raises(TransitionError) as err:
        resolve(CaseFacts(State.SUBMITTED), Action.ACCEPT, Role.STUDENT)
    assert err.value.reason == "forbidden"
    with pytest.raises(TransitionError) as err:
        resolve(CaseFacts(State.ANSWERED), Action.RATE_SATISFIED, Role.OFFICER)
    assert err.value.reason == "forbidden"


def test_actions_impossible_in_a_state_are_invalid() -> None:
    for state in (State.CLOSED, State.REJECTED, State.MERGED):
        assert available_actions(CaseFacts(state), Role.OFFICER) == []
        with pytest.raises(TransitionError) as err:
            resolve(CaseFacts(state), Action.ANSWER, Role.OFFICER)
        assert err.value.reason == "invalid"
    with pytest.raises(TransitionError):
        resolve(CaseFacts(State.SUBMITTED), Action.FORWARD, Role.OFFICER)


def test_admins_may_do_what_officers_may() -> None:
    for state in State:
        assert available_actions(CaseFacts(state), Role.ADMIN) == available_actions(
            CaseFacts(state), Role.OFFICER
        )


def test_every_open_state_has_a_way_forward_and_final_states_none() -> None:
    for state in State:
        outgoing = [t for t in TRANSITIONS if t.source == state]
        # An unsubmitted proposal moves on too, but is nobody's open case yet.
        moving = state in OPEN_STATES or state in UNSUBMITTED or state == State.ANSWERED
        assert bool(outgoing) == moving, state


def test_card_buttons_follow_the_state() -> None:
    assert available_actions(CaseFacts(State.SUBMITTED), Role.OFFICER) == [
        Action.ACCEPT,
        Action.REQUEST_INFO,
        Action.REJECT,
        Action.MERGE,
        Action.ANSWER,
    ]
    assert Action.FORWARD in available_actions(CaseFacts(State.ACCEPTED), Role.OFFICER)
    assert available_actions(CaseFacts(State.ANSWERED), Role.OFFICER) == []


def test_the_table_allows_each_role_only_its_own_moves() -> None:
    for transition in TRANSITIONS:
        facts = CaseFacts(transition.source, resume_state=State.ACCEPTED)
        for role in Role:
            if role in transition.roles:
                continue
            with pytest.raises(TransitionError) as error:
                resolve(facts, transition.action, role)
            assert error.value.reason == "forbidden"
    # Proposals add representatives (附议), liaisons (答复) and the window's close; a
    # department's answer is published by the officers, or the system where review is skipped.
    known = (OFFICERS, SUBMITTER, REPRESENTATIVES, LIAISONS, SYSTEM, REVIEWERS)
    assert all(t.roles in known for t in TRANSITIONS)
    for state in FINAL_STATES:
        assert available_actions(CaseFacts(state), Role.OFFICER) == []
        assert available_actions(CaseFacts(state), Role.STUDENT) == []
    with pytest.raises(TransitionError):
        resolve(CaseFacts(State.ANSWERED, reopen_count=0), Action.ACCEPT, Role.OFFICER)
    unsatisfied = Action.RATE_UNSATISFIED
    assert resolve(CaseFacts(State.ANSWERED), unsatisfied, Role.STUDENT) == State.REOPENED
    once = CaseFacts(State.ANSWERED, reopen_count=1)
    assert resolve(once, unsatisfied, Role.STUDENT) == State.CLOSED


@pytest.mark.parametrize(
    ("state", "kind", "department", "refusal"),
    [
        (State.IN_PROGRESS, Kind.GRIEVANCE, "logistics", None),
        (State.REOPENED, Kind.SUGGESTION, "logistics", None),
        (State.ACCEPTED, Kind.GRIEVANCE, None, "record_not_forwarded"),
        (State.IN_PROGRESS, Kind.GRIEVANCE, None, "record_not_forwarded"),
        (State.NEEDS_INFO, Kind.GRIEVANCE, "logistics", "record_not_forwarded"),
        (State.ANSWERED, Kind.GRIEVANCE, "logistics", "record_finished"),
        (State.CLOSED, Kind.GRIEVANCE, "logistics", "record_finished"),
        (State.MERGED, Kind.GRIEVANCE, "logistics", "record_finished"),
        (State.IN_PROGRESS, Kind.PROPOSAL, "logistics", "record_proposal"),
    ],
)
def test_a_departments_answer_is_recorded_only_while_it_is_awaited(
    state: State, kind: Kind, department: str | None, refusal: str | None
) -> None:
    assert recording_refusal(state, kind, department) == refusal
    if refusal is None:  # and then it is an ordinary answer of the table
        assert resolve(CaseFacts(state=state, kind=kind), Action.ANSWER, Role.OFFICER) == (
            State.ANSWERED
        )


def test_a_department_answers_or_declines_a_forwarded_case() -> None:
    held = CaseFacts(State.IN_PROGRESS, kind=Kind.GRIEVANCE, part=Part.ASSIGNED, open_parts=1)
    assert resolve(held, Action.DRAFT_ANSWER, Role.LIAISON) == State.IN_PROGRESS
    # The only department declining gives the case back to the officers; one of two does not.
    assert resolve(held, Action.DECLINE, Role.LIAISON) == State.ACCEPTED
    two = CaseFacts(State.IN_PROGRESS, kind=Kind.GRIEVANCE, part=Part.ASSIGNED, open_parts=2)
    assert resolve(two, Action.DECLINE, Role.LIAISON) == State.IN_PROGRESS
    reopened = CaseFacts(State.REOPENED, kind=Kind.GRIEVANCE, part=Part.RETURNED, open_parts=1)
    assert resolve(reopened, Action.DECLINE, Role.LIAISON) == State.REOPENED
    review = CaseFacts(State.IN_PROGRESS, kind=Kind.GRIEVANCE, part=Part.REVIEW, open_parts=1)
    assert resolve(review, Action.APPROVE_ANSWER, Role.SYSTEM) == State.ANSWERED
    for facts in (review, CaseFacts(State.IN_PROGRESS, kind=Kind.GRIEVANCE, part=Part.DECLINED)):
        with pytest.raises(TransitionError):
            resolve(facts, Action.DECLINE, Role.LIAISON)
    # A proposal's 交办 is the committee's: its departments answer, they do not decline.
    proposal = CaseFacts(State.IN_PROGRESS, kind=Kind.PROPOSAL, part=Part.ASSIGNED, open_parts=1)
    with pytest.raises(TransitionError):
        resolve(proposal, Action.DECLINE, Role.LIAISON)
