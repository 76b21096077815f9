"""Reports written to files for people outside the chats (the congress, oversight)."""
