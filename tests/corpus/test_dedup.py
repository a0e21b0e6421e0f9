from __future__ import annotations

import random

from pipeline.corpus.dedup import (
    RULE_EXACT,
    RULE_NEAR,
    CorpusDedupConfig,
    DocumentDeduper,
    ParagraphFilter,
)


def _prose(seed: int, words: int = 120) -> str:
    rng = random.Random(seed)
    vocab = [f"word{n}" for n in range(2000)]
    return " ".join(rng.choice(vocab) for _ in range(words)) + "."


def test_exact_duplicate_after_case_and_space_folding_is_dropped() -> None:
    deduper = DocumentDeduper(CorpusDedupConfig(near=False))
    text = _prose(1)
    assert deduper.check("a", text) is None
    verdict = deduper.check("b", "  " + text.upper().replace(" ", "   \n"))
    assert verdict is not None and verdict.rule == RULE_EXACT
    assert "a" in verdict.evidence
    assert deduper.check("c", _prose(2)) is None


def test_near_duplicate_names_partner_and_jaccard() -> None:
    deduper = DocumentDeduper(CorpusDedupConfig())
    base = _prose(3, words=400)
    assert deduper.check("first", base) is None
    edited = base.replace("word1 ", "changed ", 1) + " one more tail"
    verdict = deduper.check("second", edited)
    assert verdict is not None and verdict.rule == RULE_NEAR
    assert "first" in verdict.evidence and "Jaccard ~0." in verdict.evidence
    assert deduper.check("third", _prose(4, words=400)) is None


def test_near_duplicate_of_chinese_text_uses_characters() -> None:
    deduper = DocumentDeduper(CorpusDedupConfig())
    rng = random.Random(5)
    chars = [chr(0x4E00 + n) for n in range(3000)]
    text = "".join(rng.choice(chars) for _ in range(600))
    assert deduper.check("zh1", text) is None
    verdict = deduper.check("zh2", text[:300] + "的" + text[301:])
    assert verdict is not None and verdict.rule == RULE_NEAR


def test_repeated_paragraph_removed_after_n_documents() -> None:
    footer = "This page is part of the ACME knowledge base. All rights reserved, 2024 edition."
    paragraph_filter = ParagraphFilter(min_chars=50, min_documents=2)
    outputs = []
    for n in range(4):
        text, removed = paragraph_filter.apply(f"{_prose(10 + n, 20)}\n\n{footer}\n\nShort line.")
        outputs.append((text, removed))
    assert all(footer in text and not removed for text, removed in outputs[:2])
    for text, removed in outputs[2:]:
        assert footer not in text
        assert [r.text for r in removed] == [footer]
        assert "Short line." in text
    assert "2 earlier documents" in outputs[3][1][0].evidence


def test_paragraph_counted_once_per_document_and_short_ones_kept() -> None:
    paragraph_filter = ParagraphFilter(min_chars=50, min_documents=2)
    long = "x" * 60
    text, removed = paragraph_filter.apply(f"{long}\n\n{long}\n\n{long}")
    assert not removed and text.count(long) == 3
    short = "tiny"
    for _ in range(5):
        text, removed = paragraph_filter.apply(short)
        assert text == short and not removed
