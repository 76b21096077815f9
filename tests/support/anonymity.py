"""No anonymous submitter in any group or channel, in any test.

Every bot the tests start (`tests.support.harness.start_bot`) is watched: when the test ends, every
request that bot made to a group or a channel — and every answer to a button pressed there,
which the presser sees — is searched for the Telegram id, names and username of each person
who submitted a case anonymously (and never under their name, nor acts in a role that is
shown). One found fails the test.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pydantic import SecretStr
from sqlalchemy import select
from sqlmodel import col

from bot.core.sealing import IdentitySeal, parse_keys
from bot.devkit.emulator import BotAPIEmulator
from storage.db import READ_ONLY, create_engine
from storage.models import Case, Representative, RoleGrant, User


@dataclass(frozen=True)
class Identity:
    user_id: int
    marks: tuple[str, ...]


@dataclass
class Watched:
    emu: BotAPIEmulator
    database_url: str
    admin_ids: frozenset[int]
    # Opens who wrote an anonymous case (`bot.core.sealing`): the bot's own IDENTITY_KEY.
    seal: IdentitySeal | None


WATCHED: list[Watched] = []


def watch(
    emu: BotAPIEmulator, database_url: str, admin_ids: list[int], identity_key: SecretStr | None
) -> None:
    seal = IdentitySeal(parse_keys(identity_key.get_secret_value())) if identity_key else None
    WATCHED.append(Watched(emu, database_url, frozenset(admin_ids), seal))


async def anonymous_submitters(
    database_url: str, admin_ids: frozenset[int], seal: IdentitySeal | None
) -> list[Identity]:
    # Reads only: it must not wait for (or take) the write lock a bot still running holds.
    engine = create_engine(database_url, execution_options={READ_ONLY: True})
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(Case.submitter_id, Case.anonymous, Case.author_sealed)
                )
            ).all()
            named = {uid for uid, anonymous, _ in rows if uid is not None and not anonymous}
            hidden = {uid for uid, anonymous, _ in rows if uid is not None and anonymous}
            if seal is not None:
                hidden |= {seal.open(sealed) for _, _, sealed in rows if sealed is not None}
            shown_roles = set((await connection.execute(select(col(RoleGrant.user_id)))).scalars())
            shown_roles |= {
                uid
                for uid in (await connection.execute(select(col(Representative.user_id)))).scalars()
                if uid is not None
            }
            people = (await connection.execute(select(User).where(col(User.id).in_(hidden)))).all()
    finally:
        await engine.dispose()
    found = []
    for user in people:
        if user.id in named or user.id in shown_roles or user.id in admin_ids:
            continue
        marks = [f"@{user.username}" if user.username else ""]
        marks += [name for name in (user.first_name, user.last_name) if name and len(name) >= 2]
        found.append(Identity(user.id, tuple(m for m in marks if m)))
    return found


def leaks(emu: BotAPIEmulator, people: list[Identity]) -> list[str]:
    if not people:
        return []
    group_queries = {
        query_id
        for query_id, record in emu.world.callback_queries.items()
        if record.chat_id is not None and record.chat_id < 0
    }
    found = []
    for request in emu.requests:
        in_group = request.chat_id is not None and request.chat_id < 0
        if request.method == "answerCallbackQuery":
            in_group = request.params.get("callback_query_id") in group_queries
        if not in_group:
            continue
        text = json.dumps(request.params, ensure_ascii=False)
        for person in people:
            # A name is found as itself, not inside a longer one ("同学1" in "同学12").
            if re.search(rf"(?<![0-9]){person.user_id}(?![0-9])", text) or any(
                re.search(rf"(?<![0-9A-Za-z_]){re.escape(mark)}(?![0-9A-Za-z_])", text)
                for mark in person.marks
            ):
                found.append(f"#{request.index} {request.method}: {request.short(300)}")
    return found


async def check_all() -> None:
    watched, WATCHED[:] = list(WATCHED), []
    problems = []
    for item in watched:
        people = await anonymous_submitters(item.database_url, item.admin_ids, item.seal)
        problems += leaks(item.emu, people)
    assert not problems, "an anonymous submitter appears in a group or channel:\n" + "\n".join(
        problems
    )
