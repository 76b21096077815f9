"""Roles: an admin grants and revokes them in chat (the person is told in their language, the
change is an audit entry), /roles lists who holds what, and `/audit G2026-…` shows a case's
log. Whatever is refused is said in the sender's language and changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.devkit.emulator import BotAPIEmulator
from storage.models import AuditEntry, RoleGrant
from tests.support.cli_runner import run_cli_in_process as run_cli
from tests.support.harness import ADMIN_ID, OFFICER_ID
from tests.support.officer_helpers import ACCEPT, case_of, officer_harness, received, say
from tests.support.reveal_helpers import World, reveal_world, say_private, texts

TOM, TOM_USERNAME = 4712, "tom_liaison"


@pytest.fixture
async def world(emulator: BotAPIEmulator, database_url: str) -> AsyncIterator[World]:
    # ADMIN_IDS holds only the first admin: the others become admins by grant, or not at all.
    async with reveal_world(emulator, database_url, admins=(ADMIN_ID,)) as w:
        await w.h.student(
            TOM, "Tom", language="en", college="School of Clinical Medicine", username=TOM_USERNAME
        )
        yield w


async def grants(world: World) -> list[tuple[int, str, str]]:
    assert world.h.app is not None
    async with world.h.app.session_factory() as session:
        found = await session.scalars(select(RoleGrant).order_by(col(RoleGrant.id)))
        return [(g.user_id, g.role, g.department_code) for g in found]


async def role_audit(world: World) -> list[AuditEntry]:
    assert world.h.app is not None
    async with world.h.app.session_factory() as session:
        # Not the harness's own /officer at the start.
        stmt = select(AuditEntry).where(
            col(AuditEntry.action).in_(["grant", "revoke"]), col(AuditEntry.target_id) != OFFICER_ID
        )
        return list(await session.scalars(stmt.order_by(col(AuditEntry.id))))


async def test_an_admin_grants_and_revokes_a_liaison_who_is_told_in_english(world: World) -> None:
    h, admin = world.h, world.asker
    tom = h.students[TOM]
    before = await grants(world)
    await say_private(h, admin, f"/grant liaison @{TOM_USERNAME.upper()} academic_affairs")
    assert "Tom (@tom_liaison) 现在拥有角色：部门联络人" in texts(h, admin)[-1]
    assert texts(h, tom)[-1] == (
        "🔑 You have been given the role: department liaison · Office of Academic Affairs"
    )
    assert await grants(world) == [*before, (TOM, "liaison", "academic_affairs")]
    (entry,) = await role_audit(world)
    assert (entry.action, entry.actor_ids, entry.target_id) == ("grant", [ADMIN_ID], TOM)
    assert (entry.role, entry.scope) == ("liaison", "academic_affairs")

    await say_private(h, admin, f"/grant liaison {TOM} academic_affairs")
    assert "此人已拥有该角色。未作任何更改" in texts(h, admin)[-1]
    await say_private(h, admin, f"/revoke liaison {TOM}")
    assert "已不再拥有角色：部门联络人" in texts(h, admin)[-1]
    assert texts(h, tom)[-1].startswith("🔒 Your role has been taken away: department liaison")
    await say_private(h, admin, f"/revoke liaison {TOM}")
    assert "此人并未拥有该角色" in texts(h, admin)[-1]
    assert await grants(world) == before
    assert [e.action for e in await role_audit(world)] == ["grant", "revoke"]


async def test_unknown_people_roles_and_scopes_are_refused_and_change_nothing(
    world: World,
) -> None:
    h, admin = world.h, world.asker
    before = await grants(world)
    told = len(texts(h, admin))
    for command in (
        "/grant officer @nobody_here",
        "/grant officer 123456789",
        "/grant dean @tom_liaison",
        "/grant liaison @tom_liaison no_such_office",
        "/grant officer @tom_liaison college:nosuch",
        f"/revoke admin {ADMIN_ID}",
        "/grant officer",
    ):
        await say_private(h, admin, command)
    assert texts(h, admin)[told:] == [
        "机器人不认识此人：请对方先给机器人发一条消息。未作任何更改。",
        "机器人不认识此人：请对方先给机器人发一条消息。未作任何更改。",
        "未知的角色：请使用 admin、officer、liaison 或 reader。未作任何更改。",
        "联络人需要指定部门：请给出部门代码。未作任何更改。",
        "未知的学院：请给出学院代码（见 /bind college）。未作任何更改。",
        "该管理员由配置项 ADMIN_IDS 设定，无法在此撤销。未作任何更改。",
        "用法：/grant admin|officer|liaison|reader @用户名|数字ID [部门代码 | college:学院代码]",
    ]
    assert await grants(world) == before and await role_audit(world) == []


async def test_only_admins_grant_and_a_granted_admin_can_grant_then_be_revoked(
    world: World,
) -> None:
    h, admin, second = world.h, world.asker, world.second
    assert h.officer is not None
    await say_private(h, second, "/start")  # the bot has met the second admin-to-be
    before = await grants(world)
    await say_private(h, h.officer, f"/grant admin {second.id}")
    assert "没有执行此操作的权限" in texts(h, h.officer)[-1]
    await say(h, f"/grant officer @{TOM_USERNAME}", who=h.officer)
    assert "没有执行此操作的权限" in received(h, h.group)[-1]
    assert await grants(world) == before
    await say_private(h, admin, f"/grant admin {second.id}")
    await say_private(h, second, f"/grant officer @{TOM_USERNAME}")
    assert "现在拥有角色：权益干事" in texts(h, second)[-1]
    await say_private(h, admin, f"/revoke admin @{second.username}")
    assert "已不再拥有角色：管理员" in texts(h, admin)[-1]
    await say_private(h, second, f"/revoke officer @{TOM_USERNAME}")
    assert (TOM, "officer", "") in await grants(world)
    assert [e.action for e in await role_audit(world)] == ["grant", "grant", "revoke"]


async def test_the_last_admin_by_grant_cannot_be_revoked_when_none_would_be_left(
    emulator: BotAPIEmulator, database_url: str
) -> None:
    async with officer_harness(emulator, database_url) as h:
        assert h.admin is not None
        lone = h.emu.add_user(9005, "孙部长", username="minister_sun", started=True)
        await say_private(h, lone, "/start")
        await say_private(h, h.admin, f"/grant admin {lone.id}")
    # ADMIN_IDS emptied: the granted admin is the only one left.
    async with officer_harness(
        emulator, database_url, reset=False, grant_officer=False, admin_ids=[]
    ) as h:
        lone = h.emu.user(9005)
        await say_private(h, lone, f"/revoke admin {lone.id}")
        assert "这是最后一位管理员" in texts(h, lone)[-1]


async def test_roles_lists_who_holds_what_for_admins_only(world: World) -> None:
    h, admin = world.h, world.asker
    await say_private(h, admin, f"/grant liaison @{TOM_USERNAME} logistics")
    assert h.officer is not None
    # Appointed by id, the officer is known by their Telegram name once they have written.
    await say(h, "大家好", who=h.officer)
    await say(h, "/roles", who=admin)
    shown = received(h, h.group)[-1]
    admins, officers, liaisons, readers = shown.split("\n\n")[1:]
    assert admins.splitlines() == ["管理员", "• 管理员 (@union_admin) · 由 ADMIN_IDS 设定"]
    assert officers.splitlines() == ["权益干事", "• 王老师 (@officer_wang)"]
    assert liaisons.splitlines() == ["部门联络人", "• Tom (@tom_liaison) · 后勤保障处"]
    assert readers.splitlines() == ["党委/团委阅览人", "暂无"]
    await say_private(h, admin, "/roles")
    assert texts(h, admin)[-1] == shown
    await say(h, "/roles", who=h.officer)
    assert "没有执行此操作的权限" in received(h, h.group)[-1]


async def test_a_cases_log_for_its_officers_and_admins_never_names_the_anonymous_author(
    world: World,
) -> None:
    h, admin, number = world.h, world.asker, world.number
    assert h.officer is not None
    await h.press_card(number, ACCEPT)
    await say(h, f"/audit {number}", who=h.officer)
    log = received(h, h.group)[-1]
    lines = log.splitlines()
    assert lines[0] == f"📒 {number} 的日志"
    assert "已提交 · 学生" in lines[1] and "王老师 (@officer_wang)" in lines[2]
    assert str(world.student.id) not in log and "Wenjing" not in log
    await say_private(h, admin, f"/audit {number}")
    assert texts(h, admin)[-1] == log
    await say_private(h, h.officer, f"/audit {number}")
    assert "没有执行此操作的权限" in texts(h, h.officer)[-1]
    await say(h, "/audit G2020-9999", who=h.officer)
    assert "没有该编号" in received(h, h.group)[-1]


async def test_a_committee_reader_reads_the_digest_and_changes_no_case(
    world: World, tmp_path: Path
) -> None:
    """The reader (党委/团委) is granted and revoked in chat and from the command line; they
    get the digest in private, and a card's button refuses them."""
    h, admin, number = world.h, world.asker, world.number
    tom = h.students[TOM]
    before = await grants(world)
    await say_private(h, tom, "/digest")
    assert texts(h, tom)[-1].startswith("Only the committee chat, a committee reader or an admin")

    await say_private(h, admin, f"/grant reader @{TOM_USERNAME}")
    assert "Tom (@tom_liaison) 现在拥有角色：党委/团委阅览人" in texts(h, admin)[-1]
    assert texts(h, tom)[-1] == "🔑 You have been given the role: committee reader"
    await say_private(h, admin, f"/grant reader @{TOM_USERNAME} logistics")
    assert "此角色不需要部门或学院。未作任何更改。" in texts(h, admin)[-1]
    assert await grants(world) == [*before, (TOM, "reader", "")]

    told = len(h.emu.bot_messages(tom.id))
    await say_private(h, tom, "/digest")
    digest = h.emu.bot_messages(tom.id)[told:]
    assert digest[0].kind == "text" and digest[-1].kind == "document"

    # Read-only: in the officers' chat a card's button is refused, and nothing moves.
    h.group.add_member(tom)
    query = await h.press_card(number, ACCEPT, who=tom)
    assert h.emu.callback_answers[query] == ("Only rights officers can act on cases.", True)
    assert (await case_of(h, number)).state == "submitted"

    await say_private(h, admin, f"/revoke reader {TOM}")
    assert texts(h, tom)[-1].startswith("🔒 Your role has been taken away: committee reader")
    await say_private(h, tom, "/digest")
    assert texts(h, tom)[-1].startswith("Only the committee chat")
    assert await grants(world) == before

    # The same from the server's command line.
    env = {"DATABASE_URL": h.app.settings.database_url if h.app else "", "ADMIN_IDS": str(ADMIN_ID)}
    granted = await asyncio.to_thread(
        run_cli, tmp_path, "roles", "grant", "reader", str(TOM), **env
    )
    assert granted.returncode == 0, granted.stderr
    assert granted.stdout == f"reader granted to Tom (@{TOM_USERNAME}) ({TOM})\n"
    listed = await asyncio.to_thread(run_cli, tmp_path, "roles", "list", **env)
    assert f"reader:\n  {TOM}\tTom (@{TOM_USERNAME})\n" in listed.stdout
    await h.settle()  # the grant's notice, queued by the command line, reaches Tom first
    assert texts(h, tom)[-1].startswith("🔑 You have been given the role: committee reader")
    await say_private(h, tom, "/digest")
    assert h.emu.bot_messages(tom.id)[-1].kind == "document"
    revoked = await asyncio.to_thread(
        run_cli, tmp_path, "roles", "revoke", "reader", f"@{TOM_USERNAME}", **env
    )
    assert revoked.returncode == 0, revoked.stderr
    assert await grants(world) == before
    actions = [(e.action, e.role, e.actor_name is None) for e in await role_audit(world)]
    assert actions == [
        ("grant", "reader", True),
        ("revoke", "reader", True),
        ("grant", "reader", False),
        ("revoke", "reader", False),
    ]
