"""`studentvoice export audit`: every action on a case (case events) and every audit entry in
a period, as CSV or XLSX, for oversight.

Without `identities` people are pseudonyms — their role and a number stable within one export —
never ids or names. With it, officers, admins and named students appear by id and name; an
anonymous author never does (their events carry no id, only the case's seal). Reasons given
for a reveal may describe the student's situation: only an export with identities holds them.
Either way the export is itself an audit entry, committed before the file is written.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import exports
from bot.core.context import Services
from bot.domain.workflow import Role
from bot.privacy.roles import person_name
from storage.crud import reveal as audit_crud
from storage.crud import roles as crud
from storage.crud import users as users_crud
from storage.models import AuditEntry

HEADER = ("time", "source", "case", "action", "actor_role", "actor", "target", "role", "scope")
OPERATOR = "operator"


@dataclass
class People:
    """How the export names a person: by id and name, or by a pseudonym."""

    identities: bool
    numbers: dict[int, int] = field(default_factory=dict)

    async def name(self, session: AsyncSession, role: str, user_id: int | None) -> str:
        if user_id is None:
            return ""
        if self.identities:
            user = await users_crud.get_user(session=session, user_id=user_id)
            return f"{user_id} {person_name(user, user_id)}"
        number = self.numbers.setdefault(user_id, len(self.numbers) + 1)
        return f"{role}-{number}"


async def rows(
    *, session: AsyncSession, services: Services, start: datetime, end: datetime, identities: bool
) -> list[list[str]]:
    people = People(identities)
    found: list[tuple[datetime, list[str]]] = []
    for event, number in await crud.events_between(session=session, start=start, end=end):
        anonymous_author = event.actor_role == Role.STUDENT and event.actor_id is None
        actor = (
            "" if anonymous_author else await people.name(session, event.actor_role, event.actor_id)
        )
        found.append(
            (
                event.created_at,
                [
                    _at(services, event.created_at),
                    "case",
                    number,
                    event.action,
                    event.actor_role,
                    actor,
                    "",
                    "",
                    "",
                ],
            )
        )
    entries = await crud.audit_between(session=session, start=start, end=end)
    numbers = await crud.case_numbers(
        session=session, case_ids={e.case_id for e in entries if e.case_id is not None}
    )
    for entry in entries:
        found.append((entry.at, await _entry_row(session, services, people, entry, numbers)))
    found.sort(key=lambda item: item[0])
    return [list(HEADER), *(row for _at_, row in found)]


async def _entry_row(
    session: AsyncSession,
    services: Services,
    people: People,
    entry: AuditEntry,
    numbers: dict[int, str],
) -> list[str]:
    actors = [await people.name(session, Role.ADMIN, actor) for actor in entry.actor_ids]
    if entry.actor_name:
        actors.append(f"{OPERATOR}:{entry.actor_name}" if people.identities else OPERATOR)
    action = entry.action
    if people.identities and entry.reason:
        action = f"{action}: {entry.reason}"
    return [
        _at(services, entry.at),
        "audit",
        numbers.get(entry.case_id, "") if entry.case_id is not None else "",
        action,
        Role.ADMIN if entry.actor_ids else OPERATOR,
        ", ".join(actors),
        await people.name(session, entry.role or "user", entry.target_id),
        entry.role or "",
        entry.scope or "",
    ]


def _at(services: Services, moment: datetime) -> str:
    return moment.astimezone(services.settings.tz).strftime("%Y-%m-%d %H:%M:%S")


async def record(*, session: AsyncSession, services: Services, operator: str, flags: str) -> None:
    await audit_crud.add_audit(
        session=session,
        entry=AuditEntry(
            at=services.now(), action="audit_export", actor_name=operator, reason=flags
        ),
    )


def write(path: Path, table: list[list[str]], fmt: str) -> None:
    if fmt == "csv":
        out = io.StringIO()
        exports.write_csv(out, table)
        # With a byte-order mark: spreadsheet programs then read the Chinese right.
        path.write_text(out.getvalue(), encoding="utf-8-sig")
        return
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "audit"
    for row in table:
        exports.append_row(sheet, row)
    book.save(path)
