"""Settings from the environment and the organisation's TOML file."""

from __future__ import annotations

import re
import tomllib
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.sealing import IdentitySeal, parse_keys

DEFAULT_ORG_FILE = Path(__file__).resolve().parents[2] / "config" / "organisation.toml"


class ConfigError(Exception):
    """Bad or missing configuration; the message names the setting."""


class College(BaseModel):
    code: str
    name_zh: str
    name_en: str


class Category(BaseModel):
    code: str
    name_zh: str
    name_en: str
    sensitive: bool = False
    # Working days; None takes the organisation's [deadlines].
    first_response_days: float | None = None
    answer_days: float | None = None
    department_days: float | None = None
    # False: a department's answer on a case of this category reaches the student without the
    # officers' review.
    review: bool = True


class Department(BaseModel):
    code: str
    name_zh: str
    name_en: str
    # False: this department's answers reach the student without the officers' review.
    review: bool = True


class Deadlines(BaseModel):
    """Working days: to the first response, to the answer, and the department's leg (转办→答复)."""

    first_response_days: float = Field(default=2, gt=0)
    answer_days: float = Field(default=15, gt=0)
    department_days: float = Field(default=10, gt=0)


def _expand_days(values: Any) -> Any:
    """ "2026-10-01..2026-10-07" stands for every day of the range, both ends included."""
    if not isinstance(values, list):
        return values
    days: list[date] = []
    for value in values:
        if isinstance(value, date):
            days.append(value)
            continue
        first, _, last = str(value).partition("..")
        start = date.fromisoformat(first.strip())
        end = date.fromisoformat(last.strip()) if last else start
        if end < start:
            raise ValueError(f"{value!r}: the range ends before it starts")
        days += [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return days


class Semester(BaseModel):
    code: str = Field(pattern=r"^\d{4}-(spring|fall)$")
    start: date
    end: date


class CalendarConfig(BaseModel):
    """Days off besides weekends, weekend days worked instead (调休), and semester dates."""

    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)
    semesters: list[Semester] = Field(default_factory=list)

    _expand = field_validator("holidays", "workdays", mode="before")(_expand_days)


class PrivacyConfig(BaseModel):
    # Raise it whenever what the privacy notice says changes: every student who agreed to an
    # earlier version is asked again on their next message.
    notice_version: str = "2026-12"


class Organisation(BaseModel):
    name_zh: str
    name_en: str
    internal_marker: str = "#内部"
    colleges: list[College]
    categories: list[Category]
    departments: list[Department]
    deadlines: Deadlines = Deadlines()
    calendar: CalendarConfig = CalendarConfig()
    privacy: PrivacyConfig = PrivacyConfig()

    @model_validator(mode="after")
    def _unique_codes(self) -> Organisation:
        for label, items in (
            ("colleges", self.colleges),
            ("categories", self.categories),
            ("departments", self.departments),
        ):
            if not items:
                raise ValueError(f"{label}: at least one entry is required")
            codes = [item.code for item in items]
            repeated = next((code for code in codes if codes.count(code) > 1), None)
            if repeated is not None:
                raise ValueError(f"{label}: duplicate code {repeated!r}")
        return self

    def college(self, code: str | None) -> College | None:
        return next((c for c in self.colleges if c.code == code), None)

    def category(self, code: str | None) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    def department(self, code: str | None) -> Department | None:
        return next((d for d in self.departments if d.code == code), None)


def _split_ids(value: Any) -> Any:
    if isinstance(value, str):
        return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: str = ""
    telegram_api_base: str | None = None
    # Where the bot's requests to Telegram go through: http://, https://, socks4:// or socks5://.
    telegram_proxy: str | None = None
    database_url: str = "sqlite+aiosqlite:///data/studentvoice.db"
    redis_url: str | None = None
    officers_chat_id: int | None = None
    committee_chat_id: int | None = None
    sensitive_chat_id: int | None = None
    # A public channel with one post per registered proposal, edited as it moves on.
    public_channel_id: int | None = None
    # For invite and co-signing links (t.me/<bot>?start=…) made outside the running bot.
    bot_username: str | None = None
    group_locale: str = "zh_Hans"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Asia/Shanghai"
    organisation_file: Path = DEFAULT_ORG_FILE
    reminder_time: time = time(9, 0)
    # When the weekly digest goes to the committee: a weekday and a local time.
    digest_schedule: str = "mon 09:00"
    # Background jobs (reminders, digest); tests turn them off to keep other chats quiet.
    scheduler_enabled: bool = True
    scheduler_tick_seconds: float = Field(default=60, gt=0)
    # Telegram's flood limits (raise them only for a Bot API server that allows more): all
    # chats together per second; one chat per second, with bursts of a few; one group per minute.
    delivery_global_per_second: float = Field(default=30, gt=0)
    delivery_chat_per_second: float = Field(default=1, gt=0)
    delivery_chat_burst: int = Field(default=3, ge=1)
    delivery_group_per_minute: float = Field(default=20, gt=0)
    # How long a claimed row stays claimed without a heartbeat before another instance (or a
    # restart) takes it back; and how long a send may take before it counts as failed.
    delivery_lease_seconds: float = Field(default=15, gt=0)
    delivery_request_timeout: float = Field(default=30, gt=0)
    # Processes beside the bot that lay out PDF documents (the 转办单) when they are sent; 0: a
    # thread of the bot's own process does it (one core, or a process limit).
    document_workers: int = Field(default=1, ge=0)
    # Someone whose update waits this long (the database away) is told it arrived.
    inbox_notice_seconds: float = Field(default=5, gt=0)
    # On SIGTERM, updates being handled get this long to finish; the rest wait in the inbox.
    shutdown_grace_seconds: float = Field(default=10, gt=0)
    # Exception messages (which can quote what a person sent) in log lines, for debugging.
    log_personal_data: bool = False
    # Log lines as JSON (for a collector) or text (for a person); `auto`: text when stderr is a
    # terminal, JSON when it is not (a service, a container).
    log_format: Literal["auto", "json", "text"] = "auto"
    # How long a message that fails for a passing reason (network, timeouts, 5xx) is tried
    # again, ever less often (every ten minutes at most), before it is given up.
    delivery_retry_hours: float = Field(default=24, gt=0)
    # How long a text an officer was asked for (an answer, a reason) is awaited, and how long
    # its preview may wait for 发送, before it lapses and nothing is sent.
    pending_input_minutes: int = Field(default=30, gt=0)
    # What one student may send (0: no limit): new cases in any 24 hours, and messages (and
    # button presses) to the bot in a minute; past the latter, one notice a minute.
    limit_submissions_per_day: int = Field(default=5, ge=0)
    limit_messages_per_minute: int = Field(default=30, ge=0)
    # Personal data of a case finished longer ago than this is purged (`bot.privacy.retention`);
    # the privacy notice states the same number.
    retention_days: int = Field(default=365, gt=0)
    # Where `run` serves /healthz and /metrics (host:port); empty: no HTTP server. Local by
    # default: the metrics are for a scraper on the same host or network, not the internet.
    http_listen: str = "127.0.0.1:8080"
    # `studentvoice webhook`: the public base URL Telegram posts to (WEBHOOK_URL + WEBHOOK_PATH),
    # the address the server listens on behind the reverse proxy, and the secret Telegram sends
    # back in every request's header.
    webhook_url: str | None = None
    # The public board (/board on the HTTP server above, or on the webhook's): read-only pages
    # of the registered proposals; and its public base URL (…/board), for links to it from the
    # channel posts and the bot. Off by default: HTTP_LISTEN is local unless opened on purpose.
    board_enabled: bool = False
    board_url: str | None = None
    webhook_path: str = "/telegram/webhook"
    webhook_listen: str = "0.0.0.0:8080"
    webhook_secret: str | None = None
    # Seals who wrote an anonymous case (`bot.core.sealing`): keys newest first, comma-separated,
    # made by `studentvoice keys new`. Unset: a key kept in IDENTITY_KEY_FILE, made on the first
    # start, which suits one machine; several instances must share IDENTITY_KEY.
    identity_key: SecretStr | None = None
    identity_key_file: Path = Path("data/identity.key")

    _split_admins = field_validator("admin_ids", mode="before")(_split_ids)

    @field_validator("identity_key")
    @classmethod
    def _usable_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip():
            IdentitySeal(parse_keys(value.get_secret_value()))
            return value
        return None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("telegram_proxy")
    @classmethod
    def _proxy_scheme(cls, value: str | None) -> str | None:
        if value and value.split("://", 1)[0].lower() not in PROXY_SCHEMES:
            raise ValueError(
                f"must start with one of {', '.join(s + '://' for s in PROXY_SCHEMES)}"
            )
        return value or None

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: str | None) -> str | None:
        # What Telegram accepts as a secret_token; anything else fails only at setWebhook.
        if value and not WEBHOOK_SECRET.fullmatch(value):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value or None

    @field_validator("webhook_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with /")
        return value

    @field_validator("digest_schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @field_validator("http_listen", "webhook_listen")
    @classmethod
    def _valid_listen(cls, value: str) -> str:
        if value:
            parse_listen(value)
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


PROXY_SCHEMES = ("http", "https", "socks4", "socks5")
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SCHEDULE = re.compile(r"^\s*([a-z]{3})\w*\s+(\d{1,2}):(\d{2})\s*$", re.IGNORECASE)


def parse_schedule(value: str) -> tuple[int, time]:
    """ "mon 09:00" → (0, 09:00); ValueError naming what is wrong."""
    match = _SCHEDULE.match(value)
    if match is None or match.group(1).lower() not in WEEKDAYS:
        raise ValueError(f"{value!r} is not like 'mon 09:00'")
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise ValueError(f"{value!r}: no such time of day")
    return WEEKDAYS.index(match.group(1).lower()), time(hour, minute)


def parse_listen(value: str) -> tuple[str, int]:
    """ "127.0.0.1:8080" → ("127.0.0.1", 8080); "[::1]:8080" → ("::1", 8080); port 0: any
    free one (tests)."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{value!r} is not like '127.0.0.1:8080'")
    return host.strip("[]") or "0.0.0.0", int(port)


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(part) for part in error["loc"]).upper() or "settings"
        raise ConfigError(f"{name}: {error['msg']}") from exc


def load_organisation(path: Path) -> Organisation:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"ORGANISATION_FILE: {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"ORGANISATION_FILE: {path} is not valid TOML ({exc})") from exc
    try:
        return Organisation.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise ConfigError(f"ORGANISATION_FILE {path}: {where}: {error['msg']}") from exc
