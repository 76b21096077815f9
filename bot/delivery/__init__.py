"""The delivery engine: outbox rows to Bot API calls, within Telegram's limits, by urgency.

`worker` claims and sends; `gate` and `limiter` keep the limits (shared through Redis when
several instances run); `kinds` turns each kind of row into calls; `batching` keeps the
officers' group readable under load; `ledger` writes down what happened.
"""

from bot.delivery.errors import MissingFile, RecipientUnreachable, attempts_for
from bot.delivery.kinds import build_method
from bot.delivery.sending import Probe
from bot.delivery.worker import DeliveryWorker

__all__ = [
    "DeliveryWorker",
    "MissingFile",
    "Probe",
    "RecipientUnreachable",
    "attempts_for",
    "build_method",
]
