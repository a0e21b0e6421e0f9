"""Role confusion: an output that is not the answer's voice — the input again (nearly, or
unchanged where an edit is asked), carried on from where the input stopped, the input's speaker
talking again (by label, in the first person saying what the input said, with the input
letter's greeting or signature), or the instruction asked back (or asked again, reworded)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.curate.pattern_screen import screened, tokens
from pipeline.curate.rouge import rouge_l_f1_fast as rouge_l_f1
from pipeline.curate.structure.asks import Asks
from pipeline.text import cjk_ratio

_LEADING_MARKER = re.compile(r"^\s*(?:\d{1,2}[.)、]|[-*•])\s*")

# an answer that is itself a task: "Explain the meaning of the idiom …" for "What does … mean?"
_IMPERATIVE = screened(
    r"^\s*(?:please\s+)?(?:explain|describe|write|list|give|tell|name|summari[sz]e|define|translate|"
    r"identify|find|classify|calculate)\b|^\s*(?:请)?(?:解释|描述|说明|写|列出|给出|概括|翻译|计算|判断)"
    r"|^\s*(?:please (?:suggest|recommend|help)|can you|could you|would you)\b"
    r"|^\s*(?:请(?:推荐|建议|帮)|帮我)",
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
    rf"\b(?:reply|respond|answer|write|speak|act|pretend|continue|play)\b[^.?!\n]{{0,30}}?"
    rf"\bas (?:the|a|an) {_FORMS}\w+"
    rf"|^\s*as (?:the|a|an) {_FORMS}\w+[^,.\n]{{0,20}},|^\s*you are an? [a-z][\w ]{{1,30}}[,.]"
    r"|作为[\u4e00-\u9fff]{1,8}[，,]|以[\u4e00-\u9fff]{1,8}的(?:身份|口吻|角度|语气)|扮演[\u4e00-\u9fff]{1,8}"
    r"|^\s*你是(?:一[名位个])?[\u4e00-\u9fff]{1,8}[，,]|替[\u4e00-\u9fff]{1,6}(?:回复|回答|答复|写)",
    re.IGNORECASE,
)
# a reply to someone: "reply", "respond", "answer the patient's question" (not "answer the question")
_ASKS_A_REPLY = screened(
    r"\b(?:reply|respond)\b|\banswer (?:the|this) \w+'s\b|回复|答复|回应"
    r"|回答(?:这位|该|那位)?[\u4e00-\u9fff]{1,4}的(?:问题|提问|留言)",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|[Mm]y|[Mm]e|[Ww]e|[Oo]ur|[Uu]s)\b|我")
_ADDRESSED = re.compile(r"\b(?:you|your|yours|you're|you've)\b|你|您", re.IGNORECASE)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def _shared_share(given: str, said: str) -> float:
    """The share of the input's content (words; Chinese: character pairs) that the output says again."""
    if cjk_ratio(given) > 0.5:
        pairs = {run[i : i + 2] for run in _CJK_RUN.findall(given) for i in range(len(run) - 1)}
        return sum(pair in said for pair in pairs) / len(pairs) if pairs else 0.0
    words = content_words(given)
    return len(words & content_words(said)) / len(words) if len(words) >= 3 else 0.0


# the speaker going on: "Also, my laptop…", "I also wanted to ask…", "我还…"
_GOES_ON = screened(
    r"^\s*(?:also|and|plus|besides|moreover|i(?:'ve|'m|'d| have| am| would)? also|oh,? and)\b"
    r"|^[^.!?\n]{3,80}\b(?:too|as well)\b\s*[,.;]"
    r"|^\s*(?:另外|还有|我也|我还)",  # 而且, 并且…: _CARRIES_ON, first person or not
    re.IGNORECASE,
)


_CARRIES_ON = screened(r"^\s*(?:and|plus|moreover|besides),?\s|^\s*(?:而且|况且|并且|再说)", re.IGNORECASE)
_OPENING = re.compile(r"^\s*([^,，\n]{2,30})[,，\n]")
_SIGNATURE = re.compile(r"[,，.。!！\n]\s*([^,，.。!！\n]{2,30})\s*$")


# a greeting or a closing that names nobody: anyone may open or close a letter with it
_GENERIC_FRAME = re.compile(
    r"\b(?:hi|hello|hey|dear|all|team|everyone|there|thanks|thank you|best|regards|kind|warm|sincerely|"
    r"yours|cheers|good (?:morning|afternoon|evening))\b|您好|你好|大家好|谢谢|此致|敬礼|祝好",
    re.IGNORECASE,
)


def _same_frame(given: str, said: str) -> str | None:
    """The greeting or the signature of the input's letter, naming someone, opening or closing
    the reply too: its writer writing again ("Dear Ms Patel, … Kind regards, Anna Brooks")."""
    for pattern in (_OPENING, _SIGNATURE):
        mine, theirs = pattern.search(given), pattern.search(said)
        if not (mine and theirs):
            continue
        frame = mine.group(1).strip()
        named = _GENERIC_FRAME.sub("", frame).strip(" !.。！")
        if named and frame.casefold() == theirs.group(1).strip().casefold():
            return frame
    return None


def _speaks_for_the_input(instruction: str, given: str, said: str) -> dict[str, object] | None:
    """A reply the task asks for that is, instead, the input's speaker talking again: the input
    letter's named greeting or signature again; or, addressing no one, opening on "and" / "而且";
    or in the first person, saying over half of what the input said or going on from it
    ("Also, …", "…too,", "我还…")."""
    persona = _PERSONA.search(instruction)
    if not (persona or _ASKS_A_REPLY.search(instruction)):
        return None
    frame = _same_frame(given, said)
    if frame:
        return {"speaks_as": "the input's writer", "same": frame}
    if _ADDRESSED.search(said):
        return None
    if _CARRIES_ON.search(said):  # "而且前台态度很冷淡…": nobody replies opening on "and"
        return {"speaks_as": "the input's speaker", "goes_on": said.strip()[:30]}
    if not _FIRST_PERSON.search(said) or not (persona or _FIRST_PERSON.search(given)):
        return None
    if _FIRST_PERSON.search(given) and _GOES_ON.search(said):
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
    if given_tokens and len(given_tokens) >= 4 and said.split() == given.split() and asks.edits:
        return {"unchanged": "input"}  # an edit that changed nothing
    task_tokens = tokens(instruction)
    if not _ASKS_FOR_QUESTIONS.search(instruction + given):
        found = _question_again(task_tokens, said)
        if found:
            return found
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
    question = any(mark in said for mark in "?？") or _IMPERATIVE.match(said) is not None
    short_question = question and len(said_tokens) <= 25
    asked = 0.0  # stands for any value below 0.5, where nothing below fires
    if (
        may_reach(task_tokens, said_tokens, 3, 4)
        or short_question
        and may_reach(task_tokens, said_tokens, 1, 2)
    ):
        asked = rouge_l_f1(task_tokens, said_tokens)
    if asked >= 0.75 and not _answered_in_a_full_sentence(instruction, task_tokens, said, said_tokens):
        return {"restates": "instruction", "rouge_l": round(asked, 3)}
    if short_question and asked >= 0.5:
        if not _ASKS_FOR_QUESTIONS.search(instruction) and not _ASKS_FOR_QUESTIONS.search(given):
            return {"asks_back": said.strip()[:60], "rouge_l": round(asked, 3)}
    return None


_ASKED = re.compile(
    r"[?？]\s*$|^\s*(?:what|which|who|whom|whose|where|when|why|how)\b|吗|呢|什么|哪|谁|多少|几|怎么|如何|为什么",
    re.IGNORECASE,
)
_NOT_AN_ANSWERS_END = frozenset("?？:：,，、;；")
_SENTENCE_END = frozenset("。！!.」”）)")
_NO_NEWS = frozenset(
    """a an the is are was were be been it its this that these those of to in on at for and or as by with
here there so i you we they he she answer question yes no not
的 了 是 在 和 与 也 就 都 这 那 个 吗 呢 啊 吧 它 他 她 我 你 答 案 问 题 为""".split()
)


def _answered_in_a_full_sentence(
    instruction: str, task_tokens: Sequence[str], said: str, said_tokens: Sequence[str]
) -> bool:
    """ "What is the capital of France?" → "Paris is the capital of France.": a question answered
    in a sentence that repeats it, adding the answer — a word the question does not hold."""
    ending = said.rstrip()[-1:]
    if not _ASKED.search(instruction.strip()) or ending in _NOT_AN_ANSWERS_END:
        return False
    if _ASKED.search(said.strip()) or "请问" in said:  # the question asked back, without its "?"
        return False
    if cjk_ratio(said) > 0.3 and ending not in _SENTENCE_END:  # "澳大利亚的首都是堪": cut, not said
        return False
    asked = set(task_tokens)
    return any(token not in asked and token not in _NO_NEWS for token in said_tokens)


_SENTENCE = re.compile(r"[^.?!。？！]+[.?!。？！]*")
_ABOUT_THE_QUESTION = screened(
    r"\b(?:question|wonder|in other words|that is to say)\b|疑问|问题|换句话说|也就是说|好奇", re.IGNORECASE
)


def _question_again(task_tokens: Sequence[str], said: str) -> dict[str, object] | None:
    """An output that opens on the question asked, reworded, and then only asks again or talks
    about the question ("What causes hiccups? In other words, what makes…")."""
    sentences = [part.strip() for part in _SENTENCE.findall(said) if part.strip()]
    if len(sentences) < 2 or not sentences[0].endswith(("?", "？")):
        return None
    first = tokens(sentences[0])
    if not (may_reach(task_tokens, first, 3, 5) and rouge_l_f1(task_tokens, first) >= 0.6):
        return None
    rest = sentences[1:]
    if all(part.endswith(("?", "？")) or _ABOUT_THE_QUESTION.search(part) for part in rest):
        return {"restates": "instruction", "asks_again": said.strip()[:60]}
    return None


_CONTENT_WORD = re.compile(r"[^\W\d_]{4,}|[\u4e00-\u9fff]{2}|\d{3,}")  # names, numbers of 3+ digits
_COMMON = frozenset(
    """that this with from have will your they their there what when which about would could should
these those into than then them been were also just more most some such very only over make like""".split()
)


def content_words(text: str) -> set[str]:
    return {w.casefold() for w in _CONTENT_WORD.findall(text)} - _COMMON
