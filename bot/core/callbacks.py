"""Callback data factories; each stays far below Telegram's 64-byte limit."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class StartCB(CallbackData, prefix="st"):
    action: str  # consent | decline | lang | college
    value: str = ""


class SubmitCB(CallbackData, prefix="sb"):
    step: str  # kind | cat | anon | done_files | preview | edit
    value: str = ""


class MyCaseCB(CallbackData, prefix="my"):
    action: str  # open | page | info | rate | skip
    case_id: int = 0
    value: int = 0


class CardCB(CallbackData, prefix="cc"):
    action: str
    case_id: int


class DeptCB(CallbackData, prefix="cd"):
    case_id: int
    dept: str


class RecatCB(CallbackData, prefix="rc"):
    case_id: int
    category: str


class PendingCB(CallbackData, prefix="pi"):
    """The preview of a text an officer was asked for: send it, ask for it again, or drop it."""

    op: str  # send | edit | cancel
    pending_id: int


# -- proposals ------------------------------------------------------------------------------


class ProposeCB(CallbackData, prefix="pr"):
    step: str  # cat | dept | files_done | send | edit | save | withdraw | resume | fresh
    value: str = ""


class CosignCB(CallbackData, prefix="cs"):
    action: str  # yes | no
    case_id: int


class AssignCB(CallbackData, prefix="pa"):
    """The 交办 keyboard keeps its choice in the button data: departments as a bit mask."""

    case_id: int
    mask: int = 0
    days: int = 10
    op: str = ""  # t (toggle department `index`) | d (deadline `index` days) | ok | x
    index: int = 0


class PartCB(CallbackData, prefix="pp"):
    action: str  # ok (publish) | back (return) | reply (to the liaison's question)
    part_id: int


class LiaisonCB(CallbackData, prefix="li"):
    action: str  # answer | ask | submit
    part_id: int


class PublicCB(CallbackData, prefix="pb"):
    action: str  # page | open | follow | unfollow | support
    case_id: int = 0
    page: int = 0


class RevealCB(CallbackData, prefix="rv"):
    """An admin's answer to another admin's request to reveal an anonymous case's author."""

    action: str  # ok (approve) | no (refuse)
    request_id: int


class FindCB(CallbackData, prefix="fd"):
    """A page of /find's results; the words are read again from the /find the results reply to
    (they would not fit in a button's 64 bytes)."""

    page: int


class QueueCB(CallbackData, prefix="qu"):
    """A /queue page: which cases (`view`: a all, m mine, u unassigned, o overdue; followed
    by c or u for the level filter, so that buttons sent before levels existed still work),
    the category and college filters by code, and the page."""

    view: str = "a"
    category: str = ""
    college: str = ""
    page: int = 0


class OwnerCB(CallbackData, prefix="ow"):
    """指派: the officer a case is given to (0: nobody, 取消认领)."""

    case_id: int
    user_id: int = 0


class IntakeCB(CallbackData, prefix="ik"):
    """/intake in the officers' chat: a case received offline, step by step."""

    step: str  # source | day | kind | cat | college | files_done | anon | register | cancel
    value: str = ""


class CollegeCB(CallbackData, prefix="rp"):
    """本院诉求: a page of the representative's college's cases, or 关注 on one of them. The
    college is never in the data: it is the presser's own, read from the roster at each press."""

    action: str  # page | follow | unfollow
    case_id: int = 0
    page: int = 0


class LevelCB(CallbackData, prefix="lv"):
    """下派: the college union a case is delegated to."""

    case_id: int
    college: str


class ReviewCB(CallbackData, prefix="rw"):
    """A semester review ballot: `op` score | go | comment | submit | noop; `at` the reviewee's
    place in the round; `dim` a dimension's index; `score` 1–5 (0 clears it)."""

    op: str
    round_id: int
    at: int = 0
    dim: int = 0
    score: int = 0


class ConcernCB(CallbackData, prefix="cn"):
    """Shared concerns: the student's answer to the public wording (ok | no), the board's pages
    (page, in `order` n newest | t most supported, of `category` or all, cats: the choice of
    category), one case opened (open) and its +1 (me)."""

    action: str
    case_id: int = 0
    page: int = 0
    order: str = "n"
    category: str = ""
