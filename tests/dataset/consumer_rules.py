"""What the tools that read our exports demand, written from their documentation rather than
from seedforge's writers, so the tests check the files against the consumer, not against
themselves.

- OpenAI's chat fine-tuning files: one JSON object per line with a `messages` list; roles
  system, user, assistant; an optional system message first, then user and assistant
  alternating from the user, ending with the assistant; no empty content.
- LLaMA-Factory's `dataset_info.json` (its data/README.md and data/parser.py): every entry names
  a `file_name` in the folder, a `formatting` of alpaca or sharegpt, `columns` from the
  formatting's own list and, for sharegpt, `tags` from the tag list; once `columns`/`tags` are
  given the missing ones count as absent, so the columns must name keys the rows have. ShareGPT
  rows: a system message (system tag) may come first, then the user tag at odd positions and
  the assistant tag at even ones, an even number of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OPENAI_ROLES = {"system", "user", "assistant"}
LF_FORMATTINGS = {"alpaca", "sharegpt"}
LF_COMMON_COLUMNS = {"system", "tools", "images", "videos", "audios", "chosen", "rejected", "kto_tag"}
LF_COLUMNS = {
    "alpaca": LF_COMMON_COLUMNS | {"prompt", "query", "response", "history"},
    "sharegpt": LF_COMMON_COLUMNS | {"messages"},
}
LF_TAGS = {
    "role_tag",
    "content_tag",
    "user_tag",
    "assistant_tag",
    "observation_tag",
    "function_tag",
    "system_tag",
}
# LLaMA-Factory's defaults for the keys an entry leaves out when it gives no columns / tags
LF_DEFAULT_ALPACA = {"prompt": "instruction", "query": "input", "response": "output"}
LF_DEFAULT_TAGS = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
    "system_tag": "system",
}


def openai_line_problems(line: str) -> list[str]:
    try:
        row = json.loads(line)
    except ValueError as exc:
        return [f"not JSON: {exc}"]
    if not isinstance(row, dict) or set(row) != {"messages"}:
        return [f"expected an object with only 'messages', got {row!r:.80}"]
    messages = row["messages"]
    if not isinstance(messages, list) or not messages:
        return ["messages is not a non-empty list"]
    problems = []
    for i, message in enumerate(messages):
        if set(message) != {"role", "content"}:
            problems.append(f"message {i} has keys {sorted(message)}")
            continue
        if message["role"] not in OPENAI_ROLES:
            problems.append(f"message {i} has role {message['role']!r}")
        if not isinstance(message["content"], str) or not message["content"].strip():
            problems.append(f"message {i} has empty content")
    if problems:
        return problems
    roles = [m["role"] for m in messages]
    if "system" in roles[1:]:
        problems.append("a system message after the first")
    turns = roles[1:] if roles[0] == "system" else roles
    expected = ["user" if i % 2 == 0 else "assistant" for i in range(len(turns))]
    if turns != expected:
        problems.append(f"roles {turns} do not alternate user/assistant from the user")
    if not turns or turns[-1] != "assistant":
        problems.append("does not end with the assistant")
    return problems


def _rows(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    rows = json.loads(text)
    assert isinstance(rows, list)
    return rows


def _sharegpt_row_problems(row: dict[str, Any], column: str, tags: dict[str, str]) -> list[str]:
    messages = row.get(column)
    if not isinstance(messages, list):
        return [f"no list under {column!r}"]
    role, content = tags["role_tag"], tags["content_tag"]
    if any(role not in m or content not in m for m in messages):
        return [f"a message without {role!r} or {content!r}"]
    if messages and tags.get("system_tag") and messages[0][role] == tags["system_tag"]:
        messages = messages[1:]
    problems = []
    for i, message in enumerate(messages):
        wanted = tags["user_tag"] if i % 2 == 0 else tags["assistant_tag"]
        if message[role] != wanted:
            problems.append(f"turn {i} is {message[role]!r}, expected {wanted!r}")
    if len(messages) % 2:
        problems.append("an odd number of turns")
    return problems


def _sharegpt_entry_problems(columns: dict[str, str] | None, tags: dict[str, str] | None) -> list[str]:
    """Given columns or tags, LLaMA-Factory reads every one left out as None."""
    problems = []
    if columns is not None and not columns.get("messages"):
        problems.append("columns give no 'messages'")
    if tags is not None:
        missing = [t for t in ("role_tag", "content_tag", "user_tag", "assistant_tag") if not tags.get(t)]
        problems += [f"tags give no {t!r}" for t in missing]
    return problems


def _alpaca_row_problems(row: dict[str, Any], columns: dict[str, str]) -> list[str]:
    if not columns.get("prompt") or not columns.get("response"):
        return ["columns give no 'prompt' or 'response'"]
    problems = [f"no key {key!r}" for key in columns.values() if key not in row]
    if problems:
        return problems
    if not isinstance(row[columns["prompt"]], str) or not isinstance(row[columns["response"]], str):
        problems.append("prompt or response is not a string")
    history = columns.get("history")
    if history and not all(isinstance(p, list) and len(p) == 2 for p in row[history]):
        problems.append("history is not a list of [prompt, response] pairs")
    return problems


def llama_factory_problems(folder: Path) -> list[str]:
    """Everything in folder/dataset_info.json that LLaMA-Factory would refuse or misread."""
    info = json.loads((folder / "dataset_info.json").read_text(encoding="utf-8"))
    problems: list[str] = []
    for name, entry in info.items():
        where = f"{name}: "
        file_name = entry.get("file_name")
        if not file_name or not (folder / file_name).is_file():
            problems.append(where + f"file_name {file_name!r} is not a file in the folder")
            continue
        formatting = entry.get("formatting", "alpaca")
        if formatting not in LF_FORMATTINGS:
            problems.append(where + f"formatting {formatting!r}")
            continue
        columns = entry.get("columns")
        if columns is not None and set(columns) - LF_COLUMNS[formatting]:
            problems.append(where + f"columns {sorted(set(columns) - LF_COLUMNS[formatting])} unknown")
        tags = entry.get("tags")
        if tags is not None and (formatting != "sharegpt" or set(tags) - LF_TAGS):
            problems.append(where + f"tags {tags} not for {formatting}")
        rows = _rows(folder / file_name)
        if not rows:
            problems.append(where + "no rows")
        for number, row in enumerate(rows, start=1):
            if formatting == "alpaca":
                found = _alpaca_row_problems(row, columns or LF_DEFAULT_ALPACA)
            else:
                found = _sharegpt_entry_problems(columns, tags) or _sharegpt_row_problems(
                    row, (columns or {"messages": "conversations"})["messages"], tags or LF_DEFAULT_TAGS
                )
            problems += [where + f"row {number}: {p}" for p in found]
    return problems
