"""Prompt templates: Alpaca (with and without input), BELLE "Human:/Assistant:", the base
model's own chat template, or an alpaca-lora template JSON file (`prompt_input`,
`prompt_no_input`, `response_split`) that users bring from alpaca-lora's `templates/`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord
from pipeline.train.config import TEMPLATE_NAMES

ALPACA_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)
ALPACA_NO_INPUT = (
    "Below is an instruction that describes a task. Write a response that appropriately "
    "completes the request.\n\n### Instruction:\n{instruction}\n\n### Response:\n"
)
BELLE_WITH_INPUT = "Human: {instruction}\n{input}\n\nAssistant: "
BELLE_NO_INPUT = "Human: {instruction}\n\nAssistant: "


@dataclass(frozen=True)
class TrainingTemplate:
    """A text template for Alpaca records; `chat` means the tokenizer's chat template."""

    name: str
    with_input: str = ""
    no_input: str = ""
    chat: bool = False

    def render(self, record: AlpacaRecord) -> str:
        form = self.with_input if record.input else self.no_input
        return form.format(instruction=record.instruction, input=record.input)


BUILTIN = {
    "alpaca": TrainingTemplate("alpaca", ALPACA_WITH_INPUT, ALPACA_NO_INPUT),
    "belle": TrainingTemplate("belle", BELLE_WITH_INPUT, BELLE_NO_INPUT),
    "chat": TrainingTemplate("chat", chat=True),
}
assert tuple(BUILTIN) == TEMPLATE_NAMES


def _template_file(path: Path) -> TrainingTemplate:
    if not path.is_file():
        raise SeedforgeError("prompt template file not found", path=path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SeedforgeError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    missing = [key for key in ("prompt_input", "prompt_no_input") if not isinstance(data.get(key), str)]
    if missing:
        raise SeedforgeError(f"an alpaca-lora template needs string fields {missing}", path=path)
    for key in ("prompt_input", "prompt_no_input"):
        if "{instruction}" not in data[key]:
            raise SeedforgeError(f"{key} has no {{instruction}} placeholder", path=path)
    if "{input}" not in data["prompt_input"]:
        raise SeedforgeError("prompt_input has no {input} placeholder", path=path)
    return TrainingTemplate(path.stem, data["prompt_input"], data["prompt_no_input"])


def resolve_template(spec: str) -> TrainingTemplate:
    if spec in BUILTIN:
        return BUILTIN[spec]
    if spec.endswith(".json"):
        return _template_file(Path(spec))
    raise SeedforgeError(
        f"unknown prompt template {spec!r}; known: {', '.join(TEMPLATE_NAMES)}, "
        "or an alpaca-lora template .json file"
    )


def alpaca_as_messages(record: AlpacaRecord) -> list[dict[str, str]]:
    user = f"{record.instruction}\n\n{record.input}" if record.input else record.instruction
    return [{"role": "user", "content": user}, {"role": "assistant", "content": record.output}]


def render_prompt(record: AlpacaRecord, template: str, tokenizer: Any = None) -> str:
    """The prompt a user sends at inference: what the model sees before its answer."""
    resolved = resolve_template(template)
    if not resolved.chat:
        return resolved.render(record)
    require_chat_template(tokenizer)
    prompt: str = tokenizer.apply_chat_template(
        alpaca_as_messages(record)[:1], tokenize=False, add_generation_prompt=True
    )
    return prompt


def require_chat_template(tokenizer: Any) -> None:
    if tokenizer is None or not getattr(tokenizer, "chat_template", None):
        raise SeedforgeError(
            "the chat template is needed (template 'chat' or `messages` records) but the base "
            "model's tokenizer has none; use --template alpaca or belle with Alpaca records"
        )


def chat_segments(messages: list[dict[str, str]], tokenizer: Any) -> list[tuple[str, bool]]:
    """The rendered conversation cut into (text, is_assistant_answer) pieces whose
    concatenation is exactly the full rendering: each assistant answer is what follows the
    generation prompt for its turn, so training sees the prompt that inference will send."""
    require_chat_template(tokenizer)

    def render(upto: int, generation_prompt: bool) -> str:
        rendered: str = tokenizer.apply_chat_template(
            messages[:upto], tokenize=False, add_generation_prompt=generation_prompt
        )
        return rendered

    pieces: list[tuple[str, bool]] = []
    done = ""
    for turn, message in enumerate(messages):
        # an assistant turn that opens the conversation has no prompt to answer (templates
        # cannot render an empty one): it stays context, like a system message
        answer = message["role"] == "assistant" and turn > 0
        if answer:
            prompt = render(turn, True)
            _check_prefix(done, prompt, turn)
            pieces.append((prompt[len(done) :], False))
            done = prompt
        full = render(turn + 1, False)
        _check_prefix(done, full, turn)
        pieces.append((full[len(done) :], answer))
        done = full
    return [(text, answer) for text, answer in pieces if text]


def _check_prefix(done: str, longer: str, turn: int) -> None:
    if not longer.startswith(done):
        raise SeedforgeError(
            f"the chat template rewrites earlier turns (at message {turn}), so assistant turns "
            "cannot be located for the loss mask; use Alpaca records with --template alpaca"
        )
