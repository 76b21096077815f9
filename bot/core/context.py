from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.config import Organisation, Settings
from bot.core.render import Renderer
from bot.core.statutory import StatutoryHolidays
from storage.types import utcnow


@dataclass
class Services:
    """What the domain services need from the outside, passed in rather than imported."""

    settings: Settings
    org: Organisation
    renderer: Renderer
    clock: Callable[[], datetime] = field(default=utcnow)
    group_locale: str = "zh_Hans"
    # Lives as long as the services so each year is looked up, and logged, once.
    statutory: StatutoryHolidays = field(default_factory=StatutoryHolidays)

    def now(self) -> datetime:
        return self.clock()
