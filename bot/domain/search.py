"""What an officer's `/find` asks for: the words to look for and the filters
(`state:…`, `category:…`, `college:…`, `level:…`, or 状态 / 类别 / 学院 / 级别), read from the
command's text.
Knows nothing of the organisation: the filters' values are resolved by the caller."""

from __future__ import annotations

from dataclasses import dataclass, field

FILTER_KEYS = {
    "state": "state",
    "状态": "state",
    "category": "category",
    "类别": "category",
    "分类": "category",
    "college": "college",
    "学院": "college",
    "level": "level",
    "级别": "level",
    "层级": "level",
}


@dataclass(frozen=True)
class SearchRequest:
    terms: tuple[str, ...] = ()
    filters: dict[str, str] = field(default_factory=dict)
    # Words were given, but nothing in them can be searched for (punctuation only).
    only_punctuation: bool = False
    # `key:value` with a key that is no filter.
    unknown: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.terms and not self.filters and not self.unknown


def parse(text: str) -> SearchRequest:
    """Words are split at whitespace and at every character that is neither a letter nor a
    digit (Chinese characters are letters), so `宿舍，空调` looks for both words."""
    terms: list[str] = []
    filters: dict[str, str] = {}
    unknown: list[str] = []
    words_given = False
    for token in text.replace("：", ":").split():
        key, colon, value = token.partition(":")
        if colon and key.lower() in FILTER_KEYS and value:
            filters[FILTER_KEYS[key.lower()]] = value
            continue
        if colon and value and key.isascii() and key.isalpha():
            unknown.append(token)
            continue
        words_given = True
        cleaned = "".join(ch if ch.isalnum() else " " for ch in token)
        terms += [word for word in cleaned.split() if word not in terms]
    return SearchRequest(
        tuple(terms), filters, only_punctuation=words_given and not terms, unknown=tuple(unknown)
    )
