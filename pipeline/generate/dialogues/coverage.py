"""The coverage report: dialogues per entry, and the entries that have none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.kb.entry import KBEntry


@dataclass
class Coverage:
    per_entry: list[dict[str, Any]]  # one row per active entry, in KB order

    @property
    def without(self) -> list[str]:
        return [row["entry"] for row in self.per_entry if row["dialogues"] == 0]

    def as_dict(self) -> dict[str, Any]:
        covered = sum(1 for row in self.per_entry if row["dialogues"])
        total = len(self.per_entry)
        return {
            "entries": total,
            "covered": covered,
            "coverage": round(covered / total, 3) if total else None,
            "entries_without_dialogues": self.without,
            "per_entry": self.per_entry,
        }

    def render(self, limit: int = 15) -> str:
        data = self.as_dict()
        lines = [f"coverage: {data['covered']}/{data['entries']} entries have dialogues"]
        for row in self.per_entry:
            lines.append(f"  {row['dialogues']:>3} total  {row['this_run']:>2} new  {row['entry']}")
        missing = data["entries_without_dialogues"]
        if missing:
            shown = ", ".join(missing[:limit]) + (
                f", … ({len(missing) - limit} more)" if len(missing) > limit else ""
            )
            lines.append(f"entries with none ({len(missing)}): {shown}")
        return "\n".join(lines)


def coverage(entries: list[KBEntry], totals: dict[str, int], this_run: dict[str, int]) -> Coverage:
    """`totals`: dialogues per entry id over all runs; `this_run`: kept in this run."""
    return Coverage(
        [
            {
                "entry": e.name,
                "entry_id": e.id,
                "source": e.source,
                "row": e.row,
                "dialogues": totals.get(e.id, 0),
                "this_run": this_run.get(e.id, 0),
            }
            for e in entries
        ]
    )
