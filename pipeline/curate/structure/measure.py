"""How well the structural checks separate usable records from unusable ones, on a labelled set:
per-kind recall, the false-drop rate on good records (and on the hard negatives, good records
built to look like a defect), and the precision of what is kept. Used by `bench/quality.py`
and by the estimate of a run's kept-set precision in its report."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.curate.config import StructureConfig
from pipeline.curate.structure import CLASSIFICATION_TEMPLATE, check_structure
from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord, Lineage

MEASURED = Path(__file__).with_name("measured.json")  # written by bench/quality.py --write-measured
SEMANTIC_KINDS = frozenset({"wrong_content"})  # only a judge that knows the facts can see these


@dataclass(frozen=True)
class LabelledRecord:
    id: str
    label: str  # "good" or "bad"
    kind: str  # the defect, "good", or "hard:<defect it resembles>"
    record: AlpacaRecord


@dataclass
class Measured:
    records: int = 0
    dropped: Counter[str] = field(default_factory=Counter)  # kind -> dropped
    total: Counter[str] = field(default_factory=Counter)  # kind -> records
    fired: Counter[str] = field(default_factory=Counter)  # "kind -> reason" -> records
    false_drops: list[dict[str, Any]] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)

    def _sum(self, *, bad: bool, structural: bool = True) -> tuple[int, int]:
        kinds = [
            kind
            for kind in self.total
            if (kind != "good" and not kind.startswith("hard:")) == bad
            and (not bad or (kind in SEMANTIC_KINDS) != structural)
        ]
        return sum(self.dropped[k] for k in kinds), sum(self.total[k] for k in kinds)

    def summary(self) -> dict[str, Any]:
        bad_dropped, bad = self._sum(bad=True)
        good_dropped, good = self._sum(bad=False)
        semantic_dropped, semantic = self._sum(bad=True, structural=False)
        kept_good, kept_bad = good - good_dropped, bad - bad_dropped
        return {
            "records": self.records,
            "structural_bad": bad,
            "recall": round(bad_dropped / bad, 4) if bad else None,
            "good": good,
            "false_drop_rate": round(good_dropped / good, 4) if good else None,
            "kept_precision": round(kept_good / (kept_good + kept_bad), 4) if kept_good + kept_bad else None,
            "semantic_bad": semantic,
            "semantic_recall": round(semantic_dropped / semantic, 4) if semantic else None,
            "per_kind": {
                kind: {"records": self.total[kind], "dropped": self.dropped[kind]}
                for kind in sorted(self.total)
            },
        }


def read_labelled(path: Path) -> list[LabelledRecord]:
    """A labelled set: JSON lines of {id, label, kind, instruction, input, output,
    is_classification}; the language is the file's (`…_zh.jsonl` is Chinese)."""
    language = "zh" if path.stem.endswith("_zh") else "en"
    records: list[LabelledRecord] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            template = CLASSIFICATION_TEMPLATE if item.get("is_classification") else "instances"
            record = AlpacaRecord(
                instruction=item["instruction"],
                input=item.get("input", ""),
                output=item["output"],
                lineage=Lineage(generator="labelled", template=template, language=language),
            )
            records.append(LabelledRecord(item["id"], item["label"], item["kind"], record))
        except (ValueError, KeyError, TypeError) as error:
            raise SeedforgeError(f"{path}:{number}: not a labelled record ({error})") from error
    return records


def split_of(record_id: str) -> str:
    """A fixed half of the set for tuning the checks ("dev"), the other half for reporting ("test")."""
    return "dev" if hashlib.sha256(record_id.encode()).digest()[0] % 2 == 0 else "test"


def measure(records: list[LabelledRecord], config: StructureConfig | None = None) -> Measured:
    config = config or StructureConfig()
    measured = Measured()
    for item in records:
        verdict = check_structure(item.record, config)
        measured.records += 1
        measured.total[item.kind] += 1
        shown = {"id": item.id, "kind": item.kind, "instruction": item.record.instruction[:80]}
        if verdict is not None:
            measured.dropped[item.kind] += 1
            measured.fired[f"{item.kind} -> {verdict.reason}"] += 1
            if item.label == "good":
                measured.false_drops.append({**shown, "reason": verdict.reason, "evidence": verdict.evidence})
        elif item.label == "bad":
            measured.misses.append(shown)
    return measured


def measured_rates(language: str) -> dict[str, Any] | None:
    """The checks' recall and false-drop rate as `bench/quality.py --write-measured` last measured
    them on the held-out labelled set of `language` (None when not measured)."""
    if not MEASURED.is_file():
        return None
    rates: dict[str, Any] | None = json.loads(MEASURED.read_text("utf-8")).get(language)
    return rates


def quality_estimate(
    language: str, seen: int, dropped: int, *, embedded_generator: bool = False
) -> dict[str, Any] | None:
    """What a run's report says about the quality of what it kept. For the embedded generator
    the share of usable records among those the checks keep of its own output, as measured by
    hand; for any other, the estimate from the checks' rates on hand-written records."""
    rates = measured_rates(language)
    if rates is None:
        return None
    own = rates.get("embedded_generator") if embedded_generator else None
    if own is not None:
        return {"seen": seen, "dropped": dropped, "estimated_precision": own["kept_precision"],
                "method": "measured", "set": own["set"], "recall": own["recall"],
                "false_drop_rate": rates["false_drop_rate"]}  # fmt: skip
    precision = estimated_precision(seen, dropped, rates["recall"], rates["false_drop_rate"])
    return {
        "seen": seen,
        "dropped": dropped,
        "estimated_precision": precision,
        "method": "estimated",
        "set": rates["set"],
        "recall": rates["recall"],
        "false_drop_rate": rates["false_drop_rate"],
    }


def estimated_precision(seen: int, dropped: int, recall: float, false_drop_rate: float) -> float | None:
    """The kept-set precision a run likely has, from how many records the checks saw and dropped
    and their measured recall r and false-drop rate f: with B bad among N seen,
    dropped = r·B + f·(N − B), so B = (dropped − f·N) / (r − f), clipped to [0, N]."""
    if seen == 0 or recall <= false_drop_rate:
        return None
    bad = min(max((dropped - false_drop_rate * seen) / (recall - false_drop_rate), 0.0), float(seen))
    kept_bad, kept_good = (1 - recall) * bad, (1 - false_drop_rate) * (seen - bad)
    return round(kept_good / (kept_good + kept_bad), 4) if kept_good + kept_bad else None
