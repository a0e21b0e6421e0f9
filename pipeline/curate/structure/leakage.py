"""Prompt leakage: a record that carries the generation prompt instead of a task — a run of words
from one of the shipped prompts (in any template language), or the prompt's subject paraphrased
(a "series of tasks", "the above examples", "<noinput>").

A small model imitating a self-instruct prompt often writes about the prompt ("You create a
series of tasks that cover different topic areas…") rather than writing a task."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from pipeline.curate.pattern_screen import Screened, screened, screened_alternatives, tokens
from pipeline.text import tokenize

WORD_NGRAM = 5  # words of a space-delimited language
CJK_NGRAM = 8  # characters of Chinese
_I = re.IGNORECASE

_TALK_ABOUT_THE_PROMPT = screened_alternatives(  # read for its whole match only
    r"\b(?:series|list|set|number|variety|couple) of (?:\w+ ){0,3}?(?:tasks|task instructions)\b"
    r"|\b(?:come|came|coming) up with (?:\w+ ){0,4}?(?:tasks|instructions|examples)\b"
    r"|\b(?:invent\w*|creat\w*|writ\w*|generat\w*|com\w* up with) (?:\w+ ){0,3}"
    r"tasks for an? (?:ai )?assistant\b"
    r"|\btasks (?:that )?people (?:ask|give) an? (?:ai )?assistant\b|\b(?:\d+|\w+) more tasks\b"
    r"|\bthe (?:first|second|third|fourth|fifth|sixth|next|last|previous|\d+(?:st|nd|rd|th)) task\b"
    r"|\b(?:adher\w* to|follow\w*|under|with) (?:this|these|the above|the given) constraints?\b"
    r"|\bgiven task description\b|\bthe new tasks\b|\b(?:tasks|examples|instructions) (?:above|below)\b"
    r"|\b(?:following|next|other|new|remaining) tasks should\b"
    r"|\binstructions? (?:that )?an? (?:ai )?assistant (?:might|could|would|may) (?:receive|get|be given)\b"
    r"|^\s*(?:task|example)\s*\d+\s*(?:\([^)\n]{1,30}\)\s*)?:|\bis it classification\b"
    r"|\bis this a classification task\?"
    r"|\btasks? (?:that )?(?:an? |the )?(?:real |actual |typical )?(?:people|users?|humans?|someone) "
    r"(?:would |might |could |may |often )?(?:ask|give|send) (?:to )?(?:an? |the |your )?(?:ai )?"
    r"assistants?\b"
    # the requirements of a self-instruct prompt, in its usual words (not words a recipe, a CPU
    # or an HTML form also uses: "the instructions should be numbered", "an input field")
    r"|\bnot all instructions require\b"
    r"|\binstructions? should be (?:in english|in chinese|1 to 2|one or two)\b"
    r"|\binput field should contain\b|\bthis task has no input\b"
    r"|\b(?:verb|instruction|task)s?\b[^.\n]{0,30}\bto maximi[sz]e diversity\b"
    r"|\bgiven to an? (?:gpt|language model|ai model|model)\b"
    r"|\b(?:with|has) an input of (?:less|fewer|more) than\b"
    r"|^\s*generate an? (?:new )?task (?:in which|where|that|for an? (?:ai )?assistant)\b"
    r"|\bappropriate response to the instruction\b"
    r"|\b(?:must|should|do) not repeat the examples\b|\binstruction should be one or two sentences\b"
    r"|\byour (?:task|job) is to (?:\w+ ){0,3}?(?:create|come up with|write|generate|invent|present|list)"
    r" (?:\w+ ){0,4}?(?:tasks|instructions)\b"
    r"|\b(?:new|diverse|different|following|above|these|those|first|next) (?:\w+ ){0,2}?tasks\b"
    r"(?= (?:that|which|based|from|cover|are|can|to be|for an?(?: ai)? assistant))"
    r"|\bthe (?:above|previous|preceding|given examples?|examples above)\b"
    r"|\b(?:above|previous|preceding) (?:\w+ )?(?:tasks?|examples?|questions?|instructions?)\b"
    r"|\bhere (?:is|are) (?:\w+ ){0,2}?(?:tasks|examples of tasks|new tasks)\b"
    r"|\b(?:with|in) one key\b|\banswer (?:only )?in json\b"
    r"|\bexample \d+\s*$"
    r"|<\s*no\s*input\s*>|<无输入>"
    # the prompt's bookkeeping and requirements, copied into a task or an answer: "Task 12 of 20
    # (topic: …, type: …)", "Task type: classification (yes)", "Avoid tasks that require images",
    # "Make sure the input provides substantive content", the Alpaca preamble, a note to the reviewer
    r"|\btask \d+ (?:of|/) \d+\b|^\s*(?:task )?type\s*:\s*(?:classification|open|generation)\b"
    r"|\bclassification \((?:yes|no)\)|\(topic:[^)\n]{1,40},\s*type:"
    r"|\bavoid (?:\w+ ){0,2}?(?:tasks|instructions) that (?:require|need|involve)\b"
    r"|\b(?:tasks|instructions) that (?:require|need) (?:\w+ ){0,2}?"
    r"(?:images|audio|video|visual|browsing)\b"
    r"|\bmake sure (?:the|each|every) (?:input|output|instruction|task)s? (?:field )?"
    r"(?:is|are|provides?|contains?|has)\b"
    r"|\brather than (?:just )?a placeholder\b"
    r"|\bbelow is an instruction that describes a task\b|\bappropriately completes the request\b"
    r"|\bnote to (?:the )?(?:reviewer|grader|annotator|evaluator|checker)s?\b"
    r"|\bi (?:kept|made|wrote) (?:this|the) (?:task|instruction|output|answer)\b[^.\n]{0,60}"
    r"\bas (?:requested|instructed|asked)\b"
    r"|\bthe next (?:instruction|task|example|prompt) in the list\b|\bnow do the same for the next\b"
    r"|\b(?:task|instruction) (?:with|has|needs|requires|takes) no input\b"
    r"|\ba good (?:output|response|answer) (?:would|should|will|might) (?:be|include|contain)\b"
    r"|\b(?:left|leave|leaving) the input (?:field )?(?:empty|blank)\b",
    _I | re.MULTILINE,
)
_TALK_ABOUT_THE_PROMPT_ZH = screened(
    r"一系列(?:的)?任务|(?:\d+|[一二三四五六七八九十几]+)个新任务|新任务|任务指令|多样化?的任务|想出一组|^\s*任务\s*\d+\s*[:：]|(?:下面|以下|后面|接下来)的?任务(?:在|都|要|应|需)"
    r"|AI助手可能收到的|(?:各类|各种)指令清单|第[一二三四五六七八九十\d]+个任务|(?:这个|上述|以上)(?:限制|约束)条件|给定(?:的)?任务描述|任务的列表|(?:让|请)?AI助手完成的|多样[、，和]?真实的任务|(?:上述|以上|上面的?)\w{0,3}(?:任务|例子|示例)"
    r"|(?:为|给)AI助手(?:编写|编造|设计|想出)|真实(?:的)?任务|给定的示例|前[几五三十\d]+个任务|下面是一些(?:例子|示例)|以下是一些(?:例子|示例)"
    r"|不要重复(?:上面的)?(?:例子|示例)|用\s*JSON\s*回答|只有一个键|这是分类任务吗|是不是分类任务|一到两句"
    r"|^\s*任务\s*\d+\s*（[^）\n]{1,10}）\s*[:：]"
    r"|(?:不要|别|勿|不能)(?:和|与|跟)(?:上面的|以上的)?(?:例子|示例)重复"
    r"|用户(?:会|可能|常常?)?(?:让|请|要求|叫)(?:AI)?助手(?:做|完成|帮)"
    r"|指令(?:要|应|应该|需要?|必须)?用(?:中文|英文)(?:书写|写)|指令(?:要|应|应该)多样|对指令和输入的恰当回应"
    r"|(?:这个|该)任务的(?:输出|输入)(?:应|要|应该|需要)|输出(?:要|应|应该|应为|需要?|必须)(?:是|为)?(?:恰当|一句完整)"
    r"|(?:编写|写出?|想出|列出)(?:\d+|[一二三四五六七八九十几]+)个(?:新的?)?(?:任务|指令)"
    r"|任务编号\s*[:：]|类型\s*[:：]\s*(?:开放式|分类|生成|问答)|种子任务|每条任务|输入字段|输出字段"
    r"|(?:本|该|这个)任务(?:不需要|无需|没有|不用)输入|模型无法(?:输出|生成|完成|处理)"
    r"|指令(?:不能|不要|不应|不得|不可)涉及|(?:希望|但愿)(?:这些|以上|上述)任务"
    r"|(?:更多|其他)(?:不同)?(?:类型|种类)的任务|再出一道(?:新)?题|仿照(?:上面|以上|示例|种子)",
    _I | re.MULTILINE,
)


def _is_character(token: str) -> bool:
    """A CJK character: `tokenize` makes each one a token of its own."""
    return len(token) == 1 and not token.isascii()


def _size(run: list[str]) -> int:
    """The n-gram length of a run (see `_runs`: all characters or all words)."""
    return CJK_NGRAM if run and _is_character(run[0]) else WORD_NGRAM


def _ngrams(run: list[str]) -> set[tuple[str, ...]]:
    size = _size(run)
    return {tuple(run[i : i + size]) for i in range(len(run) - size + 1)}


def _runs(text: str) -> list[list[str]]:
    """Token runs in which one n-gram size applies: CJK characters, or words."""
    if text.isascii():  # words only (NFKC keeps ASCII ASCII)
        words = list(tokens(text))
        return [words] if words else []
    runs: list[list[str]] = [[]]
    for token in tokens(text):
        if runs[-1] and _is_character(runs[-1][-1]) != _is_character(token):
            runs.append([])
        runs[-1].append(token)
    return [run for run in runs if run]


_FIELD = re.compile(r"\{\w+\}")


def _template_lines() -> list[str]:
    raw = resources.files("pipeline.curate.structure").joinpath("template_texts.json").read_text("utf-8")
    return [line for lines in json.loads(raw).values() for line in lines]


# a prompt line opening like an ordinary task ("Write the patient's next …"): its first n-gram is
# what a real task says too, so only the words after it count as the prompt's
_TASK_VERBS = frozenset(
    {"write", "give", "list", "name", "explain", "describe", "answer", "summarise", "summarize"}
)


@lru_cache(maxsize=1)
def template_ngrams() -> frozenset[tuple[str, ...]]:
    """N-grams of the fixed text of every shipped prompt (see pipeline.generate.template_texts)."""
    grams: set[tuple[str, ...]] = set()
    for line in _template_lines():
        for index, piece in enumerate(_FIELD.split(line)):
            for number, run in enumerate(_runs(piece)):
                found = _ngrams(run)
                if index == number == 0 and run[0].lower() in _TASK_VERBS:
                    found.discard(tuple(run[: _size(run)]))
                grams |= found
    return frozenset(grams)


@lru_cache(maxsize=1)
def _template_words() -> frozenset[str]:
    return frozenset(token for gram in template_ngrams() for token in gram)


def _template_grams(run: list[str]) -> set[tuple[str, ...]]:
    """The run's n-grams that are template n-grams: `_ngrams(run) & template_ngrams()`, with
    a tuple built only where `size` words in a row are template words."""
    size = _size(run)
    grams, words = template_ngrams(), _template_words()
    found: set[tuple[str, ...]] = set()
    streak = 0
    for end, token in enumerate(run, start=1):
        streak = streak + 1 if token in words else 0
        if streak >= size and (gram := tuple(run[end - size : end])) in grams:
            found.add(gram)
    return found


@lru_cache(maxsize=1)
def template_patterns() -> tuple[Screened, ...]:
    """Short prompt lines with a format field ("Write {count} different examples."), as patterns
    whose field matches a few words: too short for n-grams, too telling to let pass."""
    patterns = []
    for line in _template_lines():
        parts = _FIELD.split(line)
        fixed = [found for part in parts if (found := tokenize(part))]
        if fixed and fixed[0][:1] == ["请"]:
            fixed[0] = fixed[0][1:]  # a polite "please" the copy may drop
        if len(fixed) < 2 or sum(map(len, fixed)) >= 2 * WORD_NGRAM or sum(map(len, fixed)) < 3:
            continue
        words = [r"\W*".join(re.escape(token) for token in tokens) for tokens in fixed]
        body = r"[^\n]{1,30}?".join(words)  # a field: a few words, within one line
        patterns.append(screened(body, _I))
    return tuple(patterns)


# legitimate in an answer ("Here are some examples of metaphors:"), not in a task
_INTRODUCES_EXAMPLES = screened(
    r"\b(?:here are|below are|following are) (?:some|a few|\w+) examples\s*[:.]"
    r"|以下是一些例子|下面是一些例子",
    _I,
)


# a task never opens on numbered examples of other tasks ("Examples: 1) … 2) … Now …")
_EXAMPLES_FIRST = screened(
    r"^\s*(?:examples?|samples?)\s*:\s*\(?1\s*[.)]|^\s*(?:示例|例子|样例|范例)\s*[:：]\s*[(（]?(?:1|一)\s*[.)）、]",
    _I,
)
# an answer that ends by talking about the generation request: "This is not a classification
# task.", "(None of the example tasks were repeated.)"
# an instruction that is a prompt's record: "指令：…" opening a line of it
_LABELLED_TASK = screened(
    r"^\s*(?:指令|instruction)\s*[:：]|^\s*(?:示例|例子|样例)\s*\d+\s*$", _I | re.MULTILINE
)
_TALK_ABOUT_THE_TASK = screened(
    r"\b(?:this|it) is (?:not )?an? (?:non-)?classification task\b"
    r"|\b(?:repeat\w*|duplicat\w*|cop(?:y|ied|ying)) (?:any |the )?(?:example|sample) tasks?\b"
    r"|\b(?:none|neither) of the (?:example|sample) tasks\b"
    r"|(?:这|它|此)(?:不|并不)?是(?:一个|一项|一道)?(?:非)?分类任务(?![吗?？])|(?:和|与|跟)示例(?:不)?重复",
    _I,
)
_ABOUT_TASKS = screened(
    r"classif|example|sample|repeat|task|machine learning|model|分类|示例|例子|重复|任务|模型", _I
)


def talk_about_the_task(answer: str, instruction: str) -> str | None:
    """Words in an answer about the generation request itself, when the task is not about
    classification or examples."""
    found = _TALK_ABOUT_THE_TASK.search(answer)
    if found is None or _ABOUT_TASKS.search(instruction):
        return None
    return found.group(0)


_FIELD_LABEL = screened(
    r"\b(question|answer|output|response|input|instruction|context)\s*:|(问题|回答|输出|输入|指令)\s*[:：]",
    _I,
)


def leaked(text: str, instruction: bool = False) -> str | None:
    """The leaked words, when `text` carries a piece of a generation prompt or talks about it.
    `instruction`: the text is a task, which never introduces examples of tasks itself."""
    if instruction:
        found = (
            _INTRODUCES_EXAMPLES.search(text) or _EXAMPLES_FIRST.search(text) or _LABELLED_TASK.search(text)
        )
        if found:
            return found.group(0)
        labels = {label.lower() for pair in _FIELD_LABEL.findall(text) for label in pair if label}
        if len(labels) >= 2:  # "Question: … Output: … Response: …": a transcript, not a task
            return ", ".join(sorted(labels))
    for pattern in template_patterns():
        found = pattern.search(text)
        if found:
            return found.group(0)
    for run in _runs(text):
        shared = _template_grams(run)
        if shared:
            gram = min(shared)  # the first in sorted order, as the evidence always named
            return ("" if _is_character(gram[0]) else " ").join(gram)
    match = _TALK_ABOUT_THE_PROMPT.search(text) or _TALK_ABOUT_THE_PROMPT_ZH.search(text)
    return match.group(0).strip() if match else None
