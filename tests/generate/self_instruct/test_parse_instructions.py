from pipeline.generate.self_instruct.parse_instructions import parse_instructions


def test_plain_json() -> None:
    parsed = parse_instructions('{"instructions": ["Name a river in Africa.", "List two prime numbers."]}')
    assert parsed.instructions == ["Name a river in Africa.", "List two prime numbers."]


def test_json_with_prose_around_it() -> None:
    text = 'Sure! Here you go:\n{"instructions": ["Describe a rainy day."]}\nHope this helps.'
    assert parse_instructions(text).instructions == ["Describe a rainy day."]


def test_cut_off_json_keeps_complete_items() -> None:
    text = '{"instructions": ["Explain photosynthesis simply.", "Give a synonym for happy.", "Write a le'
    parsed = parse_instructions(text, truncated=True)
    assert parsed.instructions == ["Explain photosynthesis simply.", "Give a synonym for happy."]


def test_numbered_list_with_truncated_last_item_and_duplicate_numbering() -> None:
    text = (
        "1. Suggest a name for a cat.\n2. Explain what a verb is.\n2. Explain what a verb is.\n3. Tell me ab"
    )
    parsed = parse_instructions(text, truncated=True)
    assert parsed.instructions == ["Suggest a name for a cat.", "Explain what a verb is."]


def test_numbering_inside_json_items_and_full_width_punctuation() -> None:
    text = (
        '{"instructions": ["1. Learn Python basics.", "２、写一首关于春天的诗。", '
        '"三、解释什么是光合作用。"]}'
    )
    parsed = parse_instructions(text)
    assert parsed.instructions == ["Learn Python basics.", "写一首关于春天的诗。", "解释什么是光合作用。"]


def test_garbage_is_a_reason_not_a_crash() -> None:
    assert parse_instructions("").failure == "empty_response"
    assert parse_instructions("I cannot help with that.").failure == "unparseable_response"
    assert parse_instructions('{"instructions": ["", "  "]}').failure == "unparseable_response"
