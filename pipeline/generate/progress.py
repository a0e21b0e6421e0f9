"""A rich progress bar for a generation run: accepted of target, rejected, requests, cost.
Requests and tokens move after every step of a batch; accepted and rejected after curation."""

from __future__ import annotations

from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.generate.self_instruct import GenerationResult


class GenerationProgress:
    def __init__(self, target: int, *, description: str = "self-instruct"):
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("accepted · {task.fields[rejected]} rejected · {task.fields[requests]} requests"
                       " · {task.fields[cost]}"),
            TimeElapsedColumn(), transient=False,
        )
        self.task = self.progress.add_task(description, total=target, rejected=0, requests=0, cost="0 tokens")
        self.requests = 0
        self.tokens = 0
        self.dollars = 0.0

    def __enter__(self) -> "GenerationProgress":
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _cost(self) -> str:
        text = f"{self.tokens:,} tokens"
        return text + (f" ${self.dollars:.4f}" if self.dollars else "")

    def on_requests(self, count: int, stats: dict[str, Any]) -> None:
        self.requests += count
        self.tokens += (stats.get("prompt_tokens") or 0) + (stats.get("completion_tokens") or 0)
        self.dollars += stats.get("cost_usd") or 0.0
        self.progress.update(self.task, requests=self.requests, cost=self._cost())

    def on_batch(self, result: GenerationResult) -> None:
        self.progress.update(self.task, completed=len(result.kept), rejected=len(result.rejected),
                             requests=result.requests, cost=self._cost())
