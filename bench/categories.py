"""How often the categorisation step agrees with the hand-labelled categories of the shipped seed
tasks (`seeds/seed_tasks_{en,zh}.jsonl`): accuracy, what it answered, per-category recall and
seconds per request, on the embedded model (default) or any endpoint.

    python bench/categories.py [--lang en zh] [--base-url URL --model NAME] [--json OUT]

Run it under the heavy-job lock when it starts the embedded model. Every answer goes through a
throwaway journal, so each run really asks."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.generate.self_instruct.categorize import CategorizeStep
from pipeline.generate.self_instruct.config import GenerateConfig
from pipeline.generate.self_instruct.seeds import load_seed_tasks
from pipeline.generate.self_instruct.steps import NewTask
from pipeline.generate.self_instruct.templates import template_set
from pipeline.llm.config import LLMConfig
from pipeline.llm.embedded import EMBEDDED_MODEL_NAME, EmbeddedServer
from pipeline.llm.endpoint import Endpoint
from pipeline.llm.journal import Journal
from pipeline.llm.step import StepRunner
from pipeline.settings import SEEDS_DIR


def measure(endpoint: Endpoint, language: str, journal: Journal) -> dict[str, Any]:
    seeds = load_seed_tasks(SEEDS_DIR / f"seed_tasks_{language}.jsonl")
    config = GenerateConfig.model_validate({"language": language})
    runner = StepRunner(endpoint, LLMConfig(max_tokens=32, model=endpoint.model), journal)
    started = time.monotonic()
    tasks = [NewTask(seed.instruction, []) for seed in seeds]
    out = runner.run(CategorizeStep(config, template_set(language)), tasks)
    seconds = time.monotonic() - started
    answers = {task.instruction: category for task, category in out.parsed}
    truth = Counter(seed.category for seed in seeds)
    right = Counter(seed.category for seed in seeds if answers.get(seed.instruction) == seed.category)
    return {
        "language": language,
        "seeds": len(seeds),
        "agree": sum(right.values()),
        "accuracy": round(sum(right.values()) / len(seeds), 3),
        "chance": round(1 / len(config.categories), 3),
        "unreadable": len(out.rejected),
        "answered": dict(Counter(answers.values()).most_common()),
        "recall": {name: f"{right[name]}/{count}" for name, count in sorted(truth.items())},
        "seconds_per_request": round(seconds / len(seeds), 2),
    }


@contextmanager
def _endpoint(args: argparse.Namespace, log: Path) -> Iterator[Endpoint]:
    if args.base_url:
        yield Endpoint(args.base_url, args.api_key, args.model, False)
        return
    server = EmbeddedServer(log_path=log).start()
    try:
        yield Endpoint(server.base_url, "not-needed", EMBEDDED_MODEL_NAME, True)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", nargs="+", default=["en", "zh"], choices=["en", "zh"])
    parser.add_argument("--base-url")
    parser.add_argument("--api-key", default="not-needed")
    parser.add_argument("--model", default=EMBEDDED_MODEL_NAME)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as scratch, _endpoint(args, Path(scratch) / "llm.log") as endpoint:
        with Journal(Path(scratch) / "journal.sqlite3") as journal:
            for language in args.lang:
                result = measure(endpoint, language, journal)
                results.append(result)
                print(json.dumps(result, ensure_ascii=False), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
