"""Revealing an anonymous case's author to the union's admins: one admin asks with a reason,
another approves (`bot.domain.reveal` has the rules).

Only an approval opens the case's seal, and what it finds goes in messages to the two admins
alone; those outbox rows, like the student's notice, are deleted once sent (`forget`), so
no table keeps who wrote the case. Everything the procedure does is in the audit log, which
names the admins and the case, never the student.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.callbacks import RevealCB
from bot.core.context import Services
from bot.core.markup import one_row
from bot.core.sealing import SealError
from bot.delivery import notify
from bot.domain import reveal as rules
from bot.domain.workflow import Role, TransitionError
from storage.crud import cases as cases_crud
from storage.crud import outbox as outbox_crud
from storage.crud import reveal as crud
from storage.crud import users as users_crud
from storage.models import AuditEntry, Case, CaseEvent, OutboxMessage, RevealRequest, User

AUDIT_SHOWN = 20


@dataclass(frozen=True)
class Asked:
    request: RevealRequest
    case: Case
    approvers: int


async def admin_ids(*, session: AsyncSession, services: Services) -> set[int]:
    return set(services.settings.admin_ids) | await crud.granted_admin_ids(session=session)


async def ask(
    *,
    session: AsyncSession,
    services: Services,
    admin_id: int,
    private: bool,
    number: str,
    reason: str,
) -> Asked:
    """An admin's request to reveal who wrote the case; the other admins are asked to approve."""
    now = services.now()
    admins = await admin_ids(session=session, services=services)
    refusal = rules.asker_refusal(is_admin=admin_id in admins, private=private)
    if refusal is not None:
        raise TransitionError(refusal)
    found = await cases_crud.get_case_by_number(session=session, number=number)
    if found is None or found.id is None:
        raise TransitionError("no_such_case")
    # Locked: two admins asking at once make one request, not two.
    case = await cases_crud.get_case(session=session, case_id=found.id, for_update=True)
    assert case is not None and case.id is not None
    pending = False
    for earlier in await crud.open_requests_of_case(session=session, case_id=case.id):
        if rules.is_expired(_facts(earlier), now):
            await _expire(session=session, services=services, request=earlier, case=case, now=now)
        else:
            pending = True
    approvers = sorted(admins - {admin_id})
    refusal = rules.ask_refusal(
        anonymous=case.anonymous,
        sealed=case.author_sealed is not None,
        pending=pending,
        other_admins=len(approvers),
        reason=reason,
    )
    if refusal is not None:
        raise TransitionError(refusal)
    request = await crud.add_request(
        session=session,
        request=RevealRequest(
            case_id=case.id,
            requested_by=admin_id,
            reason=reason.strip(),
            created_at=now,
            expires_at=rules.expires_at(now),
        ),
    )
    await _audit(session, now, "reveal_requested", case, [admin_id], request.reason)
    asker = await users_crud.get_user(session=session, user_id=admin_id)
    rows: list[OutboxMessage] = []
    for approver_id in approvers:
        locale = await _locale_of(session, services, approver_id)
        _ = services.renderer.translator(locale)
        keyboard = one_row(
            (_("Approve reveal"), RevealCB(action="ok", request_id=request.id or 0)),
            (_("Refuse reveal"), RevealCB(action="no", request_id=request.id or 0)),
        )
        text = services.renderer.render(
            locale,
            "admin/reveal_request.html",
            case=case,
            request=request,
            asker=_name(asker, admin_id),
        )
        rows += _private(approver_id, text, keyboard=keyboard)
    await outbox_crud.enqueue(session=session, messages=rows)
    return Asked(request, case, len(approvers))


async def decide(
    *,
    session: AsyncSession,
    services: Services,
    request_id: int,
    presser_id: int,
    private: bool,
    approve: bool,
) -> RevealRequest:
    """A second admin's 批准 or 拒绝. Approved, the identity goes to the two admins and the
    student is told; refused, the asker is told. TransitionError says why a press is refused."""
    now = services.now()
    request = await crud.get_request(session=session, request_id=request_id, for_update=True)
    if request is None:
        raise TransitionError("not_found")
    case = await cases_crud.get_case(session=session, case_id=request.case_id, for_update=True)
    assert case is not None, "a request's case is never deleted"
    admins = await admin_ids(session=session, services=services)
    refusal = rules.decide_refusal(
        presser_id=presser_id, admins=admins, private=private, request=_facts(request), now=now
    )
    if refusal == "reveal_expired" and request.status == rules.Status.OPEN:
        # Found out at the press rather than by the scheduler: recorded and told all the same
        # (the caller's transaction commits; only the press is refused).
        await _expire(session=session, services=services, request=request, case=case, now=now)
    if refusal is not None:
        raise TransitionError(refusal)
    if approve:
        await _approve(session, services, request, case, presser_id, now)
    else:
        await _refuse(session, services, request, case, presser_id, now)
    return request


async def _approve(
    session: AsyncSession,
    services: Services,
    request: RevealRequest,
    case: Case,
    approver_id: int,
    now: datetime,
) -> None:
    if case.author_sealed is None:
        raise TransitionError("reveal_no_author")
    try:
        author_id = services.sealer.open(case.author_sealed)
    except SealError as exc:
        raise TransitionError("reveal_key_missing") from exc
    request.status, request.decided_by, request.decided_at = rules.Status.APPROVED, approver_id, now
    session.add(request)
    assert case.id is not None
    await cases_crud.add_event(
        session=session,
        event=CaseEvent(
            case_id=case.id,
            action="reveal",
            actor_id=approver_id,
            actor_role=Role.ADMIN,
            text=request.reason,
            public=False,
            created_at=now,
        ),
    )
    await _audit(session, now, "reveal", case, [request.requested_by, approver_id], request.reason)
    author = await users_crud.get_user(session=session, user_id=author_id)
    asker = await users_crud.get_user(session=session, user_id=request.requested_by)
    approver = await users_crud.get_user(session=session, user_id=approver_id)
    rows: list[OutboxMessage] = []
    for admin_id in (request.requested_by, approver_id):
        text = services.renderer.render(
            await _locale_of(session, services, admin_id),
            "admin/reveal_identity.html",
            case=case,
            request=request,
            asker=_name(asker, request.requested_by),
            approver=_name(approver, approver_id),
            author=author,
            author_id=author_id,
        )
        rows += _private(admin_id, text, priority=notify.INTERACTIVE)
    locale = notify.user_locale(author) if author is not None else services.group_locale
    told = services.renderer.render(
        locale, "student/identity_revealed.html", case=case, reason=request.reason
    )
    to_author = _private(author_id, told)
    # The author's chat beside the case's number: sealed like every message about the case.
    for row in to_author:
        outbox_crud.seal_row(row, services.sealer)
    rows += to_author
    # Messages that name the author (or, to the author, the case): deleted once sent.
    for row in rows:
        row.forget = True
    rows += await _to_other_admins(session, services, request, case, approver_id)
    await outbox_crud.enqueue(session=session, messages=rows)


async def _refuse(
    session: AsyncSession,
    services: Services,
    request: RevealRequest,
    case: Case,
    refuser_id: int,
    now: datetime,
) -> None:
    request.status, request.decided_by, request.decided_at = rules.Status.REFUSED, refuser_id, now
    session.add(request)
    await _audit(
        session, now, "reveal_refused", case, [request.requested_by, refuser_id], request.reason
    )
    refuser = await users_crud.get_user(session=session, user_id=refuser_id)
    text = services.renderer.render(
        await _locale_of(session, services, request.requested_by),
        "admin/reveal_refused.html",
        case=case,
        refuser=_name(refuser, refuser_id),
    )
    rows = _private(request.requested_by, text)
    rows += await _to_other_admins(session, services, request, case, refuser_id)
    await outbox_crud.enqueue(session=session, messages=rows)


async def _to_other_admins(
    session: AsyncSession, services: Services, request: RevealRequest, case: Case, decider: int
) -> list[OutboxMessage]:
    """The admins who were asked too learn it was decided, and by whom (their buttons are
    stale now)."""
    decider_user = await users_crud.get_user(session=session, user_id=decider)
    rows: list[OutboxMessage] = []
    others = await admin_ids(session=session, services=services) - {request.requested_by, decider}
    for admin_id in sorted(others):
        text = services.renderer.render(
            await _locale_of(session, services, admin_id),
            "admin/reveal_decided.html",
            case=case,
            request=request,
            decider=_name(decider_user, decider),
        )
        rows += _private(admin_id, text)
    return rows


async def expire_due(
    *, session_factory: async_sessionmaker[AsyncSession], services: Services, now: datetime
) -> int:
    """For the scheduler: open requests past their time expire, each asker told. Each in its
    own transaction; the status is checked again under lock, so instances may race."""
    async with session_factory() as session:
        ids = await crud.expired_open_ids(session=session, now=now)
    expired = 0
    for request_id in ids:
        async with session_factory.begin() as session:
            request = await crud.get_request(
                session=session, request_id=request_id, for_update=True
            )
            if request is None or not rules.is_expired(_facts(request), now):
                continue
            case = await cases_crud.get_case(session=session, case_id=request.case_id)
            assert case is not None
            await _expire(session=session, services=services, request=request, case=case, now=now)
            expired += 1
    return expired


async def _expire(
    *, session: AsyncSession, services: Services, request: RevealRequest, case: Case, now: datetime
) -> None:
    request.status, request.decided_at = rules.Status.EXPIRED, now
    session.add(request)
    await _audit(session, now, "reveal_expired", case, [request.requested_by], request.reason)
    text = services.renderer.render(
        await _locale_of(session, services, request.requested_by),
        "admin/reveal_expired.html",
        case=case,
    )
    await outbox_crud.enqueue(session=session, messages=_private(request.requested_by, text))


async def audit_view(*, session: AsyncSession, services: Services, admin_id: int) -> str:
    """The latest entries of the audit log, for an admin in private."""
    admins = await admin_ids(session=session, services=services)
    if admin_id not in admins:
        raise TransitionError("forbidden")
    entries = await crud.latest_audit(session=session, limit=AUDIT_SHOWN)
    numbers: dict[int, str] = {}
    names: dict[int, str] = {}
    for entry in entries:
        if entry.case_id is not None and entry.case_id not in numbers:
            case = await cases_crud.get_case(session=session, case_id=entry.case_id)
            numbers[entry.case_id] = case.number if case is not None else f"#{entry.case_id}"
        people = [*entry.actor_ids, *([entry.target_id] if entry.target_id is not None else [])]
        for actor in people:
            if actor not in names:
                user = await users_crud.get_user(session=session, user_id=actor)
                names[actor] = _name(user, actor)
    return services.renderer.render(
        await _locale_of(session, services, admin_id),
        "admin/audit.html",
        entries=entries,
        numbers=numbers,
        names=names,
        shown=AUDIT_SHOWN,
    )


def _facts(request: RevealRequest) -> rules.Request:
    return rules.Request(
        requested_by=request.requested_by,
        status=rules.Status(request.status),
        expires_at=request.expires_at,
    )


async def _audit(
    session: AsyncSession,
    now: datetime,
    action: str,
    case: Case,
    actors: list[int],
    reason: str | None,
) -> None:
    await crud.add_audit(
        session=session,
        entry=AuditEntry(at=now, action=action, case_id=case.id, actor_ids=actors, reason=reason),
    )


async def _locale_of(session: AsyncSession, services: Services, user_id: int) -> str:
    user = await users_crud.get_user(session=session, user_id=user_id)
    return notify.user_locale(user) if user is not None else services.group_locale


def _name(user: User | None, user_id: int) -> str:
    """An admin as other admins know them."""
    if user is None:
        return f"#{user_id}"
    name = " ".join(p for p in (user.first_name, user.last_name) if p) or f"#{user_id}"
    return f"{name} (@{user.username})" if user.username else name


def _private(
    user_id: int,
    text: str,
    *,
    keyboard: dict[str, Any] | None = None,
    priority: int = notify.NORMAL,
) -> list[OutboxMessage]:
    return notify.message_rows(
        chat_id=user_id,
        texts=[text],
        case_id=None,
        recipient=user_id,
        priority=priority,
        keyboard=keyboard,
    )
