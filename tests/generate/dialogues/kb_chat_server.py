"""Scripted answers for dialogue tests, served by the project's FaultServer: each turn request
is answered from the prompt itself (a patient message from the listed symptoms, a doctor reply
from the <kb_entry> block), so tests script grounded and ungrounded answers deterministically."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from tests.support.fault_server import FaultServer

Responder = Callable[[str, dict[str, Any]], str]  # (schema field, request body) -> its text


def schema_of(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema a request asks for, in llama.cpp's form or OpenAI's."""
    response_format = body.get("response_format") or {}
    return response_format.get("schema") or (response_format.get("json_schema") or {}).get("schema") or {}


def entry_fields(body: dict[str, Any]) -> dict[str, str]:
    """`field: value` lines of the <kb_entry> block in the last user message."""
    content = body["messages"][-1]["content"]
    match = re.search(r"<kb_entry>\n(.*?)\n</kb_entry>", content, re.DOTALL)
    if not match:
        return {}
    return dict(line.split(": ", 1) for line in match.group(1).splitlines() if ": " in line)


def grounded_answer(key: str, body: dict[str, Any]) -> str:
    """A well-behaved model: the listed symptoms, then the entry's condition, tests and drugs.
    Mostly entry words, little boilerplate: dialogues of different entries are not near
    duplicates of each other."""
    if key == "safety_note":
        return "Urgent care if worse."
    if key in ("patient_message", "customer_message", "user_question"):
        prompt = body["messages"][-1]["content"]
        follow_up = re.match(r'The \w+ said: ".*"\n\n.* asks (.*?)\.?$', prompt, re.DOTALL)
        if follow_up:  # a later turn: the question the prompt asks for, not the reply it quotes
            return f"Doctor, could you tell me {follow_up.group(1)}?"
        asked = prompt.splitlines()[0].split(": ", 1)[-1]
        return f"Doctor, {asked}?"
    fields = entry_fields(body)
    name = fields.get("condition") or fields.get("title") or "it"
    tests, drugs = fields.get("tests", "an examination"), fields.get("medications", "rest")
    return f"Likely {name}: {fields.get('causes', '')}. Tests: {tests}. Take {drugs}."


def kb_chat_server(responder: Responder = grounded_answer) -> FaultServer:
    """The project's scripted server, answering every field of the requested schema."""

    def answer(body: dict[str, Any]) -> str:
        keys = list(schema_of(body).get("properties", {})) or ["text"]
        return json.dumps({key: responder(key, body) for key in keys})

    return FaultServer(responder=answer)


def bodies(server: FaultServer) -> list[dict[str, Any]]:
    return [received.body for received in server.received]
