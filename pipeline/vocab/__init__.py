"""Vocabulary extension: learn Chinese tokens from a corpus, add them to the base tokenizer and model."""
