"""The part of curation that looks at one record alone: filters, output checks, PII, and the
features the duplicate steps compare (text, exact key, tokens, MinHash signature).

It depends only on the config, so it can run in worker processes while the order-dependent
steps (exact, MinHash and novelty against everything kept so far) run in one."""

from __future__ import annotations

import importlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.curate.config import CurateConfig
from pipeline.curate.dedup import exact_key
from pipeline.curate.verdict import Verdict
from pipeline.curate.views import compared_text, whole_text
from pipeline.records import Record
from pipeline.text import tokenize

if TYPE_CHECKING:
    from pipeline.curate.minhash import Signer
    from pipeline.curate.pii import Redaction

# (step, module, check): a step's module (language detection, phone numbers, ...) is imported
# only when the step runs, so `curate --steps novelty` starts without them
_RULE_STEPS = (
    ("filters", "pipeline.curate.filters", "check_filters"),
    ("output_checks", "pipeline.curate.output_checks", "check_outputs"),
    ("structure", "pipeline.curate.structure", "check_structure"),
)


@dataclass
class PreparedRecord:
    record: Record  # as it would be kept: PII redacted where the config says so
    text: str  # the compared text
    step: str | None = None  # the step that rejected it, if one of these did
    verdict: Verdict | None = None
    pii_found: dict[str, int] = field(default_factory=dict)
    redacted: bool = False
    key: str = ""
    tokens: list[str] = field(default_factory=list)
    signature: np.ndarray | None = None
    bands: tuple[bytes, ...] | None = None  # its LSH band keys
    seconds: dict[str, float] = field(default_factory=dict)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled compactly, since every prepared record crosses from a worker to the deciding
        process: the tokens as one string (no token holds a space) and the signature as bytes.
        Unpickling there cost about 55 µs a record as a plain dataclass, about 35 µs so."""
        signature = None if self.signature is None else self.signature.tobytes()
        fields = (self.record, self.text, self.step, self.verdict, self.pii_found, self.redacted, self.key)
        return _unpickled, (*fields, " ".join(self.tokens), signature, self.bands, self.seconds)


def _unpickled(
    record: Record,
    text: str,
    step: str | None,
    verdict: Verdict | None,
    pii_found: dict[str, int],
    redacted: bool,
    key: str,
    tokens: str,
    signature: bytes | None,
    bands: tuple[bytes, ...] | None,
    seconds: dict[str, float],
) -> PreparedRecord:
    values = None if signature is None else np.frombuffer(signature, dtype=np.uint32)
    return PreparedRecord(
        record, text, step, verdict, pii_found, redacted, key, tokens.split(), values, bands, seconds
    )


def minhash_text(record: Record, config: CurateConfig) -> str:
    return whole_text(record) if config.minhash.text == "record" else record.prompt_text


class Preparer:
    def __init__(self, config: CurateConfig, steps: tuple[str, ...], signatures: bool):
        self.config, self.steps = config, steps
        self._checks: list[tuple[str, Callable[[Record, Any], Verdict | None]]] = [
            (step, getattr(importlib.import_module(module), check))
            for step, module, check in _RULE_STEPS
            if step in steps
        ]
        self.signer: Signer | None = None
        if signatures:  # datasketch (and scipy under it) load only for the steps that sign
            from pipeline.curate.minhash import Signer

            self.signer = Signer(config.minhash)

    def _redaction(self, record: Record) -> Redaction:
        from pipeline.curate.pii import redact_record  # phonenumbers: only where the step runs

        return redact_record(record, self.config.pii)

    def prepare(self, record: Record) -> PreparedRecord:
        config, clock, seconds = self.config, time.perf_counter, {}
        for step, check in self._checks:  # the config section has the step's name
            started = clock()
            verdict = check(record, getattr(config, step))
            seconds[step] = clock() - started
            if verdict:
                if "pii" in self.steps:  # a rejected record is kept: without its PII too
                    record = self._redaction(record).record
                return PreparedRecord(
                    record, compared_text(record, config.compare), step, verdict, seconds=seconds
                )
        found: Counter[str] = Counter()
        if "pii" in self.steps:
            started = clock()
            redaction = self._redaction(record)
            seconds["pii"] = clock() - started
            found, record = redaction.found, redaction.record  # dropped or kept: without its PII
            if found and config.pii.action == "drop":
                evidence = {"rule": "pii", "types": dict(sorted(found.items())), "fields": redaction.fields}
                return PreparedRecord(
                    record,
                    compared_text(record, config.compare),
                    "pii",
                    Verdict("pii", evidence),
                    dict(found),
                    seconds=seconds,
                )
        started = clock()
        text = compared_text(record, config.compare)
        prepared = PreparedRecord(
            record,
            text,
            pii_found=dict(found),
            redacted=bool(found),
            key=exact_key(text),
            tokens=tokenize(text),
            seconds=seconds,
        )
        seconds["features"] = clock() - started
        if self.signer is not None:
            started = clock()
            prepared.signature = self.signer.signature(minhash_text(record, config))
            prepared.bands = self.signer.bands(prepared.signature)
            seconds["minhash"] = clock() - started
        return prepared
