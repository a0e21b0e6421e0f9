"""BELLE's size study: how much instruction data each task category needs.

Nested, category-stratified subsets of a dataset version's train split; one LoRA adapter per
size; every adapter evaluated on the same held-out items; scores per category per size with
confidence intervals; a verdict per category and a suggested generation quota for the next
build. `build.build` is the entry point of `seedforge study sizes` and the size-study flow.
"""
