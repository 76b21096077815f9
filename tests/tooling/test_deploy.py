"""The deployment files a school's server runs: the Dockerfile passes hadolint (a dev dependency,
so this runs wherever the suite does), and docker-compose.yml holds no secret, waits for healthy
PostgreSQL and Redis and for the migrations before the bot starts, and mounts the organisation
file read-only. The README a newcomer follows links nothing outside the repository."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
HADOLINT = Path(sys.executable).parent / "hadolint"
# A compose variable, with or without a default or a required-message: ${NAME}, ${NAME:-x}, …
VARIABLE = re.compile(r"\$\{[A-Z_]+(?::?[-?][^}]*)?\}")


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [str(HADOLINT), "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_caches_dependencies_apart_from_the_code_and_runs_unprivileged() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    stages = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(stages) >= 2
    build = lines[stages[0] : stages[-1]]
    deps = next(i for i, line in enumerate(build) if "--no-install-project" in line)
    assert any("uv.lock" in line for line in build[:deps])
    assert not any(line.startswith("COPY bot") for line in build[:deps])
    assert any(line.startswith("COPY bot") for line in build[deps:])
    final = lines[stages[-1] :]
    user = next(line for line in final if line.startswith("USER "))
    assert user.split()[1] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK ") for line in final)
    assert any("fonts-wqy-microhei" in line for line in final)
    assert not any("config" in line for line in lines if line.startswith("COPY "))


def test_compose_holds_no_password_and_reads_secrets_from_env() -> None:
    services = compose()["services"]
    for name, service in services.items():
        for key, value in environment(service).items():
            if "PASSWORD" in key:
                assert VARIABLE.fullmatch(value), f"{name}: {key} is not taken from .env"
            credentials = re.search(r"://([^/@]*)@", value)
            if credentials:
                user_and_password = VARIABLE.sub("", credentials.group(1))
                assert user_and_password == ":", f"{name}: {key} carries a literal credential"
    for name in ("bot", "migrate"):
        assert services[name]["env_file"] in (".env", [".env"])
    password = environment(services["db"])["POSTGRES_PASSWORD"]
    assert password.startswith("${POSTGRES_PASSWORD:?")


def test_compose_starts_the_bot_after_healthy_stores_and_the_migrations() -> None:
    services = compose()["services"]
    assert "healthcheck" in services["redis"] and "healthcheck" in services["db"]
    assert "redis-cli" in " ".join(services["redis"]["healthcheck"]["test"])
    assert services["bot"]["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert services["migrate"]["command"] == ["studentvoice", "migrate"]
    assert services["migrate"]["depends_on"]["db"] == {"condition": "service_healthy"}
    assert services["bot"]["command"] == ["studentvoice", "${BOT_MODE:-run}"]


def test_the_webhook_profile_puts_caddy_in_front_of_telegrams_path_only() -> None:
    caddy = compose()["services"]["caddy"]
    assert caddy["profiles"] == ["webhook"]  # polling, the default, starts without it
    assert "./config/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    caddyfile = (ROOT / "config" / "Caddyfile").read_text(encoding="utf-8")
    site = [line.split() for line in caddyfile.splitlines() if line.strip().startswith("reverse_")]
    assert site == [
        ["reverse_proxy", "{$WEBHOOK_PATH:/telegram/webhook}", "bot:8080"],
        ["reverse_proxy", "/board*", "bot:8080"],  # the public board, when BOARD_ENABLED
    ]
    assert "respond 404" in caddyfile  # /healthz and /metrics are not published


def test_compose_mounts_the_organisation_file_read_only_and_keeps_the_data() -> None:
    spec = compose()
    for name in ("bot", "migrate"):
        service = spec["services"][name]
        target = environment(service)["ORGANISATION_FILE"]
        mounts = [m for m in service["volumes"] if m.split(":")[-2] == target]
        assert len(mounts) == 1 and mounts[0].endswith(":ro"), service["volumes"]
    db_volumes = spec["services"]["db"]["volumes"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db_volumes)
    assert "pgdata" in spec["volumes"]


def test_the_readme_links_only_inside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)]+)\)", readme):
        if target.startswith("#"):
            continue
        assert "://" not in target, target
        path = (ROOT / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), target
    assert "MIT" in readme and (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_the_image_keeps_the_font_the_chart_loads() -> None:
    from bot.core.fonts import FONT_FILE

    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert f"! -name {FONT_FILE} -delete" in dockerfile
