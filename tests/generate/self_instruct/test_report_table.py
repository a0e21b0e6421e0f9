from __future__ import annotations

import pytest

from pipeline.generate.self_instruct.report import print_report

REPORT = {
    "accepted": 3,
    "target": 5,
    "stop_reason": "max_requests",
    "acceptance_rate": 0.5,
    "requests": {"total": 6},
    "parse_failures": {},
    "instructions": {"proposed": 4, "admitted": 3, "classification": 1, "rejected_by_reason": {}},
    "records": {"candidates": 4, "rejected_by_reason": {}},
    "categories": {"accepted": {"open_qa": 3}},
    "instruction_acceptance_rate": 0.75,
    "seconds": 10,
    "seconds_per_accepted": 3.3,
}


@pytest.mark.parametrize(
    ("llm", "shown", "hidden"),
    [
        (
            {"prompt_tokens": 900, "completion_tokens": 100, "cost_usd": 0, "unpriced_tokens": 1000},
            "cost unknown",
            "$0.0000",
        ),
        (
            {"prompt_tokens": 900, "completion_tokens": 100, "cost_usd": 0.0123, "unpriced_tokens": 0},
            "$0.0123",
            "unknown",
        ),
    ],
)
def test_the_summary_never_prices_unpriced_tokens_at_zero(
    llm: dict, shown: str, hidden: str, capsys: pytest.CaptureFixture[str]
) -> None:
    print_report({**REPORT, "llm": llm})
    printed = capsys.readouterr().err
    assert shown in printed and hidden not in printed
