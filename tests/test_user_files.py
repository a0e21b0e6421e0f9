"""What a user gives is read with errors that name it, never a Python exception escaping."""

import json

import pytest

from pipeline.user_files import json_raw_decode, json_value


def test_json_nested_past_the_parser_is_a_decode_error_not_a_recursion_error() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(json.JSONDecodeError, match="nested too deeply"):
        json_value(deep)
    with pytest.raises(json.JSONDecodeError, match="nested too deeply") as caught:
        json_raw_decode(json.JSONDecoder(), "[1,\n" + deep, 4)
    assert caught.value.lineno == 2
    assert json_value('{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
