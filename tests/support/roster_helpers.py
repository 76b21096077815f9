"""What the roster tests share: roster files, and a database the command line has set up."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from storage.db import create_engine
from storage.models import Representative
from tests.support.harness import reset_database
from tests.support.proposal_helpers import SESSION_NAME

HEADER = ["姓名", "学号", "院系", "代表团/班级", "联系电话"]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        csv.writer(out).writerows(rows)
    return path


def roster_size(url: str) -> int:
    async def run() -> int:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return int(await conn.scalar(select(func.count()).select_from(Representative)))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def session_created_by_cli(database_url: str, monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    """An empty database with one congress session (id 1), made as an admin would: by `main`."""

    async def fresh() -> None:
        await (await reset_database(database_url)).dispose()

    asyncio.run(fresh())
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    created = ["session", "create", "--name", SESSION_NAME]
    assert main([*created, "--opens", "2026-11-01", "--closes", "2026-11-30"]) == 0
