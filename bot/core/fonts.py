"""The CJK font the digest's chart and the 转办单 PDF draw with: Noto Sans CJK SC, which comes
with the project's dependencies (the mplfonts package), loaded by path, so that nothing is fetched
at run time and the output looks the same on every machine, whatever fonts the system has."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

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
