"""A prepared record crosses from a worker to the deciding process pickled: what arrives must
be what was prepared, field for field. A batch is prepared step by step: each record must come
out as it does alone."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.curate.config import CurateConfig
from pipeline.curate.io import to_record
from pipeline.curate.prepare import PreparedRecord, Preparer

ROWS = [
    {
        "instruction": "Explain photosynthesis in two sentences.",
        "input": "",
        "output": "Plants turn light into sugar.",
    },
    {
        "instruction": "Write to me at jane.doe@example.com about the order.",
        "input": "",
        "output": "Dear Jane, thanks.",
    },
    {"instruction": "用一句话解释光合作用。", "input": "", "output": "植物利用阳光把二氧化碳和水变成糖。"},
    {"instruction": "Translate", "input": "", "output": ""},  # rejected by a per-record step
    {"instruction": "Summarise the text.", "input": "  ", "output": "x"},
]


def test_a_prepared_record_pickles_to_what_was_prepared() -> None:
    steps = ("filters", "output_checks", "structure", "pii")
    preparer = Preparer(CurateConfig(), steps, signatures=True)
    prepared = [preparer.prepare(to_record(row, Path("rows.jsonl"), n)) for n, row in enumerate(ROWS, 1)]
    assert any(item.verdict is not None for item in prepared) and any(item.redacted for item in prepared)
    for item in prepared:
        back = pickle.loads(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
        for field in dataclasses.fields(item):
            sent, received = getattr(item, field.name), getattr(back, field.name)
            if isinstance(sent, np.ndarray):
                assert received.dtype == sent.dtype and received.tolist() == sent.tolist()
            else:
                assert received == sent, field.name


def _fields(item: PreparedRecord) -> dict[str, Any]:
    """Everything but the timings, the signature as a list."""
    values = {field.name: getattr(item, field.name) for field in dataclasses.fields(item)}
    del values["seconds"]
    if values["signature"] is not None:
        values["signature"] = values["signature"].tolist()
    return values


@pytest.mark.parametrize("pii", ["redact", "drop"])
def test_a_batch_prepares_each_record_as_it_is_prepared_alone(pii: str) -> None:
    config = CurateConfig.model_validate({"pii": {"action": pii}})
    steps = ("filters", "output_checks", "structure", "pii")
    preparer = Preparer(config, steps, signatures=True)
    rows = ROWS + ROWS[::-1]  # rejected and kept records interleaved both ways
    records = [to_record(row, Path("rows.jsonl"), n) for n, row in enumerate(rows, 1)]
    batch = preparer.prepare_batch(records)
    alone = [preparer.prepare(record) for record in records]
    assert [_fields(item) for item in batch] == [_fields(item) for item in alone]
    assert {item.step for item in batch} >= {None, "filters"} and any(
        item.signature is not None for item in batch
    )
    assert any(item.step == "pii" for item in batch) == (pii == "drop")
    assert any(item.redacted for item in batch) == (pii == "redact")
    for item in batch:  # each record timed by each step it went through, in the steps' order
        last = len(steps) if item.step is None else steps.index(item.step) + 1
        assert list(item.seconds) == [*steps[:last], *(("features", "minhash") if item.step is None else ())]
