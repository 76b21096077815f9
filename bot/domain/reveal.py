"""Revealing who wrote an anonymous case: the rules of the two-admin procedure.

An anonymous case's author is sealed (`bot.core.sealing`); opening the seal for the union is a
decision of two different admins, taken for an imminent safety risk. One asks, with a reason,
in a private chat with the bot; another approves before the request expires. The same admin
can never do both, so no single account — a lost phone, a careless or malicious admin — is
enough. Knows nothing of Telegram or storage.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# Long enough for a second admin to be reached at night; short enough that an old request is
# not approved for a situation that has changed.
EXPIRY = timedelta(hours=24)
# A reason is what the student will read: a sentence, not "urgent".
REASON_MIN, REASON_MAX = 15, 500


class Status(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REFUSED = "refused"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Request:
    """What the rules need of a stored request."""

    requested_by: int
    status: Status
    expires_at: datetime


def expires_at(now: datetime) -> datetime:
    return now + EXPIRY


def is_expired(request: Request, now: datetime) -> bool:
    return request.status == Status.OPEN and now >= request.expires_at


def reason_refusal(reason: str) -> str | None:
    length = len(reason.strip())
    if length < REASON_MIN:
        return "reveal_reason_short"
    if length > REASON_MAX:
        return "reveal_reason_long"
    return None


def asker_refusal(*, is_admin: bool, private: bool) -> str | None:
    """None when the person may ask here at all (checked before the case is looked up, so a
    refusal tells nothing about it)."""
    if not is_admin:
        return "forbidden"
    if not private:
        return "reveal_private_only"
    return None


def ask_refusal(
    *,
    anonymous: bool,
    sealed: bool,
    pending: bool,
    other_admins: int,
    reason: str,
) -> str | None:
    """None when an admin may ask to reveal this case's author; else why not.

    `sealed`: the case still holds its author (an erased student's cannot be revealed);
    `pending`: an open, unexpired request for the case exists; `other_admins`: how many admins
    besides the asker could approve.
    """
    if not anonymous:
        return "reveal_not_anonymous"
    if not sealed:
        return "reveal_no_author"
    if pending:
        return "reveal_pending"
    if other_admins < 1:
        return "reveal_no_second_admin"
    return reason_refusal(reason)


def decide_refusal(
    *, presser_id: int, admins: Set[int], private: bool, request: Request, now: datetime
) -> str | None:
    """None when the presser may approve (or refuse) the request now; else why not."""
    if presser_id not in admins:
        return "forbidden"
    if not private:
        return "reveal_private_only"
    if request.status == Status.APPROVED:
        return "reveal_already_approved"
    if request.status == Status.REFUSED:
        return "reveal_already_refused"
    if request.status == Status.EXPIRED or is_expired(request, now):
        return "reveal_expired"
    if presser_id == request.requested_by:
        return "reveal_own_request"
    return None
