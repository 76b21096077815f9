"""Names of states, kinds, actions and ratings, marked for translation."""

from __future__ import annotations

from bot.domain.text import N_
from bot.domain.workflow import Action, Kind, Part, State

STATE = {
    State.SUBMITTED: N_("Awaiting acceptance"),
    State.ACCEPTED: N_("Accepted"),
    State.NEEDS_INFO: N_("Needs more information"),
    State.IN_PROGRESS: N_("In progress"),
    State.ANSWERED: N_("Answered"),
    State.REOPENED: N_("Re-handling"),
    State.CLOSED: N_("Closed"),
    State.REJECTED: N_("Not accepted"),
    State.MERGED: N_("Merged"),
    State.DRAFT: N_("Draft"),
    State.COSIGNING: N_("Collecting co-signatures"),
    State.WITHDRAWN: N_("Withdrawn"),
    State.CONVERTED: N_("Converted to a suggestion"),
}

# What a state is called on a proposal, where it differs (审查, 立案, 不予立案).
PROPOSAL_STATE = {
    State.SUBMITTED: N_("Awaiting the committee's review"),
    State.ACCEPTED: N_("Registered"),
    State.REJECTED: N_("Not registered"),
}

STATE_ICON = {
    State.SUBMITTED: "🆕",
    State.ACCEPTED: "📥",
    State.NEEDS_INFO: "❓",
    State.IN_PROGRESS: "⏳",
    State.ANSWERED: "💬",
    State.REOPENED: "🔁",
    State.CLOSED: "✅",
    State.REJECTED: "⛔",
    State.MERGED: "🔗",
    State.DRAFT: "📝",
    State.COSIGNING: "✍️",
    State.WITHDRAWN: "↩️",
    State.CONVERTED: "🔀",
}

KIND = {
    Kind.SUGGESTION: N_("Suggestion"),
    Kind.GRIEVANCE: N_("Grievance"),
    Kind.PROPOSAL: N_("Proposal"),
    Kind.QUESTION: N_("Question"),
}

# A proposal's card: the proposal committee decides (立案 / 不予立案 / 合并 / 转为意见建议), then
# hands it to the responsible departments (交办).
PROPOSAL_CARD_BUTTON = {
    Action.ACCEPT: N_("Register as proposal"),
    Action.REJECT: N_("Do not register"),
    Action.MERGE: N_("Merge"),
    Action.CONVERT: N_("Convert to suggestion"),
    Action.ASSIGN: N_("Assign departments"),
}

CARD_BUTTON = {
    Action.ACCEPT: N_("Accept"),
    Action.REQUEST_INFO: N_("Ask for info"),
    Action.FORWARD: N_("Forward"),
    Action.REJECT: N_("Reject"),
    Action.ANSWER: N_("Answer"),
    Action.MERGE: N_("Merge"),
}
RECATEGORISE_BUTTON = N_("Re-categorise")

EVENT = {
    "submit": N_("Submitted"),
    Action.ACCEPT: N_("Accepted by the rights department"),
    Action.REQUEST_INFO: N_("More information requested"),
    Action.PROVIDE_INFO: N_("You added information"),
    Action.FORWARD: N_("Forwarded to a department"),
    Action.REJECT: N_("Not accepted"),
    Action.ANSWER: N_("Answered"),
    Action.MERGE: N_("Merged into another case"),
    Action.RATE_SATISFIED: N_("You rated: satisfied"),
    Action.RATE_PARTLY: N_("You rated: partly satisfied"),
    Action.RATE_UNSATISFIED: N_("You rated: unsatisfied"),
    "reply": N_("Message from the rights department"),
    "student_message": N_("You added information"),
    "rating_comment": N_("Your comment"),
    Action.SEND_FOR_COSIGN: N_("Opened for co-signing"),
    Action.COSIGN: N_("Co-signed"),
    "decline": N_("A representative declined to co-sign"),
    Action.EXPIRE: N_("The proposal window closed without enough co-signers"),
    Action.WITHDRAW: N_("Withdrawn"),
    Action.CONVERT: N_("Converted to a suggestion"),
    Action.ASSIGN: N_("Assigned to the responsible departments"),
    Action.APPROVE_ANSWER: N_("A department's answer was published"),
    Action.DECLINE: N_("A department found the case not its own"),
    "converted_from": N_("Converted from a proposal"),
    "recategorise": N_("Re-categorised"),
    "answer_recorded": N_(
        "The department's answer, recorded on its behalf by the rights department"
    ),
    "on_behalf": N_("Submitted by a representative on a classmate's behalf"),
}

# A responsible department's part of a case or proposal.
PART = {
    Part.ASSIGNED: N_("Awaiting the department's answer"),
    Part.REVIEW: N_("Answer under review"),
    Part.RETURNED: N_("Answer sent back for revision"),
    Part.PUBLISHED: N_("Answer published"),
    Part.DECLINED: N_("Not for this department"),
}

RATING = {3: N_("Satisfied"), 2: N_("Partly satisfied"), 1: N_("Unsatisfied")}

TRANSITION_ERROR = {
    "invalid": N_("This action is not possible in the case's current state."),
    "forbidden": N_("You are not allowed to do this."),
    "not_found": N_("This case no longer exists."),
    "purged": N_("This case was deleted after the retention period."),
    "text_required": N_("This action needs a text."),
    "unknown_department": N_("Unknown department."),
    "merge_target_missing": N_("No case with that number."),
    "merge_into_self": N_("A case cannot be merged into itself."),
    "merge_target_closed": N_("That case is already finished; choose an open one."),
    "closed": N_("This case is finished; please submit a new one."),
    "unknown_category": N_("Unknown category."),
    "intake_unknown_college": N_("Unknown college."),
    "bad_received_on": N_("The date received must be a day of the past year, not in the future."),
    "bad_text": N_("The text does not meet the length rules."),
    "merge_kind_mismatch": N_("A proposal can only be merged with another proposal."),
    "not_representative": N_("Only student representatives of this congress session can do this."),
    "window_closed": N_("The proposal window of this congress session is closed."),
    "own_proposal": N_("You cannot co-sign your own proposal."),
    "already_decided": N_("You have already answered this co-signing request."),
    "incomplete": N_("Some parts of the proposal are still empty."),
    "no_departments": N_("Choose at least one department."),
    "not_liaison": N_("Only the liaison of the responsible department can do this."),
    "not_with_department": N_(
        "Your department no longer holds this case (it was answered, declined or taken back); "
        "nothing was changed."
    ),
    "already_with_department": N_("That department already has this case."),
    "not_submitted": N_("This proposal has not been submitted yet."),
    "too_many_files": N_("That is the most files a proposal can have."),
    "not_cosigning": N_("This proposal is not collecting co-signatures (any more)."),
    "wrong_chat": N_("This case belongs to another chat; nothing was changed."),
    "record_not_forwarded": N_(
        "This case has not been forwarded to a department: there is no department's answer "
        "to record. Nothing was changed."
    ),
    "record_finished": N_(
        "This case already has an answer or is finished: nothing was recorded or sent."
    ),
    "record_proposal": N_(
        "A proposal's departments answer through their liaisons; nothing was recorded."
    ),
    "merge_target_other_chat": N_("That case belongs to another chat; it cannot be merged into."),
    "same_category": N_("The case is already in that category."),
    "not_allowed": N_("This case cannot be re-categorised."),
    "not_yours": N_("Only the officer who was asked can do this."),
    "not_officer": N_("That person is no longer an officer; choose another."),
    "no_such_case": N_("No case with that number."),
    "reveal_private_only": N_("Use this command in a private chat with the bot."),
    "reveal_not_anonymous": N_(
        "This case is not anonymous: the officers already see who wrote it."
    ),
    "reveal_no_author": N_("Who wrote this case can no longer be found (their data was erased)."),
    "reveal_pending": N_(
        "A request to reveal this case's author is already waiting for a second admin."
    ),
    "reveal_no_second_admin": N_(
        "No other admin could approve it: a reveal needs two different admins."
    ),
    "reveal_reason_short": N_(
        "The reason is too short: describe the imminent risk in a full sentence."
    ),
    "reveal_reason_long": N_("The reason is too long: keep it to a short paragraph."),
    "reveal_already_approved": N_("This request has already been approved by another admin."),
    "reveal_already_refused": N_("This request has already been refused by another admin."),
    "reveal_expired": N_(
        "This request has expired; nothing was revealed. Ask again if the risk remains."
    ),
    "reveal_own_request": N_("You asked for this reveal: a different admin must approve it."),
    "reveal_key_missing": N_(
        "The author's seal cannot be opened with the current IDENTITY_KEY; nothing was revealed."
    ),
    "not_requested": N_(
        "Its student did not ask to make this case public: there is no public version to "
        "write. Nothing was changed."
    ),
    "already_published": N_(
        "This case is already public: its public wording can no longer be changed. "
        "Nothing was changed."
    ),
    "declined": N_("Its student declined to make this case public. Nothing was changed."),
    "case_closed": N_("This case is finished: it is no longer made public. Nothing was changed."),
    "public_text_length": N_(
        "The public wording must be 10 to 1000 characters long. Nothing was changed."
    ),
    "not_drafted": N_("There is no public wording waiting for your answer."),
    "not_public": N_(
        "This case is not public (or no longer): it cannot be supported. Nothing was changed."
    ),
    "already_supported": N_("You have already supported this case; it counts you once."),
    "no_student": N_("This case has no student to mute: they deleted their data."),
    "not_muted": N_("The author of this case is not muted."),
    "unknown_user": N_(
        "The bot does not know this person: they must write to the bot once first. "
        "Nothing was changed."
    ),
    "unknown_role": N_("Unknown role: use admin, officer, liaison or reader. Nothing was changed."),
    "liaison_needs_department": N_(
        "A liaison needs a department: give one of the departments' codes. Nothing was changed."
    ),
    "unknown_college": N_(
        "Unknown college: give one of the colleges' codes (see /bind college). Nothing was changed."
    ),
    "other_college": N_(
        "This case belongs to another college's union: you can act only on your college's "
        "cases. Nothing was changed."
    ),
    "university_case": N_(
        "This case is handled at university level: college officers cannot act on it. "
        "Nothing was changed."
    ),
    "not_at_college": N_("Only a case held by a college union can be escalated."),
    "escalate_closed": N_("This case is finished: it cannot be escalated. Nothing was changed."),
    "already_at_college": N_("This case is already with a college union."),
    "delegate_closed": N_("This case is finished: it cannot be delegated. Nothing was changed."),
    "delegate_kind": N_("Only grievances and suggestions can be delegated to a college union."),
    "delegate_sensitive": N_(
        "Cases in sensitive categories stay with the university; they are never delegated."
    ),
    "delegate_no_college": N_("This case names no college: it cannot be delegated."),
    "delegate_other_college": N_(
        "A case can be delegated only to its own college's union. Nothing was changed."
    ),
    "no_university_chat": N_(
        "No university officers' chat is bound yet (/bind): the case cannot be escalated. "
        "Nothing was changed."
    ),
    "university_chat": N_(
        "This chat is the university's officers' (or sensitive cases') chat: a college union "
        "needs a chat of its own. Nothing was changed."
    ),
    "college_no_chat": N_(
        "That college's union has no chat bound (/bind college CODE): the case cannot be "
        "delegated to it. Nothing was changed."
    ),
    "role_takes_no_scope": N_("This role takes no department or college. Nothing was changed."),
    "role_already_held": N_("This person already holds that role. Nothing was changed."),
    "role_not_held": N_("This person does not hold that role. Nothing was changed."),
    "admin_from_settings": N_(
        "This admin is set in ADMIN_IDS (the settings) and cannot be revoked here. "
        "Nothing was changed."
    ),
    "last_admin": N_("This is the last admin: there would be none left. Nothing was changed."),
    "roles_where": N_("Use this command in a private chat with the bot or in the officers' chat."),
    "not_college_representative": N_(
        "Only student representatives of the current congress session can do this."
    ),
    "representative_other_college": N_(
        "A representative follows the cases of their own college only. Nothing was changed."
    ),
    "own_case": N_("You submitted this case: you hear of every change as its author."),
    "bad_classmate_name": N_(
        "Please give your classmate's name (one line, at most 40 characters)."
    ),
}
