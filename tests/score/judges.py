"""Scripted judges for the score tests, served by the project's FaultServer: each answer is a
plain function of the request, so a test decides exactly what the judge says."""

from __future__ import annotations

import json
import re
from typing import Any

from pipeline.records import AlpacaRecord, DialogueRecord, Lineage, Message
from tests.support.fault_server import FaultServer
from tests.support.llm_fixtures import FAST as LLM_FAST

# fast failures (a judge answer takes longer than the LLM tests' one-second timeout); the judge's
# sampling comes from ScoreConfig
FAST = LLM_FAST.model_copy(update={"max_attempts": 2, "timeout_s": 5.0})


def prompt_of(body: dict[str, Any]) -> str:
    """Every message of the request (a re-ask repeats the original prompt)."""
    return "\n".join(str(message.get("content", "")) for message in body["messages"])


def first_user(body: dict[str, Any]) -> str:
    return next(m["content"] for m in body["messages"] if m["role"] == "user")


def reply(score: Any, reason: str = "checked") -> str:
    return json.dumps({"reason": reason, "score": score})


def marker_judge(body: dict[str, Any]) -> str:
    """GRADE<n> in the record scores n; UNREADABLE gets prose; anything else scores 5."""
    prompt = prompt_of(body)
    if "UNREADABLE" in prompt:
        return "Hard to say, it depends."
    match = re.search(r"GRADE(\d+)", prompt)
    score = int(match.group(1)) if match else 5
    return reply(score, f"graded {score}")


def position_biased_judge(body: dict[str, Any]) -> str:
    """Scores whatever comes first: 5 when the instruction leads, 1 when the output does."""
    sections = re.findall(r"^## (.+)$", first_user(body), re.MULTILINE)
    return reply(1 if sections and sections[0] in ("Output", "Assistant turns") else 5, "layout")


def verbosity_judge(body: dict[str, Any]) -> str:
    """Scores the output's length alone: 1 + one point per 20 characters, at most 5."""
    prompt = first_user(body)
    output = prompt.split("## Output\n", 1)[1].split("\n\n", 1)[0] if "## Output\n" in prompt else ""
    return reply(min(5, 1 + len(output) // 20), "long")


def judge_server(responder: Any = marker_judge, **kw: Any) -> FaultServer:
    return FaultServer(responder=responder, **kw)


def alpaca(instruction: str, output: str, input: str = "", language: str = "en") -> AlpacaRecord:
    return AlpacaRecord(
        instruction=instruction,
        input=input,
        output=output,
        lineage=Lineage(generator="test", language=language),
    )


def dialogue(*turns: tuple[str, str], language: str = "en") -> DialogueRecord:
    return DialogueRecord(
        messages=[Message(role=role, content=text) for role, text in turns],
        lineage=Lineage(generator="test", language=language),
    )
