"""On SQLite, what is deleted (an erased student's data, a purged case, a superseded ballot)
is overwritten in the database file, not left readable in its free pages."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from storage.db import create_engine

MARKER = "张三-学号2023010199-宿舍楼三层"


async def _run(url: str, *statements: str) -> None:
    # The last connection closed checkpoints the WAL into the file and removes it.
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def test_without_it_the_text_would_stay(tmp_path: Path) -> None:
    """What the test below looks for is there to find when deletion does not overwrite."""
    path = tmp_path / "plain.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA secure_delete=OFF")
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('keep')")
        conn.execute("INSERT INTO notes (body) VALUES (?)", (MARKER * 20,))
        conn.commit()
        conn.execute("DELETE FROM notes WHERE body != 'keep'")
        conn.commit()
    conn.close()
    assert MARKER.encode() in path.read_bytes()


async def test_deleted_text_is_gone_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "erase.db"
    url = f"sqlite+aiosqlite:///{path}"
    await _run(
        url,
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
        "INSERT INTO notes (body) VALUES ('keep')",
        f"INSERT INTO notes (body) VALUES ('{MARKER * 20}')",
    )
    assert MARKER.encode() in path.read_bytes()  # the file did hold it
    await _run(url, "DELETE FROM notes WHERE body != 'keep'")
    assert MARKER.encode() not in path.read_bytes()
    assert b"keep" in path.read_bytes()
