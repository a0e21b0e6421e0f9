def test_the_attempt_cap_names_the_setting_behind_it() -> None:
    from pipeline.generate.dialogues.config import DialogueConfig

    assert DialogueConfig(target=4, max_dialogues=8).attempt_cap_setting == "dialogues.max_dialogues = 8"
    assert DialogueConfig(target=4).attempt_cap_setting == "3 x dialogues.target = 12 dialogues attempted"
