"""A dataset build against the scripted fault server: real client, real journal, no model."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fault_server import FaultServer
from tests.support.scripted_model import instance_of, scripted_model


def repeating_model(body: dict[str, Any]) -> str:
    """The scripted model, but it proposes the same instructions whatever it is shown."""
    response_format = body.get("response_format") or {}
    schema = response_format.get("schema") or response_format.get("json_schema", {}).get("schema")
    if schema and "instructions" in schema.get("properties", {}):
        return json.dumps(instance_of(schema, schema, random.Random("always the same")))
    return scripted_model(body)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer(responder=scripted_model) as running:
        yield running


@pytest.fixture
def repeating_server() -> Iterator[FaultServer]:
    with FaultServer(responder=repeating_model) as running:
        yield running


def build_config(base_url: str, name: str = "grow", **generate: Any) -> Any:
    from pipeline.config import BuildConfig
    from pipeline.evaluate.config import EvaluateConfig
    from pipeline.generate.self_instruct.config import GenerateConfig
    from pipeline.llm.config import LLMConfig

    return BuildConfig(
        name=name,
        llm=LLMConfig(base_url=base_url, model="scripted", concurrency=2, max_tokens=200),
        generate=GenerateConfig(**{"target": 8, "max_requests": 120, **generate}),
        evaluate=EvaluateConfig(heldout_fraction=0.2, min_heldout=2),
        exports=["jsonl"],
    )


def quiet_build(config: Any, **kwargs: Any) -> Any:
    from pipeline.build.run import BuildHooks, build_dataset

    return build_dataset(config, hooks=BuildHooks(), **kwargs)


def read_split(version: Path, split: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (version / f"{split}.jsonl").read_text().splitlines()]


def states(data: Path, name: str = "grow") -> list[dict[str, Any]]:
    found = [json.loads(p.read_text()) for p in (data / "datasets" / name / "builds").glob("*.json")]
    return sorted(found, key=lambda state: state["number"])


def identity(body: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps([body.get("messages"), body.get("seed")], sort_keys=True).encode()
    ).hexdigest()
