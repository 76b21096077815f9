"""Files and media payloads: uploads, reused file ids, and the Bot API objects describing them."""

from __future__ import annotations

import mimetypes
from typing import Any

from .errors import bad_request
from .models import FileRecord, UploadedFile
from .world import World

MEDIA_KINDS = ("photo", "video", "document", "audio", "animation", "voice", "sticker")


def resolve_input_file(
    world: World, files: dict[str, UploadedFile], value: Any, kind: str
) -> FileRecord:
    """Turn an ``attach://`` reference, upload field, file id or URL into a stored file."""
    if isinstance(value, UploadedFile):
        return _store_upload(world, value, kind)
    if value is None or value == "":
        raise bad_request(f"there is no {kind} in the request")
    text = str(value)
    if text.startswith("attach://"):
        upload = files.get(text[len("attach://") :])
        if upload is None:
            raise bad_request("can't parse InputMedia: media not found")
        return _store_upload(world, upload, kind)
    return world.file_by_id(text, kind)


def _store_upload(world: World, upload: UploadedFile, kind: str) -> FileRecord:
    if not upload.data:
        raise bad_request("file must be non-empty")
    mime = upload.content_type
    if not mime or mime == "application/octet-stream":
        mime = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
    return world.issue_file(kind, upload.data, file_name=upload.filename, mime_type=mime)


def media_payload(world: World, kind: str, record: FileRecord, **extra: Any) -> dict[str, Any]:
    """The message fields Telegram sets for one piece of media of ``kind``."""
    base: dict[str, Any] = {
        "file_id": record.file_id,
        "file_unique_id": record.file_unique_id,
        "file_size": len(record.data),
    }
    if kind == "photo":
        return {
            "photo": world.photo_sizes(record, extra.get("width", 1280), extra.get("height", 960))
        }
    if kind == "document":
        base["file_name"] = record.file_name or "document"
        base["mime_type"] = record.mime_type or (
            mimetypes.guess_type(base["file_name"])[0] or "application/octet-stream"
        )
    elif kind in ("video", "animation"):
        base.update(width=extra.get("width", 1280), height=extra.get("height", 720))
        base["duration"] = extra.get("duration", 5)
    elif kind in ("audio", "voice"):
        base["duration"] = extra.get("duration", 3)
        base["mime_type"] = "audio/ogg" if kind == "voice" else "audio/mpeg"
    elif kind == "sticker":
        base.update(type="regular", width=512, height=512, is_animated=False, is_video=False)
        base["emoji"] = extra.get("emoji", "👍")
    return {kind: base}
