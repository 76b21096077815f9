"""The officers' chats (and the sensitive cases' one): cards, prompts, relayed replies, and the
delivery engine's side of them."""
