"""Continued pretraining: causal-LM LoRA on a corpus\x27s packed blocks."""
