"""The delivery engine: outbox rows to Bot API calls, within Telegram's limits, by urgency.

`worker` claims and sends; `gate` and `limiter` keep the limits (shared through Redis when
several instances run); `kinds` turns each kind of row into calls; `batching` keeps the
officers' group readable under load; `ledger` writes down what happened.
"""
