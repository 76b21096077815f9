"""Settings from the environment and the organisation's TOML file."""

from __future__ import annotations

import tomllib
from datetime import time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_ORG_FILE = Path(__file__).resolve().parent.parent / "config" / "organisation.toml"


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
    first_response_hours: int | None = None
    answer_days: int | None = None


class Department(BaseModel):
    code: str
    name_zh: str
    name_en: str


class Deadlines(BaseModel):
    first_response_hours: int = 48
    answer_days: int = 15


class Organisation(BaseModel):
    name_zh: str
    name_en: str
    internal_marker: str = "#内部"
    colleges: list[College]
    categories: list[Category]
    departments: list[Department]
    deadlines: Deadlines = Deadlines()

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
            if len(set(codes)) != len(codes):
                raise ValueError(f"{label}: duplicate code")
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
    database_url: str = "sqlite+aiosqlite:///data/studentvoice.db"
    redis_url: str | None = None
    officers_chat_id: int | None = None
    committee_chat_id: int | None = None
    sensitive_chat_id: int | None = None
    group_locale: str = "zh_Hans"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Asia/Shanghai"
    organisation_file: Path = DEFAULT_ORG_FILE
    reminder_time: time = time(9, 0)

    _split_admins = field_validator("admin_ids", mode="before")(_split_ids)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


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
