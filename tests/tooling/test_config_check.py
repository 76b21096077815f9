"""`studentvoice config check` as the IT volunteer meets it: every error with its file and line,
exit code 2; or the effective configuration, secrets masked, exit code 0."""

from __future__ import annotations

from pathlib import Path

from bot.core.config import DEFAULT_ORG_FILE
from bot.core.config_check import masked
from tests.tooling.test_cli import TELEGRAM_AND_FILES, imported_by, run_cli

TOKEN = "123456:AAH-secret-token-from-botfather"


def organisation_file(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    text = DEFAULT_ORG_FILE.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "organisation.toml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


def test_a_good_configuration_is_printed_and_exits_0(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "config", "check", BOT_TOKEN=TOKEN, COMMITTEE_CHAT_ID="-1001")
    assert result.returncode == 0, result.stderr
    assert "  COMMITTEE_CHAT_ID=-1001\n" in result.stdout
    assert "  TIMEZONE=Asia/Shanghai\n" in result.stdout
    assert "7 colleges, 9 categories (2 sensitive), 7 departments" in result.stdout
    assert result.stdout.endswith("configuration OK\n")


def test_secrets_are_masked(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        "config",
        "check",
        BOT_TOKEN=TOKEN,
        DATABASE_URL="postgresql+asyncpg://studentvoice:pg-secret@db:5432/studentvoice",
        REDIS_URL="redis://:redis-secret@cache:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert "  BOT_TOKEN=***\n" in result.stdout
    assert "  DATABASE_URL=postgresql+asyncpg://studentvoice:***@db:5432/studentvoice\n" in (
        result.stdout
    )
    assert "  REDIS_URL=redis://:***@cache:6379/0\n" in result.stdout
    for secret in ("secret-token", "pg-secret", "redis-secret"):
        assert secret not in result.stdout + result.stderr


def test_any_key_token_or_password_setting_is_masked() -> None:
    assert masked("IDENTITY_KEY", "k3y") == "***"
    assert masked("WEBHOOK_SECRET_TOKEN", "t0k") == "***"
    assert masked("SOME_URL", "https://x.example/?user=a&password=p4ss") == (
        "https://x.example/?user=a&password=***"
    )
    assert masked("REDIS_URL", None) == "(not set)"


def test_a_toml_syntax_error_names_its_line(tmp_path: Path) -> None:
    org = organisation_file(tmp_path, ("answer_days = 15 ", "answer_days = "))
    result = run_cli(tmp_path, "config", "check", BOT_TOKEN=TOKEN, ORGANISATION_FILE=str(org))
    assert result.returncode == 2
    first, last = result.stderr.strip().splitlines()
    assert first == f"{org}:{line_of(org, 'answer_days =')}: not valid TOML: Invalid value"
    assert last == "configuration errors: 1"
    assert result.stdout == ""


def test_schema_errors_name_their_lines_and_all_are_reported(tmp_path: Path) -> None:
    org = organisation_file(
        tmp_path,
        ("department_days = 10", "department_days = 0"),
        ('name_en = "School of Nursing"\n', ""),
        ('start = "2026-08-31"', 'start = "2026-08-32"'),
    )
    result = run_cli(
        tmp_path,
        "config",
        "check",
        BOT_TOKEN=TOKEN,
        TIMEZONE="Mars/Olympus",
        ORGANISATION_FILE=str(org),
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    nursing = line_of(org, 'code = "nursing"') - 1  # its [[colleges]] header
    assert lines[0] == "environment: TIMEZONE: unknown time zone 'Mars/Olympus'"
    assert f"{org}:{nursing}: colleges[2].name_en: Field required" in lines
    assert (
        f"{org}:{line_of(org, 'department_days = 0')}: deadlines.department_days: "
        "Input should be greater than 0"
    ) in lines
    assert any(
        line.startswith(f"{org}:{line_of(org, '2026-08-32')}: calendar.semesters[1].start: ")
        for line in lines
    )
    assert lines[-1] == "configuration errors: 4"


def test_a_duplicate_code_points_at_the_entry_repeating_it(tmp_path: Path) -> None:
    org = organisation_file(tmp_path, ('code = "basic"', 'code = "clinical"'))
    result = run_cli(tmp_path, "config", "check", BOT_TOKEN=TOKEN, ORGANISATION_FILE=str(org))
    assert result.returncode == 2
    second = line_of(org, 'name_zh = "基础医学院"') - 1
    assert result.stderr.splitlines()[0] == (
        f"{org}:{second}: colleges[1].code: duplicate code 'clinical'"
    )


def test_config_check_does_not_load_aiogram(tmp_path: Path) -> None:
    assert not imported_by(tmp_path, "config", "check", exit_code=2) & TELEGRAM_AND_FILES
