"""Marking text for translation, so that rules can name what people read without knowing the
catalogs."""


def N_(message: str) -> str:
    """Marks a string for extraction; translated where it is shown."""
    return message
