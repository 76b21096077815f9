"""The two-admin reveal's rules: who may ask and where, for which case, with what reason; who
may approve, and until when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.reveal import (
    EXPIRY,
    REASON_MAX,
    REASON_MIN,
    Request,
    Status,
    ask_refusal,
    asker_refusal,
    decide_refusal,
    expires_at,
    is_expired,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ASKER, SECOND, THIRD, OFFICER = 1, 2, 3, 50
ADMINS = {ASKER, SECOND, THIRD}
REASON = "学生在留言中表示今晚要伤害自己，需要立即联系。"


def open_request(**changes: object) -> Request:
    values: dict[str, object] = {
        "requested_by": ASKER,
        "status": Status.OPEN,
        "expires_at": expires_at(NOW),
    }
    values.update(changes)
    return Request(**values)  # type: ignore[arg-type]


def test_only_an_admin_in_a_private_chat_may_ask() -> None:
    assert asker_refusal(is_admin=True, private=True) is None
    assert asker_refusal(is_admin=False, private=True) == "forbidden"
    assert asker_refusal(is_admin=True, private=False) == "reveal_private_only"


def ask(**changes: object) -> str | None:
    values: dict[str, object] = {
        "anonymous": True,
        "sealed": True,
        "pending": False,
        "other_admins": 1,
        "reason": REASON,
    }
    values.update(changes)
    return ask_refusal(**values)  # type: ignore[arg-type]


def test_a_request_needs_an_anonymous_sealed_case_a_second_admin_and_a_reason() -> None:
    assert ask() is None
    assert ask(anonymous=False) == "reveal_not_anonymous"
    assert ask(sealed=False) == "reveal_no_author"
    assert ask(pending=True) == "reveal_pending"
    assert ask(other_admins=0) == "reveal_no_second_admin"
    assert ask(reason="紧急") == "reveal_reason_short"
    assert ask(reason="  " + "a" * (REASON_MIN - 1) + "  ") == "reveal_reason_short"
    assert ask(reason="a" * REASON_MIN) is None
    assert ask(reason="a" * (REASON_MAX + 1)) == "reveal_reason_long"


def test_the_admin_who_asked_cannot_approve_their_own_request() -> None:
    refusal = decide_refusal(
        presser_id=ASKER, admins=ADMINS, private=True, request=open_request(), now=NOW
    )
    assert refusal == "reveal_own_request"


def test_any_other_admin_may_decide_in_private_and_nobody_else() -> None:
    request = open_request()
    for admin in (SECOND, THIRD):
        assert (
            decide_refusal(presser_id=admin, admins=ADMINS, private=True, request=request, now=NOW)
            is None
        )
    assert (
        decide_refusal(presser_id=OFFICER, admins=ADMINS, private=True, request=request, now=NOW)
        == "forbidden"
    )
    assert (
        decide_refusal(presser_id=SECOND, admins=ADMINS, private=False, request=request, now=NOW)
        == "reveal_private_only"
    )


@pytest.mark.parametrize(
    ("status", "refusal"),
    [
        (Status.APPROVED, "reveal_already_approved"),
        (Status.REFUSED, "reveal_already_refused"),
        (Status.EXPIRED, "reveal_expired"),
    ],
)
def test_a_decided_request_cannot_be_decided_again(status: Status, refusal: str) -> None:
    request = open_request(status=status)
    assert (
        decide_refusal(presser_id=THIRD, admins=ADMINS, private=True, request=request, now=NOW)
        == refusal
    )


def test_a_request_expires_after_its_time_even_before_the_scheduler_marks_it() -> None:
    request = open_request()
    assert request.expires_at == NOW + EXPIRY
    just_before = NOW + EXPIRY - timedelta(seconds=1)
    assert not is_expired(request, just_before)
    assert is_expired(request, NOW + EXPIRY)
    assert (
        decide_refusal(
            presser_id=SECOND, admins=ADMINS, private=True, request=request, now=NOW + EXPIRY
        )
        == "reveal_expired"
    )
    assert not is_expired(open_request(status=Status.APPROVED), NOW + 2 * EXPIRY)
