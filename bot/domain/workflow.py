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
    # Proposals only: written and co-signed before the committee sees them; 撤回 and 转为意见建议
    # end them.
    DRAFT = "draft"
    COSIGNING = "cosigning"
    WITHDRAWN = "withdrawn"
    CONVERTED = "converted"


OPEN_STATES = frozenset(
    {State.SUBMITTED, State.ACCEPTED, State.NEEDS_INFO, State.IN_PROGRESS, State.REOPENED}
)
FINAL_STATES = frozenset(
    {State.CLOSED, State.REJECTED, State.MERGED, State.WITHDRAWN, State.CONVERTED}
)
# A proposal not yet submitted is its proposer's and co-signers' business: no card, no thread.
UNSUBMITTED = frozenset({State.DRAFT, State.COSIGNING})


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
    # Proposals: 发起附议, 附议, window closed, 撤回; 转为意见建议; 交办; a department's 答复
    # drafted by its liaison, then published or sent back by the officers.
    SEND_FOR_COSIGN = "send_for_cosign"
    COSIGN = "cosign"
    EXPIRE = "expire"
    WITHDRAW = "withdraw"
    CONVERT = "convert"
    ASSIGN = "assign"
    DRAFT_ANSWER = "draft_answer"
    APPROVE_ANSWER = "approve_answer"
    RETURN_ANSWER = "return_answer"
    # A department's liaison: "不属于本部门" — the part goes back to the officers.
    DECLINE = "decline_part"


class Role(StrEnum):
    STUDENT = "student"
    OFFICER = "officer"
    ADMIN = "admin"
    SYSTEM = "system"
    REPRESENTATIVE = "representative"
    LIAISON = "liaison"


class Part(StrEnum):
    """A responsible department's share of a case (转办) or proposal (交办): its answer's way
    to publication, or its refusal (不属于本部门)."""

    ASSIGNED = "assigned"
    REVIEW = "review"
    RETURNED = "returned"
    PUBLISHED = "published"
    DECLINED = "declined"


# A part its department still holds: it may answer, ask, or decline it.
PART_HELD = frozenset({Part.ASSIGNED, Part.RETURNED})
# A part not yet finished with: the case is answered when none is left.
PART_OPEN = frozenset({Part.ASSIGNED, Part.REVIEW, Part.RETURNED})


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
REPRESENTATIVES = frozenset({Role.REPRESENTATIVE})
LIAISONS = frozenset({Role.LIAISON})
SYSTEM = frozenset({Role.SYSTEM})
# SYSTEM publishes a department's answer where the organisation lets it skip the review.
REVIEWERS = OFFICERS | SYSTEM

# A case's text, and how many files it may carry.
TEXT_MIN, TEXT_MAX = 10, 3000
MAX_ATTACHMENTS = 5


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    role: Role
    # The chat the action was taken in: an officer's counts only from the case's own chat.
    chat_id: int | None = None


# "Previous state" for returns from needs_info: resolved from the case at run time.
RESUME = "resume"


@dataclass(frozen=True)
class CaseFacts:
    """What the guards need to know about a case."""

    state: State
    reopen_count: int = 0
    resume_state: State | None = None
    kind: Kind | None = None
    # Proposals: co-signatures still missing before this one. Any case a department holds: the
    # department part acted on, and how many parts (that one included) are still open.
    cosigns_missing: int = 0
    part: Part | None = None
    open_parts: int = 0


Guard = Callable[[CaseFacts], bool]


def _always(_: CaseFacts) -> bool:
    return True


def _may_reopen(facts: CaseFacts) -> bool:
    return facts.reopen_count == 0


def _reopen_used(facts: CaseFacts) -> bool:
    return facts.reopen_count > 0


# Proposals share the decisions (立案 is ACCEPT, 不予立案 REJECT, 合并 MERGE) and the rating;
# the rights department's own handling (转办, 需补充, 答复) is for the other kinds only.
def _not_proposal(facts: CaseFacts) -> bool:
    return facts.kind != Kind.PROPOSAL


def _proposal(facts: CaseFacts) -> bool:
    return facts.kind == Kind.PROPOSAL


def _no_cosigns_needed(facts: CaseFacts) -> bool:
    return _proposal(facts) and facts.cosigns_missing <= 0


def _cosigns_needed(facts: CaseFacts) -> bool:
    return _proposal(facts) and facts.cosigns_missing > 0


def _completes_cosigns(facts: CaseFacts) -> bool:
    return _proposal(facts) and facts.cosigns_missing == 1


def _more_cosigns_needed(facts: CaseFacts) -> bool:
    return _proposal(facts) and facts.cosigns_missing > 1


def _part_open(facts: CaseFacts) -> bool:
    return facts.part in PART_HELD


def _part_in_review(facts: CaseFacts) -> bool:
    return facts.part == Part.REVIEW


def _last_part(facts: CaseFacts) -> bool:
    return _part_in_review(facts) and facts.open_parts <= 1


def _not_last_part(facts: CaseFacts) -> bool:
    return _part_in_review(facts) and facts.open_parts > 1


# 不属于本部门 is for the rights department's own 转办; a proposal's 交办 is the committee's.
def _declines_last(facts: CaseFacts) -> bool:
    return _not_proposal(facts) and _part_open(facts) and facts.open_parts <= 1


def _declines_one_of_several(facts: CaseFacts) -> bool:
    return _not_proposal(facts) and _part_open(facts) and facts.open_parts > 1


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
    Transition(S.SUBMITTED, A.REQUEST_INFO, S.NEEDS_INFO, OFFICERS, _not_proposal),
    Transition(S.SUBMITTED, A.REJECT, S.REJECTED, OFFICERS),
    Transition(S.SUBMITTED, A.MERGE, S.MERGED, OFFICERS),
    Transition(S.SUBMITTED, A.ANSWER, S.ANSWERED, OFFICERS, _not_proposal),
    Transition(S.ACCEPTED, A.FORWARD, S.IN_PROGRESS, OFFICERS, _not_proposal),
    Transition(S.ACCEPTED, A.REQUEST_INFO, S.NEEDS_INFO, OFFICERS, _not_proposal),
    Transition(S.ACCEPTED, A.ANSWER, S.ANSWERED, OFFICERS, _not_proposal),
    Transition(S.ACCEPTED, A.ASSIGN, S.IN_PROGRESS, OFFICERS, _proposal),  # 交办
    Transition(S.ACCEPTED, A.MERGE, S.MERGED, OFFICERS),
    Transition(S.NEEDS_INFO, A.PROVIDE_INFO, RESUME, SUBMITTER),
    Transition(S.NEEDS_INFO, A.REJECT, S.REJECTED, OFFICERS),
    Transition(S.NEEDS_INFO, A.MERGE, S.MERGED, OFFICERS),
    Transition(S.IN_PROGRESS, A.FORWARD, S.IN_PROGRESS, OFFICERS, _not_proposal),
    Transition(S.IN_PROGRESS, A.REQUEST_INFO, S.NEEDS_INFO, OFFICERS, _not_proposal),
    Transition(S.IN_PROGRESS, A.ANSWER, S.ANSWERED, OFFICERS, _not_proposal),
    Transition(S.IN_PROGRESS, A.MERGE, S.MERGED, OFFICERS, _not_proposal),
    Transition(S.ANSWERED, A.RATE_SATISFIED, S.CLOSED, SUBMITTER),
    Transition(S.ANSWERED, A.RATE_PARTLY, S.CLOSED, SUBMITTER),
    Transition(S.ANSWERED, A.RATE_UNSATISFIED, S.REOPENED, SUBMITTER, _may_reopen),
    Transition(S.ANSWERED, A.RATE_UNSATISFIED, S.CLOSED, SUBMITTER, _reopen_used),
    Transition(S.REOPENED, A.FORWARD, S.IN_PROGRESS, OFFICERS, _not_proposal),
    Transition(S.REOPENED, A.ANSWER, S.ANSWERED, OFFICERS, _not_proposal),
    Transition(S.REOPENED, A.REQUEST_INFO, S.NEEDS_INFO, OFFICERS, _not_proposal),
    # Proposals: written, then co-signed by enough representatives before the window closes.
    Transition(S.DRAFT, A.SEND_FOR_COSIGN, S.COSIGNING, SUBMITTER, _cosigns_needed),
    Transition(S.DRAFT, A.SEND_FOR_COSIGN, S.SUBMITTED, SUBMITTER, _no_cosigns_needed),
    Transition(S.DRAFT, A.WITHDRAW, S.WITHDRAWN, SUBMITTER, _proposal),
    Transition(S.COSIGNING, A.COSIGN, S.COSIGNING, REPRESENTATIVES, _more_cosigns_needed),
    Transition(S.COSIGNING, A.COSIGN, S.SUBMITTED, REPRESENTATIVES, _completes_cosigns),
    Transition(S.COSIGNING, A.EXPIRE, S.DRAFT, SYSTEM, _proposal),
    Transition(S.COSIGNING, A.WITHDRAW, S.WITHDRAWN, SUBMITTER, _proposal),
    # The committee's decision: 立案 (ACCEPT), 不予立案 (REJECT), 合并 (MERGE) above, and:
    Transition(S.SUBMITTED, A.CONVERT, S.CONVERTED, OFFICERS, _proposal),
    # Each department's answer (a case's 转办 or a proposal's 交办): drafted by its liaison,
    # reviewed by the officers (or not, where the organisation says so); the case is answered
    # when the last part is published. 不满意 sends every part back once (REOPENED).
    Transition(S.IN_PROGRESS, A.DRAFT_ANSWER, S.IN_PROGRESS, LIAISONS, _part_open),
    Transition(S.IN_PROGRESS, A.RETURN_ANSWER, S.IN_PROGRESS, OFFICERS, _part_in_review),
    Transition(S.IN_PROGRESS, A.APPROVE_ANSWER, S.IN_PROGRESS, REVIEWERS, _not_last_part),
    Transition(S.IN_PROGRESS, A.APPROVE_ANSWER, S.ANSWERED, REVIEWERS, _last_part),
    Transition(S.REOPENED, A.DRAFT_ANSWER, S.REOPENED, LIAISONS, _part_open),
    Transition(S.REOPENED, A.RETURN_ANSWER, S.REOPENED, OFFICERS, _part_in_review),
    Transition(S.REOPENED, A.APPROVE_ANSWER, S.REOPENED, REVIEWERS, _not_last_part),
    Transition(S.REOPENED, A.APPROVE_ANSWER, S.ANSWERED, REVIEWERS, _last_part),
    # 不属于本部门: the last department holding the case gives it back to the officers, who
    # forward it elsewhere (from 已受理, or still 复核); one of several leaves it with the rest.
    Transition(S.IN_PROGRESS, A.DECLINE, S.ACCEPTED, LIAISONS, _declines_last),
    Transition(S.IN_PROGRESS, A.DECLINE, S.IN_PROGRESS, LIAISONS, _declines_one_of_several),
    Transition(S.REOPENED, A.DECLINE, S.REOPENED, LIAISONS, _declines_last),
    Transition(S.REOPENED, A.DECLINE, S.REOPENED, LIAISONS, _declines_one_of_several),
)
del S, A


class TransitionError(Exception):
    """The action is not possible; `reason` is a stable code the caller turns into words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def required_text(text: str) -> str:
    """The text without its surrounding blanks; an action that needs words refuses an empty one."""
    text = text.strip()
    if not text:
        raise TransitionError("text_required")
    return text


# Where a department's answer can be recorded by an officer on its behalf (记录部门答复): a case
# a department holds after 转办 (or again after 复核), before it has an answer.
AWAITING_DEPARTMENT = frozenset({State.IN_PROGRESS, State.REOPENED})


def recording_refusal(state: str, kind: str, department_code: str | None) -> str | None:
    """Why a department's answer cannot be recorded on its behalf now (None: it can). The
    answer itself is then an ANSWER through the table, like any other."""
    if kind == Kind.PROPOSAL:
        return "record_proposal"  # its departments answer through their liaisons (交办)
    if state in FINAL_STATES or state == State.ANSWERED:
        return "record_finished"
    if state not in AWAITING_DEPARTMENT or not department_code:
        return "record_not_forwarded"
    return None


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
