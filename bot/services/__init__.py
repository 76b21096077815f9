"""Domain services: the case workflow applied to storage, with the notifications it causes."""
