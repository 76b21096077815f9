"""Which roles admins give and take, and what makes a grant or a revocation refused.

A grant's scope is stored in `RoleGrant.department_code`: a liaison's department; for an
officer "" is the university, a college's code a college officer's (校院两级,
`bot.domain.levels`).
Knows nothing of Telegram or storage.
"""

from __future__ import annotations

from collections.abc import Set

OFFICER, LIAISON, ADMIN = "officer", "liaison", "admin"
# The party / youth-league committee's reader: the digest, read-only; nothing that changes a
# case (no case action checks for it, so every one refuses it).
READER = "reader"
# In the order /roles lists them.
GRANTABLE = (ADMIN, OFFICER, LIAISON, READER)
UNIVERSITY = ""


def scope_refusal(
    *, role: str, scope: str, departments: Set[str], colleges: Set[str] = frozenset()
) -> str | None:
    """None when the role may be held with that scope; else the reason. An officer's scope
    is a college's code (already without its `college:`)."""
    if role not in GRANTABLE:
        return "unknown_role"
    if role == LIAISON:
        return None if scope in departments else "liaison_needs_department"
    if scope and role == OFFICER:
        return None if scope in colleges else "unknown_college"
    return "role_takes_no_scope" if scope else None


def grant_refusal(
    *,
    is_admin: bool,
    role: str,
    scope: str,
    departments: Set[str],
    target_known: bool,
    colleges: Set[str] = frozenset(),
) -> str | None:
    if not is_admin:
        return "forbidden"
    refusal = scope_refusal(role=role, scope=scope, departments=departments, colleges=colleges)
    if refusal is not None:
        return refusal
    return None if target_known else "unknown_user"


def revoke_refusal(
    *,
    is_admin: bool,
    role: str,
    target_known: bool,
    from_settings: bool,
    held: bool,
    admins_left: int,
) -> str | None:
    """`admins_left`: the admins there would be after the revocation, ADMIN_IDS included."""
    if not is_admin:
        return "forbidden"
    if role not in GRANTABLE:
        return "unknown_role"
    if not target_known:
        return "unknown_user"
    if role == ADMIN and from_settings:
        return "admin_from_settings"
    if not held:
        return "role_not_held"
    if role == ADMIN and admins_left == 0:
        return "last_admin"
    return None
