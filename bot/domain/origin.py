"""Where an action may come from: who holds the role it needs, and the chat it is taken in.

A case belongs to one officers' chat (a sensitive category's to the sensitive chat when one is
bound, every other case to the officers' chat), and only there is it worked: a press or a
message about it from another chat is a forged or stray button, whoever sends it — admins
included, so that nothing about a sensitive case is ever done, or answered, where its members
cannot see it. A liaison acts for their own department, in their private chat.
Knows nothing of Telegram or storage.
"""

from __future__ import annotations

from collections.abc import Set

from bot.domain.workflow import Role

OFFICER_ROLES = frozenset({"officer", "admin"})


def officer_refusal(
    *, role: Role, held: Set[str], chat_id: int | None, home_chat: int | None
) -> str | None:
    """None when an officer's (or admin's) action on a case may go ahead; else the reason.

    `held`: the roles the actor really holds; `home_chat`: the chat the case belongs to.
    """
    if role not in (Role.OFFICER, Role.ADMIN):
        return "forbidden"
    needed = {"admin"} if role == Role.ADMIN else OFFICER_ROLES
    if not needed & held:
        return "forbidden"
    if home_chat is None or chat_id != home_chat:
        return "wrong_chat"
    return None


def liaison_refusal(
    *, user_id: int, chat_id: int | None, department: str, departments: Set[str]
) -> str | None:
    """None when a liaison may act on a department's part; else the reason."""
    if department not in departments:
        return "not_liaison"
    if chat_id != user_id:
        return "wrong_chat"
    return None
