"""The pretraining tests' corpus, general text and short tiny-model run, shared here."""

from tests.pretrain.conftest import clinic_corpus, general_text, pretrained

__all__ = ["clinic_corpus", "general_text", "pretrained"]
