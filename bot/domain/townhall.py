"""The town hall's (面对面) plain rules: the officer's one-line form, who may ask and vote
when, and what each refusal is called."""

from __future__ import annotations

from dataclasses import dataclass, replace
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
    "townhall_edit_usage": N_(
        "Send: /townhall edit ID field new value. Fields: 标题 (title), 时间 (time, "
        "YYYY-MM-DD HH:MM), 地点 (place), 出席 (attending), 征集 (window: YYYY-MM-DD HH:MM | "
        "YYYY-MM-DD HH:MM), 学院 (colleges: codes or all)."
    ),
    "townhall_past": N_("A session cannot be moved to a time already past."),
    "townhall_held": N_("This session has already been held: it can no longer be changed."),
    "townhall_cancelled": N_("This town hall session has been cancelled."),
    "townhall_cancel_usage": N_("A cancellation needs a reason: /townhall cancel ID reason"),
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
    codes = _colleges(colleges, known_colleges)
    return TownHallForm(title, held_at, place, attendees, opens_at, closes_at, codes)


def _colleges(text: str, known_colleges: set[str]) -> list[str]:
    if text.casefold() in {"all", "全部"}:
        return []
    codes = [c.strip() for c in text.replace("，", ",").split(",") if c.strip()]
    if not codes or any(code not in known_colleges for code in codes):
        raise TownHallError("townhall_unknown_college")
    return codes


# /townhall edit ID FIELD value: each field by its Chinese and English name.
EDIT_FIELDS = {
    "标题": "title",
    "title": "title",
    "时间": "held_at",
    "time": "held_at",
    "地点": "place",
    "place": "place",
    "出席": "attendees",
    "attending": "attendees",
    "征集": "window",
    "window": "window",
    "学院": "colleges",
    "colleges": "colleges",
}
# What the students who take part must hear of.
NOTIFIED_FIELDS = frozenset({"held_at", "place"})


def edit_form(
    current: TownHallForm, text: str, tz: tzinfo, known_colleges: set[str]
) -> tuple[TownHallForm, str]:
    """`FIELD new value` applied to the session's form, checked as a new one is; the form and
    the field's name. Nothing is applied unless the whole form is valid."""
    name, _sep, value = text.strip().partition(" ")
    field = EDIT_FIELDS.get(name.strip().casefold())
    value = value.strip()
    if field is None or not value or len(value) > FIELD_MAX * 2:
        raise TownHallError("townhall_edit_usage")
    if field == "held_at":
        form = replace(current, held_at=_moment(value, tz))
    elif field == "window":
        times = [t.strip() for t in value.split("|")]
        if len(times) != 2:
            raise TownHallError("townhall_edit_usage")
        form = replace(current, opens_at=_moment(times[0], tz), closes_at=_moment(times[1], tz))
    elif field == "colleges":
        form = replace(current, colleges=_colleges(value, known_colleges))
    else:
        if len(value) > FIELD_MAX or "|" in value:
            raise TownHallError("townhall_edit_usage")
        form = {
            "title": replace(current, title=value),
            "place": replace(current, place=value),
            "attendees": replace(current, attendees=value),
        }[field]
    if not form.opens_at < form.closes_at <= form.held_at:
        raise TownHallError("townhall_bad_window")
    return form, field


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
