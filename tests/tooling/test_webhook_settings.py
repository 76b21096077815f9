"""The webhook's and the proxy's settings: what reaches the bot's HTTP session, and the one
clear line (exit 2) for what is missing or malformed."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from aiohttp_socks import ProxyConnector
from pydantic import ValidationError

from bot.app.runtime import build_bot
from bot.core.config import Settings
from tests.tooling.test_cli import run_cli

TOKEN = "123456:TEST-TOKEN"


@pytest.mark.parametrize(
    "proxy", ["socks5://127.0.0.1:1080", "http://user:pw@proxy.example.edu.cn:3128"]
)
async def test_the_proxy_setting_reaches_the_bots_http_session(proxy: str) -> None:
    settings = Settings(
        bot_token=TOKEN,
        telegram_api_base="http://127.0.0.1:8081",
        telegram_proxy=proxy,
        _env_file=None,  # type: ignore[call-arg]
    )
    bot = build_bot(settings)
    try:
        assert bot.session.proxy == proxy  # type: ignore[attr-defined]
        assert bot.session.api.base.startswith("http://127.0.0.1:8081/")
        http = await bot.session.create_session()  # type: ignore[attr-defined]
        assert isinstance(http.connector, ProxyConnector)
    finally:
        await bot.session.close()


async def test_without_a_proxy_the_session_connects_directly() -> None:
    bot = build_bot(Settings(bot_token=TOKEN, _env_file=None))  # type: ignore[call-arg]
    try:
        assert bot.session.proxy is None  # type: ignore[attr-defined]
        assert bot.session.api.base.startswith("https://api.telegram.org/")
    finally:
        await bot.session.close()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("telegram_proxy", "ftp://127.0.0.1:21"),
        ("webhook_secret", "has space"),
        ("webhook_secret", "x" * 257),
        ("webhook_secret", "ünïcode"),
        ("webhook_listen", "8080"),
        ("webhook_path", "telegram"),
    ],
)
def test_malformed_settings_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings(**{field: value}, _env_file=None)  # type: ignore[arg-type]


def test_a_secret_of_telegrams_characters_is_accepted() -> None:
    secret = "Az09_-" * 40
    assert Settings(webhook_secret=secret, _env_file=None).webhook_secret == secret  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"WEBHOOK_URL": "https://bot.example.edu.cn"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_URL": "https://x", "WEBHOOK_SECRET": "bad secret"}, "WEBHOOK_SECRET"),
        ({"WEBHOOK_SECRET": "good_secret"}, "WEBHOOK_URL"),
        (
            {"WEBHOOK_SECRET": "s", "WEBHOOK_URL": "https://x", "TELEGRAM_PROXY": "ftp://p"},
            "TELEGRAM_PROXY",
        ),
    ],
)
def test_webhook_without_its_settings_is_one_clear_line_and_exit_2(
    tmp_path: Path, env: dict[str, str], setting: str
) -> None:
    result = run_cli(tmp_path, "webhook", BOT_TOKEN=TOKEN, **env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert setting in lines[0]


def test_a_webhook_address_already_taken_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert run_cli(tmp_path, "migrate").returncode == 0
        result = run_cli(
            tmp_path,
            "webhook",
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE="http://127.0.0.1:9",
            WEBHOOK_URL="https://bot.example.edu.cn",
            WEBHOOK_SECRET="good_secret",
            WEBHOOK_LISTEN=f"127.0.0.1:{port}",
            LOG_FORMAT="text",
        )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = [x for x in result.stderr.splitlines() if "WEBHOOK_LISTEN" in x]
    assert f"127.0.0.1:{port}" in line and "cannot listen" in line
