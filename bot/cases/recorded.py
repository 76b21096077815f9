"""记录部门答复: a department with no liaison on Telegram answers on paper or by e-mail (to its
转办单, `bot.departments.letters`); an officer of the case's chat records that answer for it.

The answer is the case's answer, through the transition table like any other (ANSWER), marked
for the student, in the thread and in the timeline as the department's, recorded on its behalf
by the rights department. Its file, if any, goes to the same people as its text — to the
author of an anonymous case sealed, as every message to them is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.actions import apply_action
from bot.casework import authors, guard
from bot.casework.transitions import log
from bot.core.context import Services
from bot.delivery import notify
from bot.domain.workflow import (
    UNSUBMITTED,
    Action,
    Actor,
    TransitionError,
    recording_refusal,
    required_text,
)
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.models import Case, OutboxMessage

# The event that says whose answer the officer's ANSWER is: its text is the department's code.
RECORDED = "answer_recorded"
SENDS = {"photo": "sendPhoto", "document": "sendDocument"}


async def record_answer(
    *,
    session: AsyncSession,
    services: Services,
    actor: Actor,
    number: str,
    text: str,
    attachment: dict[str, Any] | None = None,
) -> Case:
    """The department's answer to case `number`, recorded by `actor` and sent to the student.
    Refused, with nothing changed, unless the actor is an officer acting from the case's chat
    and the case waits for the department it was forwarded to."""
    found = await cases_crud.get_case_by_number(session=session, number=number)
    if found is None or found.id is None or found.state in UNSUBMITTED:
        raise TransitionError("no_such_case")
    case = await cases_crud.get_case(session=session, case_id=found.id, for_update=True)
    assert case is not None and case.id is not None
    await guard.officer(session=session, services=services, actor=actor, case=case)
    refused = recording_refusal(case.state, case.kind, case.department_code)
    if refused is not None:
        raise TransitionError(refused)
    text = required_text(text)
    department = services.org.department(case.department_code)
    if department is None:  # a department since removed from the configuration
        raise TransitionError("unknown_department")
    recorded = await log(
        session=session,
        services=services,
        case=case,
        action=RECORDED,
        actor=actor,
        text=department.code,
        public=True,
    )
    if attachment is not None:
        await cases_crud.add_attachments(
            session=session, case_id=case.id, items=[attachment], event_id=recorded.id
        )
    case = await apply_action(
        session=session,
        services=services,
        case_id=case.id,
        action=Action.ANSWER,
        actor=actor,
        text=text,
        recorded_for=department,
    )
    if attachment is not None:
        rows = await _file_rows(session=session, services=services, case=case, item=attachment)
        await outbox_crud.enqueue(session=session, messages=rows)
    return case


async def _file_rows(
    *, session: AsyncSession, services: Services, case: Case, item: dict[str, Any]
) -> list[OutboxMessage]:
    """The answer's file, after its text, to whoever the text went to (its author and
    followers), by the file's id: nothing of the officer's message travels with it."""
    rows = []
    kind = str(item["kind"])
    for user in await notify.audience(session=session, services=services, case=case):
        author = authors.is_author(case, user.id, services.sealer)
        rows.append(
            OutboxMessage(
                kind="send",
                method=SENDS[kind],
                chat_id=user.id,
                case_id=case.id,
                recipient_user_id=user.id,
                payload={
                    "chat_id": user.id,
                    kind: item["file_id"],
                    "caption": f"<b>{case.number}</b>",
                    "parse_mode": "HTML",
                },
                # Its text's priority, so it comes after it (a lane goes by priority, then age).
                priority=notify.NORMAL if author else notify.BULK,
            )
        )
    return rows
