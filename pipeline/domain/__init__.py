"""Domain adaptation end to end: a cleaned domain corpus, an optional Chinese vocabulary
extension, continued pretraining, then an instruction build, fine-tuning and evaluation on top of
the domain-pretrained model (the `domain-adapt` flow)."""
