"""Continued pretraining: causal-LM LoRA on the packed token blocks of a corpus."""
