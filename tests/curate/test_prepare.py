"""A prepared record crosses from a worker to the deciding process pickled: what arrives must
be what was prepared, field for field."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import numpy as np

from pipeline.curate.config import CurateConfig
from pipeline.curate.io import to_record
from pipeline.curate.prepare import Preparer

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
