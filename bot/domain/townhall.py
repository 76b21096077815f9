"""The town hall's (面对面) plain rules: the officer's one-line form, who may ask and vote
when, and what each refusal is called."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.domain.text import N_

PENDING, APPROVED, REJECTED, MERGED = "pending", "approved", "rejected", "merged"
# What anyone may see: approved questions, answered or not.
PUBLIC = (APPROVED,)
QUESTION_MAX = 500
FIELD_MAX = 200
ANONYMOUS_WORDS = frozenset({"匿名", "anon", "anonymous"})
TIME_FORMAT = "%Y-%m-%d %H:%M"

REFUSALS = {
    "townhall_usage": N_(
        "Send: /townhall new Title | YYYY-MM-DD HH:MM | Place | Leaders attending | "
        "questions from YYYY-MM-DD HH:MM | until YYYY-MM-DD HH:MM | college codes (or all)"
    ),
    "townhall_bad_time": N_("A date is not in the form YYYY-MM-DD HH:MM."),
    "townhall_bad_window": N_(
        "The window for questions must open before it closes, and close before the session."
    ),
    "townhall_unknown_college": N_("A college code is not in the organisation's list."),
    "townhall_not_found": N_("There is no such town hall session."),
    "townhall_question_not_found": N_("There is no such question."),
    "townhall_not_open": N_("Questions for this session are not being taken yet."),
    "townhall_closed": N_("The window for questions to this session has closed."),
    "townhall_other_college": N_("This session is not for students of your college."),
    "townhall_bad_question": N_("A question needs between 5 and 500 characters."),
    "townhall_not_approved": N_("Only questions approved by the officers can be upvoted."),
    "townhall_voted": N_("You have already upvoted this question: one vote per person."),
    "townhall_own_question": N_("You cannot upvote your own question."),
    "townhall_decided": N_("This question has already been moderated."),
    "townhall_reason_required": N_("A rejection needs a reason: /townhall reject ID reason"),
    "townhall_merge_itself": N_(
        "A question can only be merged into another approved question of the same session."
    ),
    "townhall_answered": N_("This question has already been answered."),
    "townhall_answer_usage": N_("Send: /townhall answer ID Leader | answer text"),
    "townhall_has_case": N_("This question has already been turned into a case."),
    "townhall_no_asker": N_("The asker can no longer be reached: no case can be made for them."),
}


class TownHallError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TownHallForm:
    title: str
    held_at: datetime
    place: str
    attendees: str
    opens_at: datetime
    closes_at: datetime
    colleges: list[str]


def _moment(text: str, tz: tzinfo) -> datetime:
    try:
        return datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=tz)
    except ValueError:
        raise TownHallError("townhall_bad_time") from None


def parse_form(text: str, tz: tzinfo, known_colleges: set[str]) -> TownHallForm:
    """`Title | held | place | attendees | opens | closes | colleges` (local times)."""
    parts = [part.strip() for part in text.split("|")]
    if len(parts) != 7 or not all(parts) or any(len(p) > FIELD_MAX for p in parts):
        raise TownHallError("townhall_usage")
    title, held, place, attendees, opens, closes, colleges = parts
    held_at, opens_at, closes_at = (_moment(t, tz) for t in (held, opens, closes))
    if not opens_at < closes_at <= held_at:
        raise TownHallError("townhall_bad_window")
    codes: list[str] = []
    if colleges.casefold() not in {"all", "全部"}:
        codes = [c.strip() for c in colleges.replace("，", ",").split(",") if c.strip()]
        if not codes or any(code not in known_colleges for code in codes):
            raise TownHallError("townhall_unknown_college")
    return TownHallForm(title, held_at, place, attendees, opens_at, closes_at, codes)


def check_asking(
    now: datetime, opens_at: datetime, closes_at: datetime, colleges: list[str], college: str | None
) -> None:
    if now < opens_at:
        raise TownHallError("townhall_not_open")
    if now >= closes_at:
        raise TownHallError("townhall_closed")
    if colleges and college not in colleges:
        raise TownHallError("townhall_other_college")


def question_text(text: str) -> tuple[str, bool]:
    """The question and whether it is asked anonymously (its first word 匿名 / anon)."""
    words = text.strip().split(maxsplit=1)
    anonymous = bool(words) and words[0].casefold() in ANONYMOUS_WORDS
    body = (words[1] if len(words) > 1 else "") if anonymous else text.strip()
    if not 5 <= len(body) <= QUESTION_MAX:
        raise TownHallError("townhall_bad_question")
    return body, anonymous
