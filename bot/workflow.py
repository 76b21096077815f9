"""Case states, who may move a case, and where it goes. Knows nothing of Telegram or storage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    SUGGESTION = "suggestion"
    GRIEVANCE = "grievance"
    PROPOSAL = "proposal"
    QUESTION = "question"


NUMBER_PREFIX = {Kind.SUGGESTION: "S", Kind.GRIEVANCE: "G", Kind.PROPOSAL: "P", Kind.QUESTION: "Q"}
STUDENT_KINDS = (Kind.SUGGESTION, Kind.GRIEVANCE)


class State(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    NEEDS_INFO = "needs_info"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    REOPENED = "reopened"
    CLOSED = "closed"
    REJECTED = "rejected"
    MERGED = "merged"


OPEN_STATES = frozenset(
    {State.SUBMITTED, State.ACCEPTED, State.NEEDS_INFO, State.IN_PROGRESS, State.REOPENED}
)
FINAL_STATES = frozenset({State.CLOSED, State.REJECTED, State.MERGED})


class Action(StrEnum):
    ACCEPT = "accept"
    REQUEST_INFO = "request_info"
    PROVIDE_INFO = "provide_info"
    FORWARD = "forward"
    REJECT = "reject"
    ANSWER = "answer"
    MERGE = "merge"
    RATE_SATISFIED = "rate_satisfied"
    RATE_PARTLY = "rate_partly"
    RATE_UNSATISFIED = "rate_unsatisfied"


class Role(StrEnum):
    STUDENT = "student"
    OFFICER = "officer"
    ADMIN = "admin"
    SYSTEM = "system"


RATING_OF = {Action.RATE_SATISFIED: 3, Action.RATE_PARTLY: 2, Action.RATE_UNSATISFIED: 1}
ACTION_OF_RATING = {rating: action for action, rating in RATING_OF.items()}

# Actions whose text is required (a reason, a question, an answer, a target).
TEXT_REQUIRED = frozenset({Action.REQUEST_INFO, Action.REJECT, Action.ANSWER})
# Actions that end the officers' first-response clock.
FIRST_RESPONSE = frozenset(
    {Action.ACCEPT, Action.REQUEST_INFO, Action.FORWARD, Action.REJECT, Action.ANSWER, Action.MERGE}
)

OFFICERS = frozenset({Role.OFFICER, Role.ADMIN})
SUBMITTER = frozenset({Role.STUDENT})

# "Previous state" for returns from needs_info: resolved from the case at run time.
RESUME = "resume"


@dataclass(frozen=True)
class CaseFacts:
    """What the guards need to know about a case."""

    state: State
    reopen_count: int = 0
    resume_state: State | None = None


Guard = Callable[[CaseFacts], bool]


def _always(_: CaseFacts) -> bool:
    return True


def _may_reopen(facts: CaseFacts) -> bool:
    return facts.reopen_count == 0


def _reopen_used(facts: CaseFacts) -> bool:
    return facts.reopen_count > 0


@dataclass(frozen=True)
class Transition:
    source: State
    action: Action
    target: State | str
    roles: frozenset[Role]
    guard: Guard = _always


S, A = State, Action
TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.SUBMITTED, A.ACCEPT, S.ACCEPTED, OFFICERS),
    Transition(S.SUBMITTED, A.REQUEST_INFO, S.NEEDS_INFO, OFFICERS),
    Transition(S.SUBMITTED, A.REJECT, S.REJECTED, OFFICERS),
    Transition(S.SUBMITTED, A.MERGE, S.MERGED, OFFICERS),
    Transition(S.SUBMITTED, A.ANSWER, S.ANSWERED, OFFICERS),
    Transition(S.ACCEPTED, A.FORWARD, S.IN_PROGRESS, OFFICERS),
    Transition(S.ACCEPTED, A.REQUEST_INFO, S.NEEDS_INFO, OFFICERS),
    Transition(S.ACCEPTED, A.ANSWER, S.ANSWERED, OFFICERS),
    Transition(S.ACCEPTED, A.MERGE, S.MERGED, OFFICERS),
    Transition(S.NEEDS_INFO, A.PROVIDE_INFO, RESUME, SUBMITTER),
    Transition(S.NEEDS_INFO, A.REJECT, S.REJECTED, OFFICERS),
    Transition(S.NEEDS_INFO, A.MERGE, S.MERGED, OFFICERS),
    Transition(S.IN_PROGRESS, A.FORWARD, S.IN_PROGRESS, OFFICERS),
    Transition(S.IN_PROGRESS, A.REQUEST_INFO, S.NEEDS_INFO, OFFICERS),
    Transition(S.IN_PROGRESS, A.ANSWER, S.ANSWERED, OFFICERS),
    Transition(S.IN_PROGRESS, A.MERGE, S.MERGED, OFFICERS),
    Transition(S.ANSWERED, A.RATE_SATISFIED, S.CLOSED, SUBMITTER),
    Transition(S.ANSWERED, A.RATE_PARTLY, S.CLOSED, SUBMITTER),
    Transition(S.ANSWERED, A.RATE_UNSATISFIED, S.REOPENED, SUBMITTER, _may_reopen),
    Transition(S.ANSWERED, A.RATE_UNSATISFIED, S.CLOSED, SUBMITTER, _reopen_used),
    Transition(S.REOPENED, A.FORWARD, S.IN_PROGRESS, OFFICERS),
    Transition(S.REOPENED, A.ANSWER, S.ANSWERED, OFFICERS),
    Transition(S.REOPENED, A.REQUEST_INFO, S.NEEDS_INFO, OFFICERS),
)
del S, A


class TransitionError(Exception):
    """The action is not possible; `reason` is a stable code the caller turns into words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def resolve(facts: CaseFacts, action: Action, role: Role) -> State:
    """The state `action` by `role` leads to, or TransitionError("forbidden" | "invalid")."""
    candidates = [t for t in TRANSITIONS if t.source == facts.state and t.action == action]
    if not candidates:
        raise TransitionError("invalid")
    permitted = [t for t in candidates if role in t.roles]
    if not permitted:
        raise TransitionError("forbidden")
    for transition in permitted:
        if transition.guard(facts):
            if transition.target == RESUME:
                return facts.resume_state or State.SUBMITTED
            return State(transition.target)
    raise TransitionError("invalid")


def available_actions(facts: CaseFacts, role: Role) -> list[Action]:
    """Actions `role` may take now, in table order, each once."""
    seen: list[Action] = []
    for t in TRANSITIONS:
        if t.source == facts.state and role in t.roles and t.guard(facts) and t.action not in seen:
            seen.append(t.action)
    return seen
