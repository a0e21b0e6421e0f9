"""The build report's markdown: the categories table."""

from pipeline.report.markdown import build_section, categories_section


def summary(categories: dict, version_categories: dict) -> dict:
    return {
        "build": "b1",
        "generate": {
            "seeds": 3,
            "requests": 10,
            "llm": {},
            "failures": {},
            "candidates": 6,
            "kept": 4,
            "rejected": 2,
            "categories": categories,
        },
        "dataset": {
            "name": "d",
            "train": 3,
            "heldout": 1,
            "path": "/x",
            "version": 1,
            "categories": version_categories,
        },
    }


def test_the_categories_table_shows_this_build_and_the_version_splits() -> None:
    lines = categories_section(
        {"math": 3, "code": 1}, {"train": {"math": 5, "uncategorized": 2}, "heldout": {"code": 1}}
    )
    assert lines[1:5] == [
        "## Categories",
        "",
        "| category | accepted by this build | train (version) | held-out (version) |",
        "| --- | ---: | ---: | ---: |",
    ]
    assert lines[5:] == [
        "| math | 3 | 5 | 0 |",
        "| code | 1 | 0 | 1 |",
        "| uncategorized | 0 | 2 | 0 |",
    ]
    assert categories_section({}, {}) == []


def test_the_build_report_has_the_table_only_when_there_are_categories() -> None:
    with_categories = build_section(
        summary({"math": 4}, {"train": {"math": 3}, "heldout": {"math": 1}}), [], with_plots=False
    )
    assert "## Categories" in with_categories and "| math | 4 | 3 | 1 |" in with_categories
    assert "## Categories" not in build_section(summary({}, {}), [], with_plots=False)


def test_records_accepted_beyond_the_target_are_counted_where_the_counts_would_not_add_up() -> None:
    data = summary({}, {})
    data["generate"].update(candidates=8, rejected=1, kept=6, accepted_over_target=1)
    report = build_section(data, [], with_plots=False)
    assert "| kept by curation | 6 |" in report
    assert "| accepted beyond the target (not published) | 1 |" in report  # 8 - 1 = 6 + 1
