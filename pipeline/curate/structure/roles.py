"""Role confusion: an output that is not the answer's voice — the input again (nearly), carried
on from where the input stopped, the input's speaker talking again (by label, or in the first
person saying what the input said), or the instruction asked back."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.curate.rouge import rouge_l_f1_fast as rouge_l_f1
from pipeline.curate.structure.asks import Asks
from pipeline.curate.structure.screen import screened, tokens
from pipeline.text import cjk_ratio

_LEADING_MARKER = re.compile(r"^\s*(?:\d{1,2}[.)、]|[-*•])\s*")

# an answer that is itself a task: "Explain the meaning of the idiom …" for "What does … mean?"
_IMPERATIVE = screened(
    r"^\s*(?:please\s+)?(?:explain|describe|write|list|give|tell|name|summari[sz]e|define|translate|"
    r"identify|find|classify|calculate)\b|^\s*(?:请)?(?:解释|描述|说明|写|列出|给出|概括|翻译|计算|判断)",
    re.IGNORECASE,
)
_SPEAKER = re.compile(r"^\s*([^\W\d][\w ]{0,20}?)\s*[:：]")
# labels of a document's parts, not of a speaker: an email's "Subject:" kept in its rewrite
_NOT_A_SPEAKER = frozenset(
    """subject title ingredients instructions steps step note notes date to from re cc summary question
answer input output example examples tip tips warning method description name address 评语 标题 主题
题目 日期 备注 注意 步骤 材料 配料 摘要 问题 答案 输入 输出 例子 示例 地址 名称""".split()
)
_ASKS_FOR_QUESTIONS = screened(r"question|quiz|ask|interview|riddle|提问|问题|问句|疑问", re.I)


def may_reach(a: Sequence[str], b: Sequence[str], numerator: int, denominator: int) -> bool:
    """Whether ROUGE-L F1 of `a` and `b` can reach numerator/denominator: F1 = 2·LCS/(|a|+|b|)
    and the LCS is at most the shorter list. Compared in integers, a bound below the threshold
    falls short by at least 1/(denominator·(|a|+|b|)), far more than a float's rounding."""
    return 2 * min(len(a), len(b)) * denominator >= numerator * (len(a) + len(b))


# the task names who is to answer: "As the tutor, …", "Reply as the coach …", "以酒店的口吻回复"
# (not the form of the answer: "… as a tweet", "… as a list")
_FORMS = (
    r"(?!(?:tweet|list|table|poem|haiku|summary|paragraph|email|e-mail|letter|story|json|bullet|"
    r"headline|title|question|sentence|slogan|song|limerick|riddle|dialogue|script|report|memo)s?\b)"
)
_PERSONA = screened(
    rf"\b(?:reply|respond|answer|write|speak|act|pretend)\b[^.?!\n]{{0,30}}?\bas (?:the|a|an) {_FORMS}\w+"
    rf"|^\s*as (?:the|a|an) {_FORMS}\w+[^,.\n]{{0,20}},"
    r"|作为[\u4e00-\u9fff]{1,8}[，,]|以[\u4e00-\u9fff]{1,8}的(?:身份|口吻|角度|语气)|扮演[\u4e00-\u9fff]{1,8}",
    re.IGNORECASE,
)
# a reply to someone: "reply", "respond", "answer the patient's question" (not "answer the question")
_ASKS_A_REPLY = screened(
    r"\b(?:reply|respond)\b|\banswer (?:the|this) \w+'s\b|回复|答复|回应"
    r"|回答(?:这位|该|那位)?[\u4e00-\u9fff]{1,4}的(?:问题|提问|留言)",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|[Mm]y|[Mm]e|[Ww]e|[Oo]ur)\b|我")
_ADDRESSED = re.compile(r"\b(?:you|your|yours|you're|you've)\b|你|您", re.IGNORECASE)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def _shared_share(given: str, said: str) -> float:
    """The share of the input's content (words; Chinese: character pairs) that the output says again."""
    if cjk_ratio(given) > 0.5:
        pairs = {run[i : i + 2] for run in _CJK_RUN.findall(given) for i in range(len(run) - 1)}
        return sum(pair in said for pair in pairs) / len(pairs) if pairs else 0.0
    words = content_words(given)
    return len(words & content_words(said)) / len(words) if len(words) >= 3 else 0.0


# the speaker going on: "Also, my laptop…", "I also wanted to ask…", "而且楼上…"
_GOES_ON = screened(
    r"^\s*(?:also|and|plus|besides|moreover|i (?:also|'d also|would also)|i'd also|oh,? and)\b"
    r"|^\s*(?:而且|另外|还有|并且|况且|再说|我也|我还)",
    re.IGNORECASE,
)
_FIRST_PERSON_SINGULAR = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|[Mm]y|[Mm]e)\b|我(?!们)")


def _speaks_for_the_input(instruction: str, given: str, said: str) -> dict[str, object] | None:
    """A reply the task asks for that is, instead, the input's speaker talking again: in the
    first person, addressing no one, and either saying over half of what the input said or
    going on from it ("Also, …", "而且…")."""
    persona = _PERSONA.search(instruction)
    if not (persona or _ASKS_A_REPLY.search(instruction)) or not _FIRST_PERSON.search(said):
        return None
    if _ADDRESSED.search(said) or not (persona or _FIRST_PERSON.search(given)):
        return None
    if _FIRST_PERSON_SINGULAR.search(given) and _GOES_ON.search(said):
        return {"speaks_as": "the input's speaker", "goes_on": said.strip()[:30]}
    shared = _shared_share(given, said)
    return {"speaks_as": "the input's speaker", "shares": round(shared, 2)} if shared >= 0.5 else None


def role_confusion(instruction: str, given: str, said: str, asks: Asks) -> dict[str, object] | None:
    """The output is the input again (nearly), carries on from it, speaks as the input's
    speaker, or asks the instruction back."""
    said_tokens, given_tokens = tokens(_LEADING_MARKER.sub("", said)), tokens(given)
    if not said_tokens:
        return None
    speaker, answerer = _SPEAKER.match(given), _SPEAKER.match(said)
    same_speaker = (
        speaker is not None
        and answerer is not None
        and speaker.group(1).casefold() == answerer.group(1).casefold()
        and speaker.group(1).casefold().strip() not in _NOT_A_SPEAKER
    )
    if same_speaker and _PERSONA.search(instruction):  # an edit task too: the named role never speaks
        return {"speaks_as": speaker.group(1)}  # type: ignore[union-attr]
    if asks.copy_allowed:
        return None
    if given_tokens:
        if len(said_tokens) >= 0.8 * len(given_tokens) and may_reach(given_tokens, said_tokens, 7, 10):
            overlap = rouge_l_f1(given_tokens, said_tokens)
            if overlap >= 0.7:
                return {"restates": "input", "rouge_l": round(overlap, 3)}
        head = given_tokens[: max(4, len(given_tokens) * 4 // 5)]
        if len(given_tokens) >= 4 and said_tokens[: len(head)] == head:
            return {"continues": "input"}
        if same_speaker:
            return {"speaks_as": speaker.group(1)}  # type: ignore[union-attr]
        found = _speaks_for_the_input(instruction, given, said)
        if found:
            return found
    task_tokens = tokens(instruction)
    question = any(mark in said for mark in "?？") or _IMPERATIVE.match(said) is not None
    short_question = question and len(said_tokens) <= 25
    asked = 0.0  # stands for any value below 0.5, where nothing below fires
    if (
        may_reach(task_tokens, said_tokens, 3, 4)
        or short_question
        and may_reach(task_tokens, said_tokens, 1, 2)
    ):
        asked = rouge_l_f1(task_tokens, said_tokens)
    if asked >= 0.75:
        return {"restates": "instruction", "rouge_l": round(asked, 3)}
    if short_question and asked >= 0.5:
        if not _ASKS_FOR_QUESTIONS.search(instruction) and not _ASKS_FOR_QUESTIONS.search(given):
            return {"asks_back": said.strip()[:60], "rouge_l": round(asked, 3)}
    return None


_CONTENT_WORD = re.compile(r"[^\W\d_]{4,}|[\u4e00-\u9fff]{2}|\d{3,}")  # names, numbers of 3+ digits
_COMMON = frozenset(
    """that this with from have will your they their there what when which about would could should
these those into than then them been were also just more most some such very only over make like""".split()
)


def content_words(text: str) -> set[str]:
    return {w.casefold() for w in _CONTENT_WORD.findall(text)} - _COMMON
