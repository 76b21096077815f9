"""`studentvoice export audit` and `studentvoice roles` as an operator meets them: without
--identities nobody in the file can be recognised; with it officers and admins are named but
an anonymous author still is not; every export is itself in the audit log."""

from __future__ import annotations

import asyncio
import csv
import getpass
from datetime import date, timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import col

from bot.devkit.emulator import BotAPIEmulator
from storage.db import create_engine, create_session_factory
from storage.models import AuditEntry, RoleGrant
from tests.support.cli_runner import run_cli_in_process as run_cli
from tests.support.harness import ADMIN_ID, OFFICER_ID
from tests.support.officer_helpers import ACCEPT
from tests.support.reveal_helpers import (
    APPROVE,
    REASON,
    SECOND_ADMIN,
    STUDENT_ID,
    STUDENT_NAME,
    STUDENT_USERNAME,
    request_message,
    reveal_world,
    say_private,
)

PEOPLE = (
    str(STUDENT_ID), STUDENT_NAME, STUDENT_USERNAME,
    str(OFFICER_ID), "王老师", "officer_wang",
    str(ADMIN_ID), "union_admin",
    str(SECOND_ADMIN), "赵主席", "chair_zhao",
)  # fmt: skip


async def story(emulator: BotAPIEmulator, database_url: str) -> str:
    """An anonymous case accepted, its author revealed, a liaison named: the period's log."""
    async with reveal_world(emulator, database_url) as w:
        h = w.h
        await h.press_card(w.number, ACCEPT)
        await say_private(h, w.asker, f"/reveal {w.number} {REASON}")
        await w.second.press(request_message(h, w.second), APPROVE)
        await say_private(h, w.asker, f"/grant liaison @{STUDENT_USERNAME} logistics")
        await h.settle()
        return w.number


async def audit_entries(database_url: str) -> list[AuditEntry]:
    engine = create_engine(database_url)
    async with create_session_factory(engine)() as session:
        found = list(await session.scalars(select(AuditEntry).order_by(col(AuditEntry.id))))
    await engine.dispose()
    return found


def period() -> list[str]:
    today = date.today()
    return ["--from", str(today - timedelta(days=1)), "--to", str(today + timedelta(days=1))]


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


async def test_the_export_names_nobody_unless_asked_and_is_itself_logged(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    number = await story(emulator, database_url)
    env = {"DATABASE_URL": database_url}
    plain, named = tmp_path / "plain.csv", tmp_path / "named.csv"
    result = await asyncio.to_thread(
        run_cli, tmp_path, "export", "audit", *period(), "--out", str(plain), **env
    )
    assert result.returncode == 0, result.stderr
    rows = read_csv(plain)
    assert rows[0] == [
        "time", "source", "case", "action", "actor_role", "actor", "target", "role", "scope"
    ]  # fmt: skip
    text = plain.read_text(encoding="utf-8-sig")
    assert not [person for person in PEOPLE if person in text] and REASON not in text
    actions = {(row[1], row[2], row[3]) for row in rows[1:]}
    assert {("case", number, "submit"), ("case", number, "accept")} <= actions
    assert {("audit", number, "reveal"), ("audit", "", "grant")} <= actions
    accepted = next(row for row in rows if row[3] == "accept")
    assert accepted[4] == "officer" and accepted[5].startswith("officer-")
    grant = next(row for row in rows if row[3] == "grant" and row[7] == "liaison")
    assert grant[8] == "logistics" and grant[6].startswith("liaison-")
    assert grant[4] == "admin" and grant[5].startswith("admin-")

    result = await asyncio.to_thread(
        run_cli,
        tmp_path,
        "export", "audit", *period(), "--identities", "--out", str(named),
        **env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = named.read_text(encoding="utf-8-sig")
    assert f"{OFFICER_ID} 王老师 (@officer_wang)" in text and REASON in text
    # The student is named only as the liaison they were made, never as the case's author.
    submitted = next(row for row in read_csv(named) if row[3] == "submit")
    assert submitted[5] == "" and STUDENT_NAME not in "".join(submitted)
    exports = [e for e in await audit_entries(database_url) if e.action == "audit_export"]
    assert [(e.actor_name, e.actor_ids) for e in exports] == [(getpass.getuser(), [])] * 2
    assert exports[0].reason is not None and "--identities" not in exports[0].reason
    assert exports[1].reason is not None and exports[1].reason.endswith("--format csv --identities")

    book = tmp_path / "plain.xlsx"
    result = await asyncio.to_thread(
        run_cli,
        tmp_path,
        "export",
        "audit",
        *period(),
        "--format",
        "xlsx",
        "--out",
        str(book),
        **env,
    )
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(book).active
    assert sheet is not None
    cells = [[str(c.value or "") for c in row] for row in sheet.iter_rows()]
    assert cells[0] == rows[0] and len(cells) >= len(rows)
    assert not [p for p in PEOPLE if p in "".join("".join(r) for r in cells)]


async def test_roles_from_the_command_line(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    await story(emulator, database_url)
    env = {"DATABASE_URL": database_url, "ADMIN_IDS": str(ADMIN_ID)}

    def cli(*args: str) -> tuple[int, str, str]:
        result = run_cli(tmp_path, "roles", *args, **env)
        return result.returncode, result.stdout, result.stderr

    code, out, _ = await asyncio.to_thread(cli, "grant", "officer", f"@{STUDENT_USERNAME}")
    assert (code, out) == (
        0,
        f"officer granted to {STUDENT_NAME} (@{STUDENT_USERNAME}) ({STUDENT_ID})\n",
    )
    code, _, err = await asyncio.to_thread(cli, "grant", "officer", "@ghost")
    assert code == 1 and "does not know this person" in err
    code, _, err = await asyncio.to_thread(cli, "revoke", "admin", str(ADMIN_ID))
    assert code == 1 and "ADMIN_IDS" in err
    code, out, _ = await asyncio.to_thread(cli, "list")
    assert code == 0 and f"  {STUDENT_ID}\t{STUDENT_NAME} (@{STUDENT_USERNAME}) [logistics]" in out
    assert "officer:\n" in out and f"  {OFFICER_ID}\t" in out
    entries = await audit_entries(database_url)
    (by_cli,) = [e for e in entries if e.actor_name is not None and e.action == "grant"]
    assert (by_cli.actor_ids, by_cli.target_id, by_cli.role) == ([], STUDENT_ID, "officer")
    engine = create_engine(database_url)
    async with create_session_factory(engine)() as session:
        held = await session.scalars(
            select(col(RoleGrant.role)).where(col(RoleGrant.user_id) == STUDENT_ID)
        )
        assert sorted(held) == ["liaison", "officer"]
    await engine.dispose()


async def test_a_college_officer_from_the_command_line(
    emulator: BotAPIEmulator, database_url: str, tmp_path: Path
) -> None:
    """校院两级: an officer of one college's union, granted and revoked by the operator."""
    await story(emulator, database_url)
    env = {"DATABASE_URL": database_url, "ADMIN_IDS": str(ADMIN_ID)}

    def cli(*args: str) -> tuple[int, str, str]:
        result = run_cli(tmp_path, "roles", *args, **env)
        return result.returncode, result.stdout, result.stderr

    who = f"@{STUDENT_USERNAME}"
    code, _, err = await asyncio.to_thread(cli, "grant", "officer", who, "college:nosuch")
    assert code == 1 and "Unknown college" in err
    code, out, _ = await asyncio.to_thread(cli, "grant", "officer", who, "college:nursing")
    assert (code, out) == (
        0,
        f"officer [nursing] granted to {STUDENT_NAME} ({who}) ({STUDENT_ID})\n",
    )
    code, out, _ = await asyncio.to_thread(cli, "list")
    assert f"  {STUDENT_ID}\t{STUDENT_NAME} ({who}) [nursing]" in out.split("liaison:")[0]
    code, out, _ = await asyncio.to_thread(cli, "revoke", "officer", who, "college:nursing")
    assert code == 0 and out.startswith("officer [nursing] revoked from")
    grants = [e for e in await audit_entries(database_url) if e.role == "officer" and e.scope]
    assert [(e.action, e.scope) for e in grants] == [("grant", "nursing"), ("revoke", "nursing")]
