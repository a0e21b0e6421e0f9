"""Instructions that are not whole sentences.

A small model that loses track of the JSON it writes starts an "instruction" in the middle of a
sentence ("and add one row to the table called"), or ends it on a dangling word."""

from __future__ import annotations

import re

from pipeline.curate.pattern_screen import search_tail

_IDENTIFIER = re.compile(r"^[a-z]+[A-Z0-9_.(]|^[a-z]\w*\(|^(?:e\.g\.|i\.e\.|etc\.)|^[a-z]+\.[a-z]+")
_CAPITAL_CONNECTIVE = re.compile(
    r"^(?:And|But|Or|Nor|Then|Also|Plus|Hence|Thus|Therefore|Meanwhile|Otherwise|Whose|Whom)\b"
    r"(?!\s*[,:'\"])(?!\s+(?:and|or)\b)"
)
# a subordinate clause is a fragment only when no main clause follows it ("Unless stated otherwise, …")
_CAPITAL_SUBORDINATOR = re.compile(
    r"^(?:Because|Although|Though|Whereas|Except|Unless|Until|So that|In order to)\b"
    r"(?!\s*[,:'\"])(?!\s+(?:and|or)\b)"
)
DANGLING_END = re.compile(
    r"\b(?:and|or|but|nor|the|a|an|of|to|with|called|named|titled|as|such as|like|for|from|by|in|"
    r"versus|vs|via|"
    r"on|at|into|onto|than|that|which|who|whose|is|are|was|were|be|been|its|their|your|his|her|"
    r"(?:that|which|and) (?:mentions|includes|contains|describes|covers|highlights|emphasi[sz]es|"
    r"addresses|features|compares|lists|explains)|"
    r"our|this|these|those|my|because|about|between|including|for example|for instance|e\.g|i\.e)\s*$",
    re.IGNORECASE,
)
DANGLING_LONGEST = len("which emphasises")  # the longest words above: a match starts no further back
# subordinate or linking openings: a fragment when the instruction is that one clause ("尽管合同里没有写明。")
_ZH_SUBORDINATE_START = re.compile(
    r"^(?:尽管|虽然|虽说|即使|即便|哪怕|由于|因为|从而|以免|以便|以致|不过|可是|然而|于是|况且|何况|甚至|进而|只要|只有|除非)"
    r"(?![、，”」])"
)
_ZH_START = re.compile(
    r"^(?:和|并且|并|但是|但|而且|而是|而|或者|或是|以及|及|的(?![确士])|地(?![球铁震图方址下区理面点板道域位毯主势形])"
    r"|得(?![到分出知益奖])|因此|所以|然后|还有|并把|就是|了(?![解])|呢|吧|也是|其中|否则|那么"
    r"|比如|例如|尤其是?|特别是|同时(?![期代])|此外|另外(?![一两几])|再者)(?![、，”」])"
)
_ZH_WORD_NAMED = re.compile(r"^[\u4e00-\u9fff]{1,2}[、，”」]")  # "但是、可是、不过这三个词…"
_ZH_DANGLING_END = re.compile(
    r"(?:的|和|以及|例如|比如|与|或|及|在|把|被|对|是|为|从|向|跟|同|给|一[段个篇首些句条份]|几[个条]"
    r"|所以|但是|而且|否则|然后|那么|如果|因为|并且|学会了|，|、|,)\s*$"
    r"|(?:并且|并|再|然后|而且|以及)[\u4e00-\u9fff]{1,2}\s*$"
    # a clause cut after its verb: "…，要突出" "…，包括" "…，最好是有" "…，可以通过"
    r"|(?:围绕|针对|关于|诸如|类似于?|像|比如说|(?<![成造将])就)\s*$"
    r"|[，,](?:要|需要|应该|最好|可以|并且?)?(?:包括|突出|通过|是有|要有|利用|使用|按照|根据|涉及|关于|像是|诸如|强调|着重|重点|特别是|尤其是)\s*$"
)
_ZH_DANGLING_LONGEST = len("，需要特别是")  # the longest match above
TERMINAL = ".?!:;。？！：；…)]\"'”’」』》）"


def dangling_end(text: str) -> bool:
    """Whether `text` ends on a word that cannot end a sentence ("…called", "…such as")."""
    return search_tail(DANGLING_END, text, DANGLING_LONGEST) is not None


def fragment(instruction: str, has_input: bool, chinese: bool) -> str | None:
    """Why `instruction` reads as a piece of a sentence, or None."""
    text = instruction.strip()
    if not text:
        return None
    if chinese:
        if _ZH_START.match(text) and not _ZH_WORD_NAMED.match(text):
            return f"starts mid-sentence: {text[:6]}"
        if _ZH_SUBORDINATE_START.match(text) and not re.search(r"[，,；;？?]", text.rstrip("。")):
            return f"one subordinate clause: {text[:6]}"
        if search_tail(_ZH_DANGLING_END, text, _ZH_DANGLING_LONGEST) or (
            text.endswith(("：", ":")) and not has_input
        ):
            return f"ends mid-sentence: {text[-6:]}"
        return None
    if text[0].islower() and not _IDENTIFIER.match(text):
        return f"starts mid-sentence: {' '.join(text.split()[:3])}"
    if _CAPITAL_CONNECTIVE.match(text):
        return f"starts with a connective: {text.split()[0]}"
    if _CAPITAL_SUBORDINATOR.match(text) and not re.search(r"[,;?]", text):
        return f"one subordinate clause: {text.split()[0]}"
    if text[-1] not in TERMINAL and dangling_end(text):
        return f"ends on a dangling word: {' '.join(text.split()[-3:])}"
    if not has_input and re.search(
        r"\b(?:example|for example|e\.g\.|such as|as follows)\s*:\s*$", text, re.I
    ):
        return f"promises what never comes: {' '.join(text.split()[-2:])}"
    return None
