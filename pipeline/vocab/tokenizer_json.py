"""The extended tokenizer: the base's tokenizer.json with the learned merges appended after its
own and the new tokens given ids after every existing one, so no existing (token, id) changes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pipeline.errors import SeedforgeError


@dataclass
class Extension:
    tokenizer_json: str  # the extended tokenizer.json
    added: dict[str, int]  # new token -> its id, in id order
    merges_added: int


def base_model_section(data: dict[str, Any]) -> dict[str, Any]:
    """The BPE model of a tokenizer.json, checked to be one this extension understands."""
    model = data.get("model") or {}
    if model.get("type") != "BPE" or not isinstance(model.get("vocab"), dict):
        raise SeedforgeError(
            f"vocabulary extension needs a BPE tokenizer (tokenizer.json model.type BPE); "
            f"this one is {model.get('type')!r}"
        )
    pre = json.dumps(data.get("pre_tokenizer"))
    if "ByteLevel" not in pre:
        raise SeedforgeError(
            "vocabulary extension needs a byte-level BPE tokenizer (a ByteLevel pre-tokenizer)"
        )
    return dict(model)


def extend_tokenizer_json(base_json: str, merges: list[tuple[str, str]]) -> Extension:
    """Append `merges` (learned order) to the base's; each result not yet a token gets the next
    free id after every model and added token."""
    data = json.loads(base_json)
    model = base_model_section(data)
    vocab: dict[str, int] = dict(model["vocab"])
    taken = set(vocab.values()) | {int(item["id"]) for item in data.get("added_tokens", [])}
    next_id = max(taken) + 1
    old_merges: list[Any] = list(model.get("merges", []))
    as_strings = bool(old_merges) and isinstance(old_merges[0], str)
    added: dict[str, int] = {}
    for left, right in merges:
        if left not in vocab or right not in vocab:
            raise SeedforgeError(f"learned merge ({left!r}, {right!r}) joins a token the vocabulary lacks")
        result = left + right
        if result not in vocab:
            vocab[result] = next_id
            added[result] = next_id
            next_id += 1
        if as_strings:
            if " " in left or " " in right:
                raise SeedforgeError("a learned merge holds a space the base's merge format cannot store")
            old_merges.append(f"{left} {right}")
        else:
            old_merges.append([left, right])
    model["vocab"], model["merges"] = vocab, old_merges
    data["model"] = model
    return Extension(json.dumps(data, ensure_ascii=False), added, len(merges))
