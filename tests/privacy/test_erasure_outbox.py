"""The outbox after an erasure: every row to the person goes, in any state — one being sent
goes once it is done, and links nothing to the case; a row to a group that names them keeps
its message without the name; and what the erasing transaction queues for them afterwards
(the confirmation) is delivered, or refused, and then deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram.types import Chat, Message
from sqlalchemy import or_, select
from sqlmodel import col

from bot.delivery import notify
from bot.delivery.ledger import Ledger
from bot.privacy import personal_data as privacy
from storage.crud import outbox as outbox_crud
from storage.crud.erasure import REDACTED, Traces
from storage.models import Case, MessageLink, OutboxMessage, User
from tests.support.delivery_helpers import texts
from tests.support.harness import OFFICERS_CHAT
from tests.support.officer_helpers import (
    OfficerHarness,
    seed_case,
    seed_student,
    sends_to,
)

PERSON, OTHER = 7_310_458_862, 1002
FIRST, LAST, USERNAME = "晓雨", "Quennell", "xiaoyu_q7"
MENTION = f'<a href="tg://user?id={PERSON}">{FIRST} {LAST}</a> @{USERNAME}'


async def known_person(h: OfficerHarness) -> int:
    """The person, known by both names, with a case of theirs; the case's id."""
    assert h.app is not None
    user = await seed_student(h, PERSON, FIRST, username=USERNAME)
    async with h.app.session_factory.begin() as session:
        known = await session.get(User, PERSON)
        assert known is not None
        known.last_name = LAST
    number = await seed_case(h, user)
    async with h.app.session_factory() as session:
        found = await session.scalar(select(col(Case.id)).where(col(Case.number) == number))
    assert found is not None
    return int(found)


def message(chat: int, text: str, status: str, **values: object) -> OutboxMessage:
    return OutboxMessage(
        chat_id=chat, payload={"chat_id": chat, "text": text}, status=status, **values
    )


async def outbox_and_links(
    h: OfficerHarness,
) -> tuple[dict[int | None, OutboxMessage], set[tuple[int, int]]]:
    """The outbox's rows by id, and (chat, message) of every message link."""
    assert h.app is not None
    async with h.app.session_factory() as session:
        rows = {r.id: r for r in await session.scalars(select(OutboxMessage))}
        stmt = select(col(MessageLink.chat_id), col(MessageLink.message_id))
        links = {(chat, message) for chat, message in await session.execute(stmt)}
    return rows, links


async def erase(h: OfficerHarness) -> None:
    assert h.app is not None
    async with h.app.session_factory.begin() as session:
        await privacy.erase_user(session=session, services=h.app.services, user_id=PERSON)


async def test_rows_to_the_person_go_and_rows_naming_them_lose_the_name(
    harness: OfficerHarness,
) -> None:
    h = harness
    assert h.app is not None
    case = await known_person(h)
    await seed_student(h, OTHER, "Bob")
    later = h.app.services.now() + timedelta(hours=1)  # not due: the worker leaves it alone
    rows = {
        "sent": message(PERSON, "您的反馈已受理", "sent", recipient_user_id=PERSON, case_id=case),
        "failed": message(PERSON, "请补充信息", "failed", last_error="Forbidden: blocked"),
        "pending": message(PERSON, "提醒", "pending", next_attempt_at=later),
        # Claimed by a worker elsewhere and on its way.
        "sending": message(PERSON, "答复", "sending", case_id=case, claimed_by="elsewhere"),
        "other_sending": message(OTHER, "答复", "sending", case_id=case, claimed_by="elsewhere"),
        "thread": OutboxMessage(
            kind="thread",
            case_id=case,
            payload={"text": f"📝 待审核的答复（{MENTION} 提交）", "parse_mode": "HTML"},
            next_attempt_at=later,
        ),
        "group": message(OFFICERS_CHAT, f"{FIRST} {LAST} 已成为权益部成员。", "sent"),
        # Written to someone else, about that someone: theirs, left alone.
        "other": message(OTHER, f"您好 {FIRST}", "sent"),
    }
    assert h.app is not None
    async with h.app.session_factory.begin() as session:
        session.add_all(rows.values())
        for chat in (PERSON, OFFICERS_CHAT):
            session.add(MessageLink(chat_id=chat, message_id=500, case_id=case))
    ids = {name: r.id for name, r in rows.items()}

    await erase(h)

    left, links = await outbox_and_links(h)
    assert not {ids["sent"], ids["failed"], ids["pending"]} & left.keys()
    assert left[ids["sending"]].forget and not left[ids["other_sending"]].forget
    thread = left[ids["thread"]].payload["text"]
    assert thread == f"📝 待审核的答复（{REDACTED} {REDACTED} 提交）"
    assert left[ids["group"]].payload["text"] == f"{REDACTED} 已成为权益部成员。"
    assert left[ids["other"]].payload["text"] == f"您好 {FIRST}"
    assert (PERSON, 500) not in links and (OFFICERS_CHAT, 500) in links

    # The worker elsewhere finishes both sends: the person's row goes and links nothing.
    mine = h.app.worker.ledger
    ledger = Ledger(
        h.app.session_factory,
        h.app.services,
        on_change=lambda: None,
        kinds=mine.kinds,
        reactions=mine.reactions,
    )
    for name, chat in (("sending", PERSON), ("other_sending", OTHER)):
        sent = Message(
            message_id=600, date=h.app.services.now(), chat=Chat(id=chat, type="private")
        )
        ledger.finish(rows[name], "sent", result=sent)
    await ledger.flush()
    left, links = await outbox_and_links(h)
    assert ids["sending"] not in left and left[ids["other_sending"]].status == "sent"
    assert (PERSON, 600) not in links and (OTHER, 600) in links


@pytest.mark.parametrize("blocked", [False, True], ids=["delivered", "refused"])
async def test_what_is_queued_for_them_after_the_erasure_goes_once_done(
    harness: OfficerHarness, blocked: bool
) -> None:
    h = harness
    assert h.app is not None
    await known_person(h)
    await seed_student(h, OTHER, "Bob")
    if blocked:
        h.emu.user(PERSON).block_bot()
        await h.settle()
    mark = len(h.emu.requests)
    async with h.app.session_factory.begin() as session:
        await privacy.erase_user(session=session, services=h.app.services, user_id=PERSON)
        # What the handler says next, queued in the same transaction: through the outbox,
        # or added to the session directly.
        told = texts(PERSON, ["您的数据已删除。"], priority=notify.INTERACTIVE)
        told += texts(OTHER, ["另一位同学的消息"], priority=0)
        await outbox_crud.enqueue(session=session, messages=told)
        session.add(
            OutboxMessage(chat_id=PERSON, payload={"chat_id": PERSON, "text": "再见"}, priority=0)
        )
    h.app.worker.wake()
    await h.settle()

    tried = sends_to(h, PERSON, mark)
    assert len(tried) == 2 and all(r.ok is not blocked for r in tried)
    seen = h.texts(h.emu.user(PERSON))
    assert ("您的数据已删除。" in seen and "再见" in seen) is not blocked
    async with h.app.session_factory() as session:
        about_them = select(OutboxMessage).where(
            or_(
                col(OutboxMessage.chat_id) == PERSON, col(OutboxMessage.recipient_user_id) == PERSON
            )
        )
        assert list(await session.scalars(about_them)) == []
        to_other = select(OutboxMessage).where(col(OutboxMessage.chat_id) == OTHER)
        assert [r.status for r in await session.scalars(to_other)][-1] == "sent"


def test_names_are_taken_out_where_they_stand_as_words() -> None:
    traces = Traces(42424242, ("Li Na", "Li", "@li_na", "li_na", "晓雨"))
    said = (
        'Library hours: ask <a href="tg://user?id=42424242">Li Na</a> (@li_na), Li, or '
        "晓雨同学; ticket 424242420, user 42424242."
    )
    assert traces.scrub(said) == (
        f"Library hours: ask {REDACTED} ({REDACTED}), {REDACTED}, or {REDACTED}同学; "
        f"ticket 424242420, user {REDACTED}."
    )
    assert traces.scrub({"media": [{"caption": "Li"}], "chat_id": 7}) == {
        "media": [{"caption": REDACTED}],
        "chat_id": 7,
    }
