"""One worker of a build shared through the journal, for the lease tests: asks N requests
through `open_journal(LOCATION)` once it reads a line on stdin (so two workers start together),
then prints what it got as JSON. SEEDFORGE_JOURNAL_LEASE_S sets its leases' life.

    python -m tests.support.journal_worker BASE_URL LOCATION N
"""

from __future__ import annotations

import json
import sys

from pipeline.llm.client import ChatRequest
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal_location import open_journal

CONCURRENCY = 4


def main() -> None:
    base_url, location, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    config = LLMConfig(
        base_url=base_url,
        model="m",
        concurrency=CONCURRENCY,
        max_concurrency=CONCURRENCY,
        max_attempts=4,
        backoff_base_s=0.01,
        backoff_max_s=0.1,
        timeout_s=120,
        max_tokens=16,
    )
    endpoint = Endpoint(base_url, "not-needed", "m", embedded=False)
    requests = [
        ChatRequest(messages=[{"role": "user", "content": f"q{i}"}], template_version="t@1") for i in range(n)
    ]
    with open_journal(location) as journal:
        print("ready", flush=True)
        sys.stdin.readline()
        results, stats = run_requests(endpoint, config, journal, requests)
    texts = {r.key: r.text for r in results if r.ok}
    print(
        json.dumps({"ok": len(texts), "sent": stats.sent, "hits": stats.journal_hits, "texts": texts}),
        flush=True,
    )


if __name__ == "__main__":
    main()
