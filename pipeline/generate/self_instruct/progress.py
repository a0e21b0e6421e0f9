"""A rich progress bar for a generation run: accepted of target, rejected, requests, cost.
Requests and tokens move after every step of a batch; accepted and rejected after curation."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.generate.self_instruct.loop import SelfInstructResult
from pipeline.llm.step import LLMUsage


class GenerationProgress:
    def __init__(self, target: int, *, description: str = "self-instruct"):
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "accepted · {task.fields[rejected]} rejected · {task.fields[requests]} requests"
                " · {task.fields[cost]}"
            ),
            TimeElapsedColumn(),
            transient=False,
        )
        self.task = self.progress.add_task(description, total=target, rejected=0, requests=0, cost="0 tokens")
        self.requests = 0
        self.finished = LLMUsage()  # the batches done
        self.batch = LLMUsage()  # the batch under way, so far

    def start(self) -> None:
        self.progress.start()

    def stop(self) -> None:
        self.progress.stop()

    def __enter__(self) -> GenerationProgress:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _cost(self) -> str:
        tokens = sum(usage.prompt_tokens + usage.completion_tokens for usage in (self.finished, self.batch))
        dollars = self.finished.cost_usd + self.batch.cost_usd
        return f"{tokens:,} tokens" + (f" ${dollars:.4f}" if dollars else "")

    def on_requests(self, count: int, batch_usage: LLMUsage) -> None:
        """After each step: each batch counts its own usage, from zero."""
        self.requests += count
        self.batch = batch_usage
        self.progress.update(self.task, requests=self.requests, cost=self._cost())

    def on_batch(self, result: SelfInstructResult) -> None:
        self.finished, self.batch = result.usage, LLMUsage()
        self.progress.update(
            self.task,
            # the last batch may accept more than the target needs; the run keeps the target
            completed=min(len(result.kept), self.progress.tasks[0].total or len(result.kept)),
            rejected=len(result.rejected),
            requests=result.requests,
            cost=self._cost(),
        )
