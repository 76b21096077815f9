"""Department liaisons' private chats: answering the proposals assigned to their department."""
