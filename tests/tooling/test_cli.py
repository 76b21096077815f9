"""The command line as an operator meets it: clear one-line errors, exit code 2, migrations,
and no wait for libraries a command does not use."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# Runs the command line's main as `python -m bot` would, then lists the top-level packages
# the process imported into the file named first.
PROBE = """
import sys
from pathlib import Path

from bot.cli import main

try:
    code = main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
Path(sys.argv[1]).write_text("\\n".join({name.partition(".")[0] for name in sys.modules}))
sys.exit(code)
"""
# What no command that works on the database (or answers without it) waits for.
TELEGRAM_AND_FILES = {"aiogram", "matplotlib", "openpyxl"}


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_python(tmp_path, "-m", "bot", *args, **env)


def imported_by(tmp_path: Path, *args: str, exit_code: int = 0, **env: str) -> set[str]:
    listing = tmp_path / "imported.txt"
    result = run_python(tmp_path, "-c", PROBE, str(listing), *args, **env)
    assert result.returncode == exit_code, result.stderr
    return set(listing.read_text().split())


def run_python(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    clean.update(env)
    clean.setdefault("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    return subprocess.run(
        [sys.executable, *args],
        cwd=tmp_path,
        env=clean | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
        ({"ADMIN_IDS": "12,abc"}, "ADMIN_IDS"),
        ({"OFFICERS_CHAT_ID": "the-group"}, "OFFICERS_CHAT_ID"),
        ({"ORGANISATION_FILE": "/nonexistent/org.toml"}, "ORGANISATION_FILE"),
        ({}, "BOT_TOKEN"),
    ],
)
def test_bad_configuration_is_one_clear_line_and_exit_2(
    tmp_path: Path, env: dict[str, str], setting: str
) -> None:
    result = run_cli(tmp_path, "run", **env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert setting in lines[0]


def test_a_broken_organisation_file_names_the_entry(tmp_path: Path) -> None:
    org = tmp_path / "org.toml"
    org.write_text('name_zh = "x"\nname_en = "x"\ncolleges = []\ncategories = []\n')
    result = run_cli(tmp_path, "migrate", ORGANISATION_FILE=str(org))
    assert result.returncode == 2
    assert "ORGANISATION_FILE" in result.stderr and "departments" in result.stderr


def test_run_refuses_an_unmigrated_database_then_migrate_fixes_it(tmp_path: Path) -> None:
    refused = run_cli(tmp_path, "run", BOT_TOKEN="1:x")
    assert refused.returncode == 2
    assert "studentvoice migrate" in refused.stderr
    migrated = run_cli(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "revision" in migrated.stdout
    again = run_cli(tmp_path, "migrate")
    assert again.returncode == 0, again.stderr


def test_version_names_the_installed_package_version(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"studentvoice {version('studentvoice')}\n"


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("session", "--help")])
def test_the_parser_alone_imports_no_library_beyond_the_standard_one(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    imported = imported_by(tmp_path, *args)
    assert not imported & {*TELEGRAM_AND_FILES, "pydantic", "sqlalchemy", "jinja2"}


def test_database_commands_do_not_load_aiogram(tmp_path: Path) -> None:
    assert not imported_by(tmp_path, "migrate") & TELEGRAM_AND_FILES
    assert not imported_by(tmp_path, "session", "list") & TELEGRAM_AND_FILES
    # A mistyped period is answered before anything about the database is loaded.
    typo = imported_by(tmp_path, "digest", "--period", "2026-W99", exit_code=2)
    assert not typo & {*TELEGRAM_AND_FILES, "sqlalchemy"}


@pytest.mark.parametrize(
    ("args", "env"),
    [(("run",), {}), (("webhook",), {"BOT_TOKEN": "1:x"})],
    ids=["run-without-a-token", "webhook-without-a-secret"],
)
def test_a_missing_setting_is_told_before_the_bot_is_loaded(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    assert not imported_by(tmp_path, *args, exit_code=2, **env) & TELEGRAM_AND_FILES
