"""How well the structural checks tell usable records from unusable ones, on the labelled sets in
bench/data/quality/ (see its README):

- `labelled_*`: written by hand first; the checks were developed on its "dev" half, then on all;
- `holdout_*`: written afterwards by someone who had not seen the checks; then tuned on too;
- `final_*`: written after those, untouched until 2026-12-02, then tuned on too;
- `blind_*`: written by someone who had not seen the checks; measured once untouched
  (2026-12-02), then tuned on too;
- `unseen_*`: written the same way, never used for tuning;
- `tune3_*`, `sealed_*`: two more sets written the same way (2026-12-02), both measured
  untouched; `tune3` was then tuned on, `sealed` is never to be tuned on
  and is the honest figure for hand-written records;
- `generated_en`: what the embedded 135M generator really wrote (two demo runs), read and
  labelled by hand; the checks' newest rules were written after reading it.

Per set and language: recall over the defects, false-drop rate on good records (hard negatives
included), kept-set precision at the set's own mix, recall per defect kind, which rule fired for
which kind, and every false drop.

    python bench/quality.py [--json OUT] [--show-misses]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labelled_sets import labelled_files

from pipeline.curate.structure.measure import measure, read_labelled, split_of


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _write_measured(results: dict[str, dict]) -> None:
    """Per language, the rates on the hand-written set never used for tuning; for the embedded
    generator, the precision of what the checks keep of its own output (labelled by hand)."""
    from pipeline.curate.structure.measure import MEASURED

    measured: dict[str, dict] = {}
    for language in ("en", "zh"):
        clean = next(
            k
            for k in (f"sealed/{language}/all", f"unseen/{language}/all", f"blind/{language}/all")
            if k in results
        )
        measured[language] = {
            "set": f"{clean.split('/')[0]}_{language}.jsonl, {results[clean]['records']} records",
            "recall": results[clean]["recall"],
            "false_drop_rate": results[clean]["false_drop_rate"],
        }
        real = f"generated/{language}/all"
        if real in results:
            measured[language]["embedded_generator"] = {
                "set": f"generated_{language}.jsonl, {results[real]['records']} records",
                "recall": results[real]["recall"],
                "kept_precision": results[real]["kept_precision"],
            }
    MEASURED.write_text(json.dumps(measured, indent=1) + "\n", encoding="utf-8")
    print(f"\nwrote {MEASURED}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument(
        "--write-measured",
        action="store_true",
        help="store the held-out figures (the labelled test half when no held-out set exists) where "
        "build reports read them to estimate a run's kept-set precision",
    )
    args = parser.parse_args()
    results = {}
    lines = [
        "| set | language | records | structural defects | recall | good records | false drops "
        "| kept precision | wrong-content recall | ms / record |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, language, path in labelled_files():
        records = read_labelled(path)
        parts = {"all": records}
        if name == "labelled":
            parts = {
                f"{half} half": [r for r in records if split_of(r.id) == half] for half in ("dev", "test")
            }
        for part, chosen in parts.items():
            started = time.perf_counter()
            measured = measure(chosen)
            seconds = time.perf_counter() - started
            summary = measured.summary()
            key = f"{name}/{language}/{part}"
            results[key] = {
                **summary,
                "fired": dict(measured.fired.most_common()),
                "false_drops": measured.false_drops,
                "misses": measured.misses,
                "seconds": round(seconds, 3),
            }
            false_drops = round((summary["false_drop_rate"] or 0) * summary["good"])
            lines.append(
                f"| {name} ({part}) | {language} | {summary['records']} | {summary['structural_bad']} | "
                f"{_pct(summary['recall'])} | {summary['good']} | "
                f"{false_drops} ({_pct(summary['false_drop_rate'])}) | "
                f"{_pct(summary['kept_precision'])} | {_pct(summary['semantic_recall'])} | "
                f"{1000 * seconds / max(1, len(chosen)):.2f} |"
            )
    print("\n".join(lines))
    for key, result in results.items():
        kinds = ", ".join(
            f"{kind} {v['dropped']}/{v['records']}"
            for kind, v in result["per_kind"].items()
            if kind != "good" and not kind.startswith("hard:")
        )
        print(f"\n{key}: dropped per defect kind: {kinds}")
        for drop in result["false_drops"]:
            print(f"  false drop {drop['id']} ({drop['kind']}): {drop['reason']} {drop['evidence']}")
        if args.show_misses:
            for miss in result["misses"]:
                print(f"  missed {miss['id']} ({miss['kind']}): {miss['instruction']}")
    if args.write_measured:
        _write_measured(results)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
