"""Admins: chats and roles, and what the bot hears of its own membership of chats."""
