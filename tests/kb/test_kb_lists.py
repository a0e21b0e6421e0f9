import pytest

from pipeline.kb.lists import ListCellError, looks_like_list, parse_list_cell


@pytest.mark.parametrize(
    "cell",
    [
        '["fever", "dry cough"]',
        "['fever', 'dry cough']",
        "fever; dry cough",
        "fever, dry cough",
        "fever；dry cough",
        "fever | dry cough",
        ["fever", " dry cough "],
    ],
)
def test_every_list_style_becomes_the_same_list(cell) -> None:
    assert parse_list_cell(cell) == ["fever", "dry cough"]


def test_chinese_enumeration_comma() -> None:
    assert parse_list_cell("发热、干咳、咽痛") == ["发热", "干咳", "咽痛"]


def test_semicolon_wins_over_comma_inside_items() -> None:
    assert parse_list_cell("pain, swelling; fever") == ["pain, swelling", "fever"]


def test_prose_with_commas_is_one_item() -> None:
    prose = "The batteries are flat, or the display module has come loose from the wall base."
    assert parse_list_cell(prose) == [prose]
    assert parse_list_cell("a, b", split_commas=False) == ["a, b"]


def test_numbered_steps_split_into_steps() -> None:
    assert parse_list_cell("1. Unplug it. 2. Wait 10 s. 3. Plug it in.") == [
        "Unplug it.",
        "Wait 10 s.",
        "Plug it in.",
    ]
    assert parse_list_cell("Set it to 2. Then wait.") == ["Set it to 2. Then wait."]


def test_empty_markers_and_blanks_vanish() -> None:
    assert parse_list_cell("none") == []
    assert parse_list_cell("[]") == []
    assert parse_list_cell(None) == []
    assert parse_list_cell("a;; b; ") == ["a", "b"]


def test_non_string_items_become_strings() -> None:
    assert parse_list_cell("[1, 2.5, 'x']") == ["1", "2.5", "x"]


@pytest.mark.parametrize("cell", ['["fever", "cough"', "['a', 'b'", "[not, a literal(]"])
def test_broken_list_literal_is_an_error(cell) -> None:
    with pytest.raises(ListCellError):
        parse_list_cell(cell)


def test_only_explicit_lists_count_for_fields_without_a_list_role() -> None:
    assert looks_like_list("['a']") and looks_like_list(["a"])
    assert not looks_like_list("first; then second")


def test_a_quotation_inside_an_item_keeps_both_its_quotes() -> None:
    assert parse_list_cell('The app says "Thermostat offline"; the icon blinks') == [
        'The app says "Thermostat offline"',
        "the icon blinks",
    ]
    assert parse_list_cell('"fever"; \'cough\'; "it\'s fine"') == ["fever", "cough", "it's fine"]
