"""`studentvoice catalogs`: re-extract the texts and update both catalogs.

English texts are the message ids, so the English catalog is filled from them; Chinese entries
that are new or changed are listed for a translator and left empty (the tests then fail until
they are translated, so nothing ships half-translated).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.core.i18n import DOMAIN, LOCALES_DIR

ROOT = Path(__file__).resolve().parents[2]
METHODS = [
    ("bot/**.py", "python"),
    ("handlers/**.py", "python"),
    ("templates/messages/**.html", "jinja2"),
]
OPTIONS = {"templates/messages/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def extract(root: Path = ROOT) -> Catalog:
    template = Catalog(project="StudentVoice", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root), METHODS, OPTIONS, KEYWORDS
    ):
        if message:
            template.add(
                message, None, [(filename, lineno)], auto_comments=comments, context=context
            )
    return template


def update(root: Path = ROOT) -> dict[str, list[str]]:
    """Bring both catalogs in line with the code; the ids each still needs translated."""
    template = extract(root)
    pending: dict[str, list[str]] = {}
    for locale in ("zh_Hans", "en"):
        path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        with path.open("rb") as po:
            catalog = read_po(po, locale=locale.replace("_Hans", ""))
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        for message in catalog:
            if not message.id:
                continue
            if locale == "en":
                message.string = message.id
                message.flags.discard("fuzzy")
            elif message.fuzzy or not _translated(message.string):
                pending.setdefault(locale, []).append(str(message.id))
        with path.open("wb") as po:
            write_po(po, catalog, sort_by_file=True, omit_header=False, include_previous=False)
    return pending


def _translated(string: str | tuple[str, ...] | list[str] | None) -> bool:
    if isinstance(string, str):
        return bool(string)
    return bool(string) and all(string or ())


def main() -> int:
    pending = update()
    for locale, ids in pending.items():
        print(f"{locale}: {len(ids)} to translate")
        for msgid in ids:
            print(f"  {msgid!r}")
    return 0
