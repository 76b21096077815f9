"""The house rules a machine can check, run with the suite so CI cannot skip them: lint and
format, types, and the import contracts in pyproject.toml (layers without cycles, a pure domain,
handlers without data access, a runtime without the developer kit)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(
    "command",
    [("ruff", "check", "."), ("ruff", "format", "--check", "."), ("lint-imports",)],
    ids=["ruff-check", "ruff-format", "import-contracts"],
)
def test_tool_passes(command: tuple[str, ...]) -> None:
    result = run(*command)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(600)
def test_types_check() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
