"""The CJK font the digest's chart and the 转办单 PDF draw with: Noto Sans CJK SC, which comes
with the project's dependencies (the mplfonts package), loaded by path, so that nothing is fetched
at run time and the output looks the same on every machine, whatever fonts the system has."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import stat
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

# The Dockerfile keeps only this file of mplfonts' fonts (tests/tooling/test_deploy.py).
FONT_FILE = "NotoSansCJKsc-Regular.otf"


class FontMissing(RuntimeError):
    """The CJK font is not installed (the mplfonts package is missing)."""


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    # find_spec locates the package without importing it (its import would set rcParams).
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise FontMissing("the mplfonts package (Noto Sans CJK SC) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / FONT_FILE
    if not path.is_file():
        raise FontMissing(f"{path} is missing")
    return path


# The characters a letter almost always stays within: GB2312 (its 6,763 hanzi and its symbols,
# kana, Greek and Cyrillic), Latin-1, and the punctuation and full-width forms around them.
_COMMON_BLOCKS = (
    range(0x20, 0x7F),
    range(0xA0, 0x100),
    range(0x2000, 0x2070),
    range(0x3000, 0x3040),
    range(0xFF00, 0xFFF0),
)
_common_lock = threading.Lock()


def _gb2312() -> set[int]:
    chars = set()
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((first, second)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


@dataclass(frozen=True)
class CommonFont:
    """The CJK font cut down to the common characters (about 7,800 glyphs of 65,535), for
    documents laid out with fpdf2: it parses and subsets in a fraction of the whole font's time.
    `covers` says whether a text can use it: every character either in it or in neither."""

    path: Path
    chars: frozenset[int]
    full_chars: frozenset[int]

    def covers(self, text: str) -> bool:
        return all(
            ord(char) in self.chars or ord(char) not in self.full_chars for char in set(text)
        )


def common_cjk_font() -> CommonFont | None:
    """Built once per machine (a few seconds of font work, in the caller's thread) into a
    directory of this user's own under the system's temporary one, and reused by every process
    after; None when it cannot be kept there (documents then use the whole font)."""
    with _common_lock:
        return _build_common_font()


@lru_cache(maxsize=1)
def _build_common_font() -> CommonFont | None:
    import fontTools
    from fontTools import subset
    from fontTools.ttLib import TTFont

    source = cjk_font_path()
    info = source.stat()
    wanted = {c for block in _COMMON_BLOCKS for c in block} | _gb2312()
    key = hashlib.sha256(
        f"{info.st_size}:{info.st_mtime_ns}:{fontTools.version}:{sorted(wanted)}".encode()
    ).hexdigest()[:16]
    directory = _private_directory()
    if directory is None:
        return None
    target = directory / f"cjk-common-{key}.otf"
    with TTFont(source, lazy=True) as full:
        full_chars = frozenset(full.getBestCmap())
        if not target.is_file():
            options = subset.Options(notdef_outline=True, recommended_glyphs=True)
            options.layout_features = []
            options.drop_tables += ["GSUB", "GPOS", "GDEF"]
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=wanted & full_chars)
            subsetter.subset(full)
            partial = directory / f".{target.name}.{os.getpid()}"
            try:
                full.save(str(partial))
                os.replace(partial, target)
            except OSError:
                partial.unlink(missing_ok=True)
                return None
    try:
        with TTFont(target, lazy=True) as common:
            chars = frozenset(common.getBestCmap())
    except Exception:  # unreadable (a disk fault): the whole font will do
        log.warning("the common CJK font %s cannot be read; letters use the whole font", target)
        return None
    return CommonFont(path=target, chars=chars, full_chars=full_chars)


def _private_directory() -> Path | None:
    """A directory only this user can write to: a font planted by someone else is never read."""
    directory = Path(tempfile.gettempdir()) / f"studentvoice-fonts-{os.getuid()}"
    try:
        directory.mkdir(mode=0o700, exist_ok=True)
        info = directory.lstat()
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return directory
