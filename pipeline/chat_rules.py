"""The rules every chat consumer shares (OpenAI's fine-tuning files, LLaMA-Factory's sharegpt
reader): an optional system message first, then user and assistant turns alternating from the
user, ending with the assistant, no empty content. Curation drops what breaks them; export
refuses it."""

from __future__ import annotations


def chat_problem(messages: list[dict[str, str]]) -> str | None:
    """What breaks the shared chat rules in `messages`, or None when they hold."""
    for position, message in enumerate(messages):
        if message["role"] not in ("system", "user", "assistant"):
            return f"message {position} has role {message['role']!r} (system, user or assistant)"
        if not message["content"].strip():
            return f"message {position} ({message['role']}) is empty"
        if message["role"] == "system" and position > 0:
            return f"message {position} is a system message; only the first may be"
    turns = messages[1:] if messages and messages[0]["role"] == "system" else messages
    if not turns:
        return "no user or assistant message"
    offset = len(messages) - len(turns)
    for index, message in enumerate(turns):
        expected = "user" if index % 2 == 0 else "assistant"
        if message["role"] != expected:
            return (
                f"message {index + offset} is {message['role']}, expected {expected} "
                "(user and assistant alternate, the user first)"
            )
    if turns[-1]["role"] != "assistant":
        return "the last message is the user's; it must be the assistant's answer"
    return None
