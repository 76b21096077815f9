"""Representatives who follow a case of their college (关注) hear of each change of its state:
a line with its number, category and the states — never its text, nor anyone's identity.

Called by `transitions.move`, the one way a case changes state, so no change escapes it. The
rows are not linked to the case: a representative's reply to one must not become information
on a case that is not theirs.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.casework import authors
from bot.core.context import Services
from bot.core.i18n import locale_for
from bot.domain.workflow import STUDENT_KINDS, State
from storage.crud import outbox as outbox_crud
from storage.crud import representatives as crud
from storage.models import Case, OutboxMessage

# Bulk, as every follower's news (`bot.delivery.notify.BULK`): it never holds up an answer.
PRIORITY = 20


def listed(services: Services, case: Case) -> bool:
    """Whether representatives of the case's college see it at all: grievances and suggestions
    (proposals have their public board), never a sensitive category's."""
    category = services.org.category(case.category_code)
    return case.kind in STUDENT_KINDS and category is not None and not category.sensitive


async def state_changed(
    *, session: AsyncSession, services: Services, case: Case, source: State, target: State
) -> None:
    if source == target or case.id is None or not listed(services, case):
        return
    rows = []
    for user in await crud.followers(session=session, case_id=case.id):
        entry = await crud.current_entry(session=session, user_id=user.id)
        # A representative no longer (or of another college now) hears nothing more of it; the
        # author, when a representative submitted it, is told as its author instead.
        if entry is None or entry.college_code != case.college_code:
            continue
        if authors.is_author(case, user.id, services.sealer):
            continue
        text = services.renderer.render(
            locale_for(user.locale, user.language_code),
            "representative/update.html",
            case=case,
            category=services.org.category(case.category_code),
            source=source,
            target=target,
        )
        rows.append(
            OutboxMessage(
                kind="send",
                method="sendMessage",
                chat_id=user.id,
                recipient_user_id=user.id,
                payload={"chat_id": user.id, "text": text, "parse_mode": "HTML"},
                priority=PRIORITY,
            )
        )
    if rows:
        await outbox_crud.enqueue(session=session, messages=rows)
