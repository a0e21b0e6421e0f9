"""Is the instruction a task at all? A task asks: one of its sentences is a request (an
imperative, "please …", "can you …") or a question. A small generator often writes a statement
in the instruction's place ("The answer is: False.", "A train covers 240 km in 3 hours.",
"Implementing a Python script that generates a random list.") — no one can answer it.

Only what opens like a statement is judged (an article, a pronoun, a gerund, a number): an
instruction opening on any other word may be an imperative this module does not know. Then
English sentences are read by their first word (after "please", "now", "then", "also"), Chinese
instructions by a request verb or a question word anywhere in them."""

from __future__ import annotations

import re

_REQUEST_VERBS = frozenset(
    """act add adjust advise align alphabetize analyse analyze annotate answer apply approximate
arrange ask assess assign assume attach balance brainstorm break build calculate categorise
categorize change check choose cite clarify classify clean combine come compare compile complete
compose compute conclude condense construct continue convert copy correct count craft create
critique cross debug decide decode deduce define delete demonstrate derive describe design detect
determine develop devise diagnose differentiate discuss distinguish divide do double draft
draw edit elaborate eliminate encode enter enumerate estimate evaluate examine exchange expand
explain explore express extract fill find finish fix flag follow format formulate gather generate
get give go group guess help highlight identify illustrate imagine implement improve indicate infer
insert interpret introduce invent investigate join judge justify keep label let list locate look
make map mark match measure mention merge modify multiply name note offer order organise organize
outline paraphrase pick place plan play point predict prepare present pretend prioritise prioritize
produce proofread propose prove provide put quote rank rate read rearrange recall recommend recommend
reduce refactor reformat rephrase replace report represent research resolve respond restate
restructure retell return review revise rewrite reword role-play round say schedule score search
select separate sequence shorten show simplify sketch solve sort specify spell split state suggest
summarise summarize supply swap tag take teach tell test think tidy title transcribe transform
translate try turn underline unscramble update use verify vote weigh write""".split()
)
_QUESTION_WORDS = frozenset(
    """what what's whats which who whom whose when where why how how's is are am was were do does did
can could would should will shall may might must have has had isn't aren't doesn't don't didn't
won't wouldn't can't couldn't shouldn't""".split()
)
_LEADERS = frozenset("please now then also next first finally kindly so and just simply".split())
_CONDITION_OPENERS = frozenset("given if using based for from in with suppose assuming imagine".split())
# how a statement opens: "The answer is…", "A train covers…", "Implementing a script…", "2019-06-30:"
_STATEMENT_OPENING = re.compile(
    r"^\s*(?:the|a|an|this|that|these|those|it|its|there|here|i|we|you're|you are|he|she|they|my|our|"
    r"your|his|her|their|some|many|most|each|every|all|one|no|[a-z]+ing)\b|^\s*\d",
    re.IGNORECASE,
)
_ZH_STATEMENT_OPENING = re.compile(
    r"^\s*(?:这是|这个|这些|那是|那个|我们?|你是|他|她|它|答案|以上|上面|下面是|有一|一个|第[一二三四五六七八九十]|\d)"
)
_SENTENCE = re.compile(r"[^.!?\n:;]+[.!?\n:;]*")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d\S*")

_ZH_REQUEST = re.compile(
    r"请|帮我|帮忙|麻烦|给出|给我|列出|列举|举出|写|说明|解释|描述|介绍|总结|概括|翻译|改写|改成|改为|改正|修改|"
    r"润色|计算|求|判断|分类|归类|比较|分析|评价|推荐|建议|设计|制定|规划|生成|创作|编|起|提取|找出|指出|识别|"
    r"标注|选出|排序|整理|回答|回复|解答|证明|估算|换算|转换|补全|续写|扩写|缩写|简化|造句|拟|用|将|把|给|根据|按照"
)
_ZH_QUESTION = re.compile(
    r"[？?]|吗|呢|什么|怎么|怎样|如何|为什么|为何|哪|多少|几|是否|能否|可否|是不是|有没有|谁"
)


def _asks_in_english(sentence: str) -> bool:
    words = [word.lower() for word in _WORD.findall(sentence)]
    while words and words[0] in _LEADERS:
        words = words[1:]
    if not words:
        return False
    first = words[0]
    if sentence.rstrip().endswith("?") or first in _QUESTION_WORDS:
        return True
    if first in _REQUEST_VERBS:
        return True
    # "Given a list of numbers, return …": the request follows a condition
    return first in _CONDITION_OPENERS and any(word in _REQUEST_VERBS for word in words[1:12])


def not_a_task(instruction: str, chinese: bool) -> str | None:
    """Why `instruction` asks nothing, or None when it is a request or a question."""
    text = instruction.strip()
    if not text:
        return None
    if chinese:
        if not _ZH_STATEMENT_OPENING.match(text) or _ZH_REQUEST.search(text) or _ZH_QUESTION.search(text):
            return None
        return f"neither a request nor a question: {text[:30]}"
    sentences = [s for s in _SENTENCE.findall(text) if _WORD.search(s)]
    exclaimed = bool(sentences) and all(s.rstrip().endswith("!") for s in sentences)
    if not (_STATEMENT_OPENING.match(text) or exclaimed):  # "Awesome! I'm glad you've found it!"
        return None
    if any(_asks_in_english(sentence) for sentence in sentences):
        return None
    return f"neither a request nor a question: {text[:40]}"
