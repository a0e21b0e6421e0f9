"""JSON and markup debris: the seams of the answer format left inside a field (`}, {`,
`"output": "`, a stray closing brace, an HTML tag or escaped entity, a literal `\\n`).

A field that is meant to hold JSON, code or markup (the task asks for it, or the text parses as
JSON) may contain braces; there only the seams between two generated items count."""

from __future__ import annotations

import json
import re

from pipeline.curate.pattern_screen import screened

_SEAM = screened(
    r"\}\s*,\s*\{|\"\s*\}\s*,?\s*$|\}\s*\]\s*\}?\s*$|^\s*\{\s*\"|\"\s*:\s*\"\s*$"
    r"|\"(?:instruction|input|output|instances|instructions|label|is_classification)\"\s*:"
    r"|\\n|\\\"|</?(?:p|div|br|span|li|ul|ol|b|i|strong|em|html|body|code|pre)\s*/?>|```|<!--"
    # a field label or YAML block marker opening the answer: "output: |", "response:"
    r"|^\s*(?:output|response|输出|回答)\s*[:：]\s*\|?\s*\n"
    r"|&(?:lt|gt|amp|quot|apos|nbsp|#\d{2,5}|#x[0-9a-f]{2,4});"  # escaped markup: "&lt;br&gt;"
    # a chat template's special tokens, a record's field tags, an escaped character left escaped
    r"|<\|[a-z_]{2,20}\|>|</?s>|\[/?INST\]|<</?SYS>>|(?<=[^\W\d_])\\u[0-9a-f]{4}"
    r"|</?(?:instruction|input|output|response|record|task|answer|question)>",
    re.IGNORECASE | re.MULTILINE,
)
_BETWEEN_ITEMS = screened(
    r"\}\s*,\s*\{\s*\"?(?:instruction|input|output|label)|\"(?:instruction|input|output|label)\"\s*:"
    r"|\}\s*,\s*\{\s*$|^\s*[,;)}\]]"
)
# doubled punctuation (".," "..", not an ellipsis) and a log-line date or path where a task begins
_DOUBLED = screened(
    r"(?<![.])[.,;:][,;]|(?<![.])\.\.(?![.])|^\s*\d{4}-\d{2}-\d{2}\b|^\s*\d+/[a-z_]+/"
    r"|[A-Za-z0-9] +[.,](?=\s|$)"  # "24 ." : a space before a full stop or comma
)
_TORN_START = re.compile(r"^\s*[,;)}\]]|^\s*\"[^\"\n]+\"\s*,\s*$")  # '"Describe the rain.",'
_STRAY = screened(r"(?:^|\s)[{}\]]+\s*$|\{\s*\}+|\}\}|\{\s*$|^\s*\}")
_PAIRS = {"}": "{", "]": "[", ")": "(", "”": "“", "】": "【", "）": "（"}


def _balanced(text: str) -> bool:
    stack: list[str] = []
    for char in text:
        if char in "{[(“【（":
            stack.append(char)
        elif char in _PAIRS:
            if not stack or stack.pop() != _PAIRS[char]:
                return False
    return not stack


def is_json(text: str) -> bool:
    stripped = text.strip()
    if stripped[:1] not in "{[":
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return False
    return True


# the answer wrapped in a JSON object of one field-named key: {"response": "…"}
_WRAPPER_KEYS = frozenset({"response", "answer", "output", "text", "result", "回答", "答案", "输出", "回复"})


def _wrapped(text: str) -> str | None:
    try:
        value = json.loads(text.strip())
    except ValueError:
        return None
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        if key.lower() in _WRAPPER_KEYS and isinstance(value[key], str):
            return f'{{"{key}": …}}'
    return None


def debris(text: str, structured: bool) -> str | None:
    """The debris found in `text`, or None. `structured`: the field may hold JSON, code or markup."""
    if not text.strip():
        return None
    if is_json(text):
        return None if structured else _wrapped(text)
    if structured:
        match = _BETWEEN_ITEMS.search(text)
        return match.group(0) if match else None
    match = _SEAM.search(text) or _STRAY.search(text) or _TORN_START.search(text) or _DOUBLED.search(text)
    if match:
        return match.group(0).strip() or match.group(0)
    if text.count('"') % 2 and ('"' in text.rstrip()[-2:] or text.lstrip().startswith('"')):
        return text.strip()[:12] if text.lstrip().startswith('"') else text.rstrip()[-12:]
    if any(char in text for char in "{}[]") and not _balanced(text):
        return next(char for char in text if char in "{}[]")
    return None
