from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.config import Organisation, Settings, load_organisation
from bot.core.render import Renderer, Translate
from bot.core.sealing import IdentitySeal, load_seal
from bot.core.statutory import StatutoryHolidays
from storage.models import User
from storage.types import utcnow


@dataclass
class Services:
    """What the domain services need from the outside, passed in rather than imported."""

    settings: Settings
    org: Organisation
    renderer: Renderer
    # From the settings unless given: see `sealer`.
    seal: IdentitySeal | None = None
    clock: Callable[[], datetime] = field(default=utcnow)
    group_locale: str = "zh_Hans"
    # Lives as long as the services so each year is looked up, and logged, once.
    statutory: StatutoryHolidays = field(default_factory=StatutoryHolidays)

    @classmethod
    def for_settings(cls, settings: Settings, org: Organisation | None = None) -> Services:
        """The services of a running bot or a command: the organisation (read from its file
        unless given), its templates and catalogs in a renderer."""
        org = org or load_organisation(settings.organisation_file)
        return cls(
            settings=settings,
            org=org,
            renderer=Renderer(org, settings.tz),
            group_locale=settings.group_locale,
        )

    @property
    def sealer(self) -> IdentitySeal:
        """Made on first use: commands that never touch an anonymous author (a digest sent
        from the command line) neither need the key nor make its file."""
        if self.seal is None:
            key = self.settings.identity_key
            self.seal = load_seal(
                key.get_secret_value() if key else None, self.settings.identity_key_file
            )
        return self.seal

    def now(self) -> datetime:
        return self.clock()


@dataclass(frozen=True, slots=True)
class Turn:
    """One update's handling as a handler sees it, made once per update by
    `bot.app.middlewares.UserMiddleware`: its transaction, who sent it with which roles, their
    language and its translator, and the services."""

    session: AsyncSession
    services: Services
    locale: str
    translate: Translate
    user: User | None = None
    roles: frozenset[str] = frozenset()

    @property
    def sender(self) -> User:
        """The sender's profile, which every handler of a person's message or press has."""
        assert self.user is not None, "a person's handler reached without a person"
        return self.user

    def render(self, template: str, **context: Any) -> str:
        """A template in the sender's language."""
        return self.services.renderer.render(self.locale, template, **context)

    def speaking(self, locale: str) -> Turn:
        """The rest of the turn in the language the person has just chosen."""
        return replace(self, locale=locale, translate=self.services.renderer.translator(locale))
