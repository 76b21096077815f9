"""A local fake Telegram Bot API server for end-to-end tests, demos and benchmarks.

The real aiogram ``Bot`` and ``Dispatcher`` talk to it over HTTP exactly as to Telegram::

    async with BotAPIEmulator() as emu:
        bot = emu.create_bot()
        alice = emu.add_user(1001, "Alice", username="alice")
        await alice.send("/start")
"""

from .actors import SimGroup, SimUser
from .emulator import BotAPIEmulator
from .errors import TelegramError
from .faults import Policies, RandomFaults
from .html_entities import HtmlParseError, ParsedText, parse_html
from .limits import StrictLimits
from .models import (
    TOPIC_ICON_COLORS,
    RecordedRequest,
    SimChat,
    SimMessage,
    SimTopic,
    TranscriptEntry,
    UserProfile,
)
from .policy import FaultPolicy, Injection, NoopPolicy, Policy

__all__ = [
    "TOPIC_ICON_COLORS",
    "BotAPIEmulator",
    "FaultPolicy",
    "HtmlParseError",
    "Injection",
    "NoopPolicy",
    "ParsedText",
    "Policies",
    "Policy",
    "RandomFaults",
    "RecordedRequest",
    "SimChat",
    "SimGroup",
    "SimMessage",
    "SimTopic",
    "SimUser",
    "StrictLimits",
    "TelegramError",
    "TranscriptEntry",
    "UserProfile",
    "parse_html",
]
