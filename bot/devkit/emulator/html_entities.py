"""Telegram's HTML parse mode, ported from tdlib's ``parse_html`` so errors match byte for byte.

Telegram reports positions as UTF-8 byte offsets into the original text and entity offsets in
UTF-16 code units; both are reproduced here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MAX_CODE_POINT = 0x10FFFF


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; ``reason`` is tdlib's wording."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ParsedText:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    out_index: int
    expandable: bool = False


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def _is_space(ch: str) -> bool:
    # tdlib's is_space: only ASCII whitespace counts, not e.g. U+00A0.
    return ch in " \t\r\n\f\v"


def _is_name_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in ".-")


def _decode_entity(text: str, pos: int) -> tuple[str | None, int]:
    """Decode an HTML entity at ``pos`` (which holds '&').

    Like tdlib, the trailing ';' is optional and unknown names are not an error: the caller
    then keeps the '&' as a literal character.
    """
    n = len(text)
    end = pos + 1
    code = 0
    if end < n and text[end] == "#":
        end += 1
        if end < n and text[end] == "x":
            end += 1
            while end < n and text[end] in "0123456789abcdefABCDEF" and text[end].isascii():
                code = code * 16 + int(text[end], 16)
                end += 1
                if code >= _MAX_CODE_POINT:
                    return None, pos
        else:
            while end < n and text[end].isascii() and text[end].isdigit():
                code = code * 10 + int(text[end])
                end += 1
                if code >= _MAX_CODE_POINT:
                    return None, pos
        if code == 0 or end - pos >= 10 or 0xD800 <= code <= 0xDFFF:
            return None, pos
        decoded = chr(code)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(text[pos + 1 : end])
        if named is None:
            return None, pos
        decoded = named
    if end < n and text[end] == ";":
        end += 1
    return decoded, end


class _HtmlParser:
    def __init__(self, text: str) -> None:
        self.src = text
        self.n = len(text)
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, pos: int) -> int:
        return len(self.src[:pos].encode("utf-8", errors="surrogatepass"))

    def at(self, i: int) -> str:
        return self.src[i] if i < self.n else ""

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.utf16 += utf16_len(chunk)

    def parse(self) -> ParsedText:
        i = 0
        while i < self.n:
            ch = self.src[i]
            if ch == "&":
                decoded, after = _decode_entity(self.src, i)
                if decoded is not None:
                    self.emit(decoded)
                    i = after
                    continue
            if ch != "<":
                self.emit(ch)
                i += 1
                continue
            i = self.end_tag(i) if self.at(i + 1) == "/" else self.start_tag(i)
        if self.stack:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.out), self.entities)

    def skip_spaces(self, i: int) -> int:
        while i < self.n and _is_space(self.src[i]):
            i += 1
        return i

    def start_tag(self, begin: int) -> int:
        offset = self.byte_offset(begin)
        i = begin + 1
        while i < self.n and not _is_space(self.src[i]) and self.src[i] != ">":
            i += 1
        if i >= self.n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
        tag = self.src[begin + 1 : i].lower()
        if tag not in ALLOWED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {offset}')
        argument = ""
        expandable = False
        while self.at(i) != ">":
            i = self.skip_spaces(i)
            if i >= self.n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
            if self.src[i] == ">":
                break
            name_begin = i
            while i < self.n and not _is_space(self.src[i]) and self.src[i] not in "=>":
                i += 1
            name = self.src[name_begin:i]
            if not name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {offset}'
                )
            i = self.skip_spaces(i)
            if self.at(i) != "=":
                if tag == "blockquote" and name == "expandable":
                    expandable = True
                    continue
                if i >= self.n:
                    raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {offset}')
                raise HtmlParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {offset}'
                )
            i = self.skip_spaces(i + 1)
            if i >= self.n:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {offset}')
            value, i = self.attribute_value(i)
            if i >= self.n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
            argument = self.apply_attribute(tag, name, value, argument)
        if tag == "span" and argument != "spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        self.stack.append(_OpenTag(tag, argument, self.utf16, len(self.out), expandable))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        quote = self.src[i]
        if quote not in "'\"":
            token_begin = i
            while i < self.n and _is_name_char(self.src[i]):
                i += 1
            if i < self.n and not _is_space(self.src[i]) and self.src[i] != ">":
                raise HtmlParseError(
                    f"Unexpected end of name token at byte offset {self.byte_offset(token_begin)}"
                )
            return self.src[token_begin:i].lower(), i
        i += 1
        chars: list[str] = []
        while i < self.n and self.src[i] != quote:
            if self.src[i] == "&":
                decoded, after = _decode_entity(self.src, i)
                if decoded is not None:
                    chars.append(decoded)
                    i = after
                    continue
            chars.append(self.src[i])
            i += 1
        if i < self.n:
            i += 1
        return "".join(chars), i

    @staticmethod
    def apply_attribute(tag: str, name: str, value: str, current: str) -> str:
        if tag == "a" and name == "href":
            return value
        if tag == "code" and name == "class" and value.startswith("language-"):
            return value[len("language-") :]
        if tag == "span" and name == "class" and value.startswith("tg-"):
            return value[len("tg-") :]
        if tag == "tg-emoji" and name == "emoji-id":
            return value
        return current

    def end_tag(self, begin: int) -> int:
        offset = self.byte_offset(begin)
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {offset}")
        i = begin + 2
        while i < self.n and not _is_space(self.src[i]) and self.src[i] != ">":
            i += 1
        end_name = self.src[begin + 2 : i]
        i = self.skip_spaces(i)
        if self.at(i) != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {offset}")
        opened = self.stack.pop()
        if end_name and end_name != opened.name:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {offset}, expected "</{opened.name}>", '
                f'found "</{end_name}>"'
            )
        self.close_entity(opened)
        return i + 1

    def close_entity(self, tag: _OpenTag) -> None:
        length = self.utf16 - tag.utf16_offset
        entity: dict[str, Any] = {"offset": tag.utf16_offset, "length": length}
        if tag.name == "tg-emoji":
            if not tag.argument.isdigit() or int(tag.argument) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=tag.argument)
        elif tag.name == "a":
            url = tag.argument or "".join(self.out[tag.out_index :])
            if not _looks_like_url(url):
                return  # Telegram silently drops links it can't use
            entity.update(type="text_link", url=url)
        elif tag.name == "blockquote":
            entity["type"] = "expandable_blockquote" if tag.expandable else "blockquote"
        elif tag.name == "pre":
            entity["type"] = "pre"
            inner = self.entities[-1] if self.entities else None
            if (
                inner is not None
                and inner["type"] == "code"
                and inner.get("language")
                and inner["offset"] == entity["offset"]
                and inner["length"] == length
            ):
                self.entities.pop()
                entity["language"] = inner["language"]
        else:
            entity["type"] = _ENTITY_TYPES[tag.name]
            if tag.name == "code" and tag.argument:
                entity["language"] = tag.argument
        if length > 0:
            self.entities.append(entity)


def _looks_like_url(url: str) -> bool:
    url = url.strip()
    if not url or any(_is_space(c) for c in url):
        return False
    lowered = url.lower()
    if lowered.startswith(("http://", "https://", "tg://", "ton://")):
        return True
    return "." in url and "://" not in url


def parse_html(text: str) -> ParsedText:
    """Parse Telegram HTML into plain text plus Bot API ``MessageEntity`` dicts.

    Raises ``HtmlParseError`` with the reason Telegram puts after "can't parse entities: ".
    """
    return _HtmlParser(text).parse()


def trim_parsed(parsed: ParsedText) -> ParsedText:
    """Strip surrounding whitespace the way Telegram does, keeping entity offsets valid."""
    text = parsed.text
    stripped_left = text.lstrip()
    shift = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip()
    total = utf16_len(result)
    entities: list[dict[str, Any]] = []
    for entity in parsed.entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(result, entities)
