"""A scripted self-instruct model for the fault server: every answer is decided by the request
itself (JSON matching the requested schema, or plain sentences), so two runs that ask the same
questions get the same answers, and a build that asks other questions gets other answers."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

WORDS = (
    "describe explain compare summarise suggest list outline rewrite classify translate "
    "river mountain garden library kitchen market harbour forest desert island village "
    "teacher farmer sailor doctor painter baker pilot student neighbour traveller "
    "quiet bright ancient modern gentle careful simple curious patient honest "
    "autumn winter spring summer morning evening weekend holiday journey season "
    "recipe budget letter poem story lesson habit routine hobby custom"
).split()


def sentence(rng: random.Random, size: int = 9) -> str:
    words = [rng.choice(WORDS) for _ in range(size)]
    return " ".join(words).capitalize() + "."


def instance_of(schema: dict[str, Any], root: dict[str, Any], rng: random.Random) -> Any:
    if "$ref" in schema:
        return instance_of(root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], root, rng)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return instance_of(schema[combinator][0], root, rng)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {name: instance_of(sub, root, rng) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        count = max(schema.get("minItems", 1), min(schema.get("maxItems", 3), 3))
        return [instance_of(schema.get("items", {"type": "string"}), root, rng) for _ in range(count)]
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return 1
    return sentence(rng)


def scripted_model(body: dict[str, Any]) -> str:
    """Deterministic per request: JSON matching the requested schema, or a plain answer."""
    seed = hashlib.sha256(json.dumps(body.get("messages"), sort_keys=True).encode()).hexdigest()
    rng = random.Random(seed)
    response_format = body.get("response_format") or {}
    schema = response_format.get("schema") or response_format.get("json_schema", {}).get("schema")
    if schema:
        return json.dumps(instance_of(schema, schema, rng))
    return " ".join(sentence(rng) for _ in range(3))
