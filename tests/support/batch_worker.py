"""A build in miniature for the Batch API kill test: N requests through `run_requests` with
llm.mode: batch, then the answered records (key, text) written atomically.

    python -m tests.support.batch_worker BASE_URL JOURNAL OUT N
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


def main() -> None:
    base_url, journal_path, out_path, n = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    config = LLMConfig(base_url=base_url, model="m", mode="batch", batch_poll_s=0.02, max_tokens=16)
    endpoint = Endpoint(base_url, "not-needed", "m", embedded=False)
    requests = [ChatRequest(messages=[{"role": "user", "content": f"q{i}"}]) for i in range(n)]
    with Journal(journal_path) as journal:
        results, _ = run_requests(endpoint, config, journal, requests)
    records = sorted((r.key, r.text) for r in results if r.ok)
    staged = out_path.with_suffix(".tmp")
    staged.write_text("".join(json.dumps({"key": k, "text": t}) + "\n" for k, t in records), encoding="utf-8")
    os.replace(staged, out_path)


if __name__ == "__main__":
    main()
