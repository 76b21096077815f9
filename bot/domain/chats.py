"""The chats the bot is bound to, by purpose: the names bindings are stored under."""

OFFICERS, SENSITIVE, COMMITTEE, CHANNEL = "officers", "sensitive", "committee", "channel"
