"""Sealed identities: who wrote an anonymous case, kept so that the database alone cannot tell.

A sealed value is a Fernet token (AES-128-CBC with HMAC-SHA256) under IDENTITY_KEY; only code
holding the key opens it. A tag is a keyed HMAC of an id, equal for equal ids: it finds a
person's rows (their own anonymous cases, their messages' links) without saying whose they are.
IDENTITY_KEY lists keys newest first: values are sealed under the first and opened under any,
so a new key can be put in front and `studentvoice keys rotate` re-seals what the old one sealed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)

_TAG_CONTEXT = b"studentvoice identity tag v1"


class SealError(Exception):
    """A sealed value that none of the keys opens (a wrong or missing IDENTITY_KEY)."""


class IdentitySeal:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one identity key is needed")
        try:
            fernets = [Fernet(key.strip().encode()) for key in keys]
        except ValueError as exc:
            raise ValueError(f"not a key made by `studentvoice keys new`: {exc}") from exc
        self._newest = fernets[0]
        self._fernet = MultiFernet(fernets)
        self._tag_keys = [
            hmac.new(base64.urlsafe_b64decode(key.strip()), _TAG_CONTEXT, hashlib.sha256).digest()
            for key in keys
        ]

    def seal(self, person_id: int) -> str:
        return self._fernet.encrypt(str(person_id).encode()).decode()

    def open(self, sealed: str) -> int:
        try:
            return int(self._fernet.decrypt(sealed.encode()))
        except (InvalidToken, ValueError) as exc:
            raise SealError("no identity key opens this value") from exc

    def seal_text(self, text: str) -> str:
        """Any text (a conversation's data) sealed like an id."""
        return self._fernet.encrypt(text.encode()).decode()

    def open_text(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise SealError("no identity key opens this value") from exc

    def is_current(self, sealed: str) -> bool:
        """Whether the value is sealed under the newest key (nothing for a rotation to do)."""
        try:
            self._newest.decrypt(sealed.encode())
        except InvalidToken:
            return False
        return True

    def reseal(self, sealed: str) -> str:
        """The same value sealed under the newest key."""
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken as exc:
            raise SealError("no identity key opens this value") from exc

    def tag(self, person_id: int) -> str:
        """The tag under the newest key, the one to store."""
        return _tag(self._tag_keys[0], person_id)

    def tags(self, person_id: int) -> list[str]:
        """The tags under every key, to find rows stored before the newest key came."""
        return [_tag(key, person_id) for key in self._tag_keys]

    def pseudonym(self, person_id: int) -> int:
        """A stand-in number for a person's chat where a number is stored (message links):
        negative and below every real chat id Telegram gives (groups are -100…, 13 digits)."""
        return _pseudonym(self._tag_keys[0], person_id)

    def pseudonyms(self, person_id: int) -> list[int]:
        """The stand-ins under every key, to find what was stored before the newest key came."""
        return [_pseudonym(key, person_id) for key in self._tag_keys]


def _pseudonym(key: bytes, person_id: int) -> int:
    digest = hmac.new(key, str(person_id).encode(), hashlib.sha256).digest()
    return -(10**15) - int.from_bytes(digest[:6], "big")


def _tag(key: bytes, person_id: int) -> str:
    return hmac.new(key, str(person_id).encode(), hashlib.sha256).hexdigest()[:32]


def new_key() -> str:
    return Fernet.generate_key().decode()


def parse_keys(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


def load_seal(key_setting: str | None, key_file: Path) -> IdentitySeal:
    """IDENTITY_KEY if set; otherwise the key kept in a file beside the data, made on the first
    start. A key in a file is for one machine: several instances must share IDENTITY_KEY."""
    if key_setting:
        return IdentitySeal(parse_keys(key_setting))
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(new_key() + "\n")
        log.warning(
            "IDENTITY_KEY is not set: made a new key in %s; keep a copy apart from the "
            "database's backups, or anonymous cases cannot reach their authors after a restore",
            key_file,
        )
    return IdentitySeal(parse_keys(key_file.read_text()))
