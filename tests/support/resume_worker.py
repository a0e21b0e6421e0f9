"""A build in miniature for the kill -9 test: answers N requests through the journal, then writes
the answered records (key, text) atomically. Killing it at any moment and running it again must
give the same file as one uninterrupted run.

    python -m tests.support.resume_worker BASE_URL JOURNAL OUT N
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from pipeline.llm.client import ChatRequest
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal

CONCURRENCY = 4


def main() -> None:
    base_url, journal_path, out_path, n = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    model = os.environ.get("WORKER_MODEL", "m")
    config = LLMConfig(
        base_url=base_url,
        model=model,
        concurrency=CONCURRENCY,
        max_concurrency=CONCURRENCY,
        max_attempts=8,
        backoff_base_s=0.01,
        backoff_max_s=0.1,
        timeout_s=60,
        max_tokens=int(os.environ.get("WORKER_MAX_TOKENS", "16")),
    )
    endpoint = Endpoint(base_url, "not-needed", model, embedded=False)
    requests = [
        ChatRequest(messages=[{"role": "user", "content": f"q{i}"}], template_version="t@1") for i in range(n)
    ]
    with Journal(journal_path) as journal:
        results, _ = run_requests(endpoint, config, journal, requests)
    records = sorted((r.key, r.text) for r in results if r.ok)
    staged = out_path.with_suffix(".tmp")
    staged.write_text("".join(json.dumps({"key": k, "text": t}) + "\n" for k, t in records), encoding="utf-8")
    os.replace(staged, out_path)


if __name__ == "__main__":
    main()
