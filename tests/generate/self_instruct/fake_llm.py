"""A scripted stand-in for `run_requests`: answers each self-instruct step from the request
itself, so loop tests run in milliseconds and can count exactly what was asked."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline.llm.client import ChatRequest, ChatResult, LLMStats

# pairwise far apart under ROUGE-L, so novelty keeps them all
ORDINARY = [
    "Explain why volcanoes erupt, in words a curious teenager understands.",
    "Write a haiku about a rusty bicycle chain.",
    "Summarise the main rules of chess openings for a beginner in four bullet points.",
    "Suggest a weekly watering schedule for orchids kept on a sunny windowsill.",
    "Draft a polite email asking a landlord to repair a leaking rainwater tank.",
    "List the tools a beginner beekeeper should buy before the first season.",
    "How do glaciers carve valleys over thousands of years?",
    "Translate 'the lighthouse keeper waved at the ship' into Spanish.",
    "Give me a recipe outline for a rye sourdough loaf.",
    "What is the difference between serif and sans-serif typefaces?",
    "Compose a limerick about a submarine cook who hates fish.",
    "Propose three names for a small origami club at a public library.",
]
CLASSIFYING = [
    "Classify the movie review as Positive or Negative.",
    "Classify each email subject line as Spam or Not spam.",
    "Classify the animal named in the sentence as Mammal, Bird or Fish.",
    "Classify the customer's question as Billing, Shipping or Returns.",
    "Classify the weather report as Sunny, Rainy or Snowy.",
    "Classify the tweet's tone as Formal or Informal.",
]


def kind_of(request: ChatRequest) -> str:
    return request.template_version.split("@")[0].split("self_instruct_")[-1].rsplit("_", 1)[0]


@dataclass
class FakeLLM:
    """`instructions(call_index, request) -> text` decides step 1; the other steps answer
    sensibly: tasks mentioning "Classify" are classification tasks (category classification),
    others are brainstorming; `categories` overrides the category per instruction substring."""

    instructions: Callable[[int, ChatRequest], str] | None = None
    asked: list[ChatRequest] = field(default_factory=list)
    budget_after: int | None = None  # answer this many requests, then report the budget spent
    refusal_reason: str = "http_500"  # for answers scripted as None
    categories: dict[str, str] = field(default_factory=dict)  # instruction substring -> answer

    def default_instructions(self, call: int, request: ChatRequest) -> str:
        tasks = [ORDINARY[call % len(ORDINARY)], CLASSIFYING[call % len(CLASSIFYING)]]
        return json.dumps({"instructions": tasks})

    def answer(self, call: int, request: ChatRequest) -> tuple[str, str]:
        kind = kind_of(request)
        task = request.messages[-1]["content"]
        if kind == "instructions":
            script = self.instructions or self.default_instructions
            return script(call, request), "stop"
        if kind == "classify":
            return json.dumps({"is_classification": "Classify" in task}), "stop"
        if kind == "categorize":
            named = [answer for part, answer in self.categories.items() if part in task]
            category = named[0] if named else "classification" if "Classify" in task else "brainstorming"
            return json.dumps({"category": category}), "stop"
        if kind == "class_instances":
            return json.dumps(
                {
                    "instances": [
                        {"class_label": "Positive", "input": f"I loved it ({call})."},
                        {"class_label": "Negative", "input": f"It broke on day one ({call})."},
                    ]
                }
            ), "stop"
        return json.dumps(
            {
                "instances": [
                    {
                        "input": "<noinput>",
                        "output": f"Here are three facts, number {call}: one, two, three.",
                    },
                    {"input": f"for a class of {call} pupils", "output": "Fact one. Fact two. Fact three."},
                ]
            }
        ), "stop"

    def __call__(self, endpoint, config, journal, requests):
        results = []
        stats = LLMStats()
        for request in requests:
            call = len(self.asked)
            self.asked.append(request)
            if self.budget_after is not None and call >= self.budget_after:
                result = ChatResult(request, f"k{call}", None, error="budget")
                result.reason = "budget_exhausted"
                results.append(result)
                continue
            text, finish = self.answer(call, request)
            result = ChatResult(request, f"k{call}", text, finish)
            if text is None:  # the server refused the request
                result.reason = self.refusal_reason
            results.append(result)
        return results, stats

    def count(self, kind: str) -> int:
        return sum(kind_of(request) == kind for request in self.asked)


FAKE_BASE_URL = "http://127.0.0.1:9/v1"  # nothing listens: FakeLLM answers in its place


def list_the_fake_model(monkeypatch: Any) -> None:
    """Opening an endpoint asks it `/models`; at FAKE_BASE_URL the fake answers with its one
    model, other addresses are asked for real."""
    from pipeline.llm import discovery

    real = discovery.served_models

    def served_models(base_url: str, api_key: str, **kwargs: Any) -> list[discovery.ServedModel]:
        if base_url == FAKE_BASE_URL:
            return [discovery.ServedModel("fake-model", None)]
        return real(base_url, api_key, **kwargs)

    monkeypatch.setattr(discovery, "served_models", served_models)
