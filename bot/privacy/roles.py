"""Giving and taking roles (admins in chat, the operator on the command line), and who holds
what. Every change is an audit entry committed with it, and the person is told in their
language through the outbox (`bot.domain.roles` has the rules)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.context import Services
from bot.delivery import notify
from bot.domain import levels
from bot.domain import roles as rules
from bot.domain.chats import OFFICERS
from bot.domain.workflow import TransitionError
from bot.privacy.reveal import admin_ids
from storage.crud import outbox as outbox_crud
from storage.crud import roles as crud
from storage.crud import users as users_crud
from storage.models import User


@dataclass(frozen=True)
class Operator:
    """Who changes a role: an admin on Telegram (`user_id`), or someone at the server's
    command line (`name`, their operating-system user), who holds every right."""

    user_id: int | None = None
    name: str | None = None


@dataclass(frozen=True)
class Holder:
    user_id: int
    name: str
    scope: str
    from_settings: bool = False


@dataclass(frozen=True)
class Change:
    user: User
    role: str
    scope: str


def person_name(user: User | None, user_id: int) -> str:
    """A person as Telegram shows them: name, then @username."""
    if user is None:
        return f"#{user_id}"
    name = " ".join(p for p in (user.first_name, user.last_name) if p) or f"#{user_id}"
    return f"{name} (@{user.username})" if user.username else name


async def _may(session: AsyncSession, services: Services, operator: Operator) -> bool:
    return operator.user_id is None or operator.user_id in await admin_ids(
        session=session, services=services
    )


async def grant(
    *,
    session: AsyncSession,
    services: Services,
    operator: Operator,
    role: str,
    who: str,
    scope: str = rules.UNIVERSITY,
) -> Change:
    """TransitionError says why nothing changed."""
    role, scope = role.strip().lower(), scope.strip()
    if role == rules.OFFICER:
        scope = levels.scope_code(scope)
    user = await crud.find_user(session=session, ref=who)
    refusal = rules.grant_refusal(
        is_admin=await _may(session, services, operator),
        role=role,
        scope=scope,
        departments={d.code for d in services.org.departments},
        colleges={c.code for c in services.org.colleges},
        target_known=user is not None,
    )
    if refusal is not None:
        raise TransitionError(refusal)
    assert user is not None
    if not await users_crud.grant_role(
        session=session, user_id=user.id, role=role, granted_by=operator.user_id, department=scope
    ):
        raise TransitionError("role_already_held")
    change = Change(user, role, scope)
    await _record(session, services, operator, "grant", change)
    return change


async def revoke(
    *,
    session: AsyncSession,
    services: Services,
    operator: Operator,
    role: str,
    who: str,
    scope: str | None = None,
) -> Change:
    """`scope` None takes the role in every scope the person holds it."""
    role = role.strip().lower()
    user = await crud.find_user(session=session, ref=who)
    grants = (
        await crud.grants_of(session=session, user_id=user.id, role=role)
        if user is not None
        else []
    )
    if scope is not None and role == rules.OFFICER:
        scope = levels.scope_code(scope)
    chosen = [g for g in grants if scope is None or g.department_code == scope.strip()]
    admins = await admin_ids(session=session, services=services)
    from_settings = user is not None and user.id in services.settings.admin_ids
    refusal = rules.revoke_refusal(
        is_admin=await _may(session, services, operator),
        role=role,
        target_known=user is not None,
        from_settings=from_settings,
        held=bool(chosen),
        admins_left=len(admins - {user.id}) if user is not None else len(admins),
    )
    if refusal is not None:
        raise TransitionError(refusal)
    assert user is not None
    await crud.remove(session=session, grant_ids=[g.id for g in chosen if g.id is not None])
    change = Change(user, role, ",".join(g.department_code for g in chosen if g.department_code))
    await _record(session, services, operator, "revoke", change)
    return change


async def _record(
    session: AsyncSession, services: Services, operator: Operator, action: str, change: Change
) -> None:
    await crud.record_change(
        session=session,
        action=action,
        actor_id=operator.user_id,
        actor_name=operator.name,
        target_id=change.user.id,
        role=change.role,
        scope=change.scope,
        at=services.now(),
    )
    locale = notify.user_locale(change.user)
    text = services.renderer.render(
        locale,
        "admin/role_changed.html",
        granted=action == "grant",
        role=change.role,
        scope=change.scope,
        department=services.org.department(change.scope) if change.role != rules.OFFICER else None,
        college=services.org.college(change.scope) if change.role == rules.OFFICER else None,
    )
    await outbox_crud.enqueue(
        session=session,
        messages=notify.message_rows(
            chat_id=change.user.id,
            texts=[text],
            case_id=None,
            recipient=change.user.id,
            priority=notify.NORMAL,
        ),
    )


async def holders(*, session: AsyncSession, services: Services) -> dict[str, list[Holder]]:
    """Who holds each role, in `rules.GRANTABLE`'s order; ADMIN_IDS admins marked as such."""
    found: dict[str, list[Holder]] = {role: [] for role in rules.GRANTABLE}
    for admin_id in sorted(services.settings.admin_ids):
        user = await users_crud.get_user(session=session, user_id=admin_id)
        found[rules.ADMIN].append(Holder(admin_id, person_name(user, admin_id), "", True))
    for grant_row, user in await crud.all_grants(session=session):
        in_settings = grant_row.user_id in services.settings.admin_ids
        if grant_row.role == rules.ADMIN and in_settings:
            continue
        found.setdefault(grant_row.role, []).append(
            Holder(
                grant_row.user_id,
                person_name(user, grant_row.user_id),
                grant_row.department_code,
            )
        )
    return found


async def roles_view(
    *, session: AsyncSession, services: Services, user_id: int, chat_id: int, private: bool
) -> str:
    """/roles for an admin, in private or in the officers' chat (whose members work with these
    people anyway); nowhere else."""
    if user_id not in await admin_ids(session=session, services=services):
        raise TransitionError("forbidden")
    officers = await users_crud.get_binding(session=session, purpose=OFFICERS)
    if not private and (officers is None or officers.chat_id != chat_id):
        raise TransitionError("roles_where")
    user = await users_crud.get_user(session=session, user_id=user_id)
    return services.renderer.render(
        notify.user_locale(user) if private and user is not None else services.group_locale,
        "admin/roles.html",
        holders=await holders(session=session, services=services),
        departments={d.code: d for d in services.org.departments},
        colleges={c.code: c for c in services.org.colleges},
    )
