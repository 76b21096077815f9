"""Translation catalogs, read from the .po files in templates/locales (no compiled files kept)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("zh_Hans", "en")
DEFAULT_LOCALE = "zh_Hans"
LOCALES_DIR = Path(__file__).resolve().parents[2] / "templates" / "locales"
DOMAIN = "messages"


# Compiled catalogs by .po file and that file's size and modification time: reading a .po file
# with Babel takes a tenth of a second, and every app built in one process (each test builds
# its own) would read both again. An edited file is read again.
_COMPILED: dict[tuple[Path, int, int], bytes] = {}


def load_translations(locale: str, directory: Path = LOCALES_DIR) -> Translations:
    """A fresh `Translations` of the locale's .po file, compiled once per version of the file."""
    path = directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    stat = path.stat()
    key = (path, stat.st_size, stat.st_mtime_ns)
    compiled = _COMPILED.get(key)
    if compiled is None:
        with path.open("rb") as po:
            catalog = read_po(po, locale=locale.replace("_Hans", ""))
        buffer = BytesIO()
        write_mo(buffer, catalog)
        compiled = _COMPILED[key] = buffer.getvalue()
    return Translations(BytesIO(compiled), domain=DOMAIN)


def locale_for(chosen: str | None, language_code: str | None) -> str:
    """The user's own choice wins; until then follow Telegram's language, Chinese by default."""
    if chosen in LOCALES:
        return chosen
    if language_code and language_code.lower().startswith("en"):
        return "en"
    return DEFAULT_LOCALE
