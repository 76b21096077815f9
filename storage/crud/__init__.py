"""Data access: async functions, keyword-only `session`, no Telegram."""
