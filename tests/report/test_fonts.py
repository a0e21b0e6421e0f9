"""Figures render Chinese: every plot module gets matplotlib through `pipeline.report.fonts`,
which puts an installed CJK font (Debian's fonts-noto-cjk, from scripts/setup.sh) behind
DejaVu Sans; a Chinese label then draws with real glyphs, not boxes."""

import io
import warnings
from pathlib import Path

import pytest

from pipeline.evaluate.plots import write_plots
from pipeline.report.fonts import CJK_FAMILIES, LATIN_FAMILY, configure_fonts, pyplot
from pipeline.report.plots import leading_verbs_bar, rejection_reasons_bar

LABELS = ["重复指令", "拒绝回答", "语言不符"]


@pytest.fixture(scope="module")
def cjk_family() -> str:
    family = configure_fonts()
    assert family in CJK_FAMILIES, "no CJK font installed: run scripts/setup.sh (Debian fonts-noto-cjk)"
    return family


def missing_glyph_warnings(draw) -> list[str]:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if "missing from" in str(w.message)]


def test_the_font_used_for_chinese_has_its_glyphs(cjk_family: str) -> None:
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    assert matplotlib.rcParams["font.family"] == [LATIN_FAMILY, cjk_family]
    path = font_manager.findfont(font_manager.FontProperties(family=cjk_family), fallback_to_default=False)
    font = FT2Font(path)
    assert all(font.get_char_index(ord(char)) for char in "".join(LABELS))
    latin = FT2Font(font_manager.findfont(font_manager.FontProperties(family=LATIN_FAMILY)))
    assert not latin.get_char_index(ord("重"))  # why the fallback is needed


def test_a_plot_with_chinese_labels_has_no_missing_glyphs(cjk_family: str, tmp_path: Path) -> None:
    plt = pyplot()

    def draw() -> None:
        fig, ax = plt.subplots()
        ax.set_title("拒绝原因 (rejections)")
        ax.barh(LABELS, [3, 2, 1])
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)

    assert missing_glyph_warnings(draw) == []
    assert (
        missing_glyph_warnings(lambda: rejection_reasons_bar(dict(zip(LABELS, [3, 2, 1], strict=True)))) == []
    )
    assert missing_glyph_warnings(lambda: leading_verbs_bar(["写一首关于秋天的诗。", "解释光合作用。"])) == []


def test_evaluation_plots_with_chinese_categories(cjk_family: str, tmp_path: Path) -> None:
    scores = {"rouge_l": 0.4, "semantic": 0.7, "judge": 0.6}
    pair = {"judged": 4, "wins": 2, "ties": 1, "losses": 1, "win_rate": 0.625, "ci95": [0.3, 0.86]}
    category = {"base": scores, "tuned": scores, "pairwise": pair}
    report = {"by_category": {"开放问答": category, "诗歌": category}, "overall": {"pairwise": pair}}
    made: list[Path] = []
    assert missing_glyph_warnings(lambda: made.extend(write_plots(report, tmp_path))) == []
    assert {p.name for p in made} == {"scores_by_category.png", "pairwise.png"}
