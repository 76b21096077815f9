from __future__ import annotations

from typing import Any

from aiogram.types import Message


def attachment_of(message: Message) -> dict[str, Any]:
    """The stored form of a photo (its largest size) or a document."""
    if message.photo:
        photo = message.photo[-1]
        return {
            "kind": "photo",
            "file_id": photo.file_id,
            "file_unique_id": photo.file_unique_id,
            "file_name": None,
        }
    assert message.document is not None
    doc = message.document
    return {
        "kind": "document",
        "file_id": doc.file_id,
        "file_unique_id": doc.file_unique_id,
        "file_name": doc.file_name,
    }
