"""Every text a person reads is in both catalogs, translated, with the same placeholders."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from bot.core.i18n import LOCALES, LOCALES_DIR
from bot.devkit.catalogs import extract

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
TAG = re.compile(r"</?[a-z]+")


def extracted() -> set[str]:
    return {m.id[0] if isinstance(m.id, tuple) else m.id for m in extract() if m.id}


def catalog(locale: str) -> dict[str, list[str]]:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        parsed = read_po(po)
    out: dict[str, list[str]] = {}
    for message in parsed:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = list(message.string) if isinstance(message.string, tuple) else [message.string]
        # gettext ignores fuzzy entries at run time, so they count as untranslated.
        out[key] = [] if message.fuzzy else strings
    return out


@pytest.fixture(scope="module")
def source_ids() -> set[str]:
    return extracted()


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_holds_exactly_the_strings_in_the_code(locale: str, source_ids: set[str]) -> None:
    ids = set(catalog(locale))
    assert not sorted(source_ids - ids), f"missing from {locale}: run the catalog update"
    assert not sorted(ids - source_ids), f"obsolete in {locale}"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_string_is_translated_with_its_placeholders(locale: str) -> None:
    for msgid, strings in catalog(locale).items():
        assert strings and all(strings), f"{locale}: untranslated or fuzzy {msgid!r}"
        for text in strings:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(msgid)), msgid
            assert sorted(TAG.findall(text)) == sorted(TAG.findall(msgid)), msgid


def test_chinese_is_really_chinese() -> None:
    zh = catalog("zh_Hans")
    han = re.compile(r"[\u4e00-\u9fff]")
    # Names, commands and symbols may stay as they are; prose must not.
    untranslated = [m for m, s in zh.items() if len(m) > 12 and not han.search(s[0])]
    assert not untranslated
