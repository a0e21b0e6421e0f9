"""The one way figures get matplotlib: the Agg backend, and a CJK-capable font behind the default.

matplotlib's bundled DejaVu Sans has no Chinese glyphs: Chinese labels (categories, leading
words, reasons) would render as empty boxes. `pyplot()` sets the font family to DejaVu Sans
followed by an installed CJK font, so Latin text looks as before and each Chinese glyph falls
back to the CJK font. Debian's `fonts-noto-cjk` (installed by scripts/setup.sh) is looked for
first. A font installed after matplotlib cached its font list is not in that list: its file is
added directly. Without any CJK font, figures are drawn as before (Chinese as boxes)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

LATIN_FAMILY = "DejaVu Sans"  # matplotlib's default, bundled with it
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans CJK JP",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
)
# where Debian puts them: fonts-noto-cjk, fonts-wqy-zenhei, fonts-wqy-microhei, fonts-droid-fallback
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def _known_families() -> set[str]:
    from matplotlib import font_manager

    return {font.name for font in font_manager.fontManager.ttflist}


@lru_cache(maxsize=1)
def cjk_font_family() -> str | None:
    """The family of an installed CJK-capable font, or None when there is none."""
    from matplotlib import font_manager

    known = _known_families()
    if not any(family in known for family in CJK_FAMILIES):
        for path in CJK_FONT_FILES:
            if Path(path).is_file():
                font_manager.fontManager.addfont(path)  # every face of a collection
        known = _known_families()
    return next((family for family in CJK_FAMILIES if family in known), None)


@lru_cache(maxsize=1)
def configure_fonts() -> str | None:
    """Once per process: DejaVu Sans, then the CJK font; returns the CJK family used."""
    import matplotlib

    family = cjk_font_family()
    if family is not None:
        matplotlib.rcParams["font.family"] = [LATIN_FAMILY, family]
    return family


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend, fonts configured."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    configure_fonts()
    return plt
