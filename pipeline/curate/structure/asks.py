"""What an instruction asks for, read from its wording (English and Chinese): code, a label
from a fixed set, a number, yes or no, prose, a translation, or a near copy of the input.

The answer-type and role checks compare this with what the output is. Each reading errs on the
side of "not sure" (None / False): a check only fires on a clear mismatch."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.curate.pattern_screen import screened
from pipeline.curate.structure.narrow import DATE, EDITS, FORMULA, ONE_THING, ONE_WORD, choices

_I = re.IGNORECASE

_CODE = screened(
    r"\b(?:write|implement|create|code|generate|give|show|provide|define|complete|fix|refactor|"
    r"translate\b[^.?!\n]{0,40}\binto|convert\b[^.?!\n]{0,40}\binto)\b"
    r"(?:\s+(?!for\b|of\b|about\b|on\b|in\b|to\b)[^\s.?!]+){0,5}?\s+"
    r"(?:function|program|script|snippet|code|sql|regex|regular expression|bash command|"
    r"shell command|command line|one-liner|html|css|json schema|"
    r"(?:python|javascript|java|c\+\+|c#|rust|go|typescript|ruby|php)\s+(?:class|method|query|lambda)|"
    r"(?:excel|spreadsheet|google sheets) formula|latex (?:code|formula|markup))\b"
    r"|(?:编写|写|实现|给出|用\w{0,8}(?:写|实现))[^。？！\n]{0,30}?"
    r"(?:函数|程序|代码|脚本|SQL|sql|查询语句|正则表达式|命令)"
    r"|(?:写|给出|用)[^。？！\n]{0,6}(?:Excel|WPS|表格|LaTeX)\s*(?:公式|代码)|LaTeX\s*代码",
    _I,
)
_CODE_SIGNAL = re.compile(
    r"```|\bdef \w+\s*\(|^\s*return\b|\breturn\s*\(|\breturn\s+[^\s.]+\s*;?\s*$"
    r"|\bSELECT\b[\s\S]*\bFROM\b|\bfunction\s*\w*\s*\(|=>|\bclass \w+"
    r"|\bimport \w+|#include|\bconsole\.log\(|\bprint\s*\(|;\s*$|\)\s*\{\s*$|[A-Za-z_]\w*\s*\([^()]*\)\s*[{:]"
    r"|\b(?:for|while|if)\s*\(|\blambda\b|<\w+[^>]*>|\$\w+|\b[A-Za-z_]\w*\s*=\s*\S|^\s*(?:ls|cd|grep|sed|awk|git|pip)\b"
    r"|\^|\\d|\[\^?[a-z0-9]-|\\[a-z]+\{|^\s*=[A-Z]+\("
    r"|^\s*(?:sudo\s+)?[a-z][\w.-]*\s+(?:-{1,2}\w|/|\.{1,2}/?\s|\*|\"\*)",
    re.MULTILINE | _I,
)
# "positive or negative", "Yes or No", "'True' or 'False'", "A, B or C"
_OPTIONS = screened(
    r"(?:\b(?:as|is|either|label|classify|answer|respond|reply|categor\w*|into|with|to)\b[:\s]+|\w:\s+)"
    r"[\"'“]?([\w\- ]{1,20}?)[\"'”]?(?:\s*,\s*[\"'“]?([\w\- ]{1,20}?)[\"'”]?)*"
    r"\s*,?\s+or\s+[\"'“]?((?:not |non-)?[\w\-]{1,20})",
    _I,
)
_OPTIONS_ZH = screened(
    r"[“\"「]?([\u4e00-\u9fff]{1,6})[”\"」]?(?:、[“\"「]?[\u4e00-\u9fff]{1,6}[”\"」]?)*(?:还是|或者?)[“\"「]?([\u4e00-\u9fff]{1,6})"
)
_CLASSIFY = screened(
    r"\bclassify\b|\bcategori[sz]e\b|\bwhich (?:category|class|label)\b|\blabel (?:it|the|each|this)\b"
    r"|\banswer (?:with )?(?:yes|no|true|false)\b|\btrue or false\b|\byes or no\b"
    r"|\b(?:answer|reply|respond) (?:with )?[\"'“]?\w+[\"'”]? or [\"'“]?\w+[\"'”]?\s*[.!]?\s*$"
    r"|分类|归类|属于哪(?:一|个)?类|(?:判断|区分|识别|属于)[^。？！]{0,24}还是|判断[^。？！]{0,20}(?:是否|正面|负面|真假|对错)|是否[^。？！]{0,20}回答(?:是|否)",
    _I,
)
_YES_NO = screened(r"\byes or no\b|\byes/no\b|回答[“\"]?是[”\"]?或[“\"]?否", _I)
# "请回答有或没有" names the two answers
_ANSWER_OPTIONS_ZH = re.compile(
    r"回答[“\"]?([\u4e00-\u9fff]{1,3})[”\"]?(?:或|还是)[“\"]?([\u4e00-\u9fff]{1,3})[”\"]?"
)
_NUMBER = screened(
    r"\b(?:calculate|compute|(?<!t )count(?= the\b| how\b| all\b)|how many|how much|what is \d|"
    r"what (?:is|was) the (?:atomic number|population|boiling point|melting point|distance (?:from|between)|"
    r"(?:height|length|price|temperature) of)|on a scale (?:of|from) \d+|"
    r"find the (?:sum|product|difference|area|"
    r"perimeter|volume|average|mean|median|greatest common|gcd|lcm|least common|value|square root|"
    r"percentage|total|number)|convert \d+|what is \d+|solve (?:for|the equation)|evaluate the expression)\b"
    r"|^\s*(?:please\s+)?rate\b[^.?!\n]{0,40}\bfrom \d+\b"
    r"|\bin what year\b|\bwhich year\b|\bwhat year\b|\bhow (?:old|long|far|tall|heavy)\b"
    r"|计算|多少|求(?:和|积|差|面积|周长|体积|平均|最大公约数|最小公倍数|值)|解方程|换算|哪一年|几岁|几天",
    _I,
)
_NUMBER_SIGNAL = re.compile(
    r"\d|\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|"
    r"thousand|million|half|none)\b|[零一二三四五六七八九十百千万亿两半]",
    _I,
)
_PROSE = re.compile(
    r"^\s*(?:please\s+)?(?:write|compose|draft|describe|explain|tell|create a (?:story|poem|"
    r"paragraph|dialogue|letter|speech)|generate a (?:story|poem|paragraph|description|letter|"
    r"email|slogan|tagline)|summari[sz]e|discuss|suggest|give (?:me )?(?:some )?(?:advice|tips|"
    r"reasons|an explanation)|outline|brainstorm)\b"
    r"|^\s*(?:请)?(?:用[^，。？！]{1,6})?(?:写(?:一|篇|段|首|封|个故事)|撰写|描述|解释|讲|总结|概括|简述|阐述|谈谈|介绍|创作|编一个|起草"
    r"|(?:简要|简单)?(?:分析|论述|评价|探讨|谈一谈|说一说))",
    _I,
)
# a piece of writing named outright: a one-word answer cannot be it
_LONG_FORM = screened(
    r"\b(?:write|compose|draft|create|generate|tell|prepare)\b[^.?!\n]{0,30}?\b(?:story|essay|poem|"
    r"paragraph|letter|email|e-mail|article|description|explanation|speech|dialogue|review|report|"
    r"blog post|cover letter|biography|summary|memo|toast|eulogy|anecdote)\b"
    r"|(?:写|撰写|创作|编|起草)[^。？！\n]{0,12}?(?:故事|文章|诗|信|邮件|说明文|演讲稿|对话|日记|报告|简历|介绍|文案|留言|描述|通知|祝福"
    r"|绝句|律诗|散文|作文|短文|读后感|发言稿|倡议书|评论)",
    _I,
)
# answers that are short by nature and need not end a sentence
_SHORT_FORM = screened(
    r"\b(?:title|slogan|name|names|headline|tagline|motto|caption|subject line|hashtag|haiku|poem|"
    r"limerick|word|words|phrase|synonym|antonym|list|keywords|tags|extract)\b"
    r"|提取|抽取|标题|宣传语|广告语|广告词|标语|口号|名字|名称|诗|对联|春联|词语|关键词|短语|词|列出",
    _I,
)
_MARKUP = screened(
    r"(?<![a-z])(?:json|dict|dictionary|html|xml|yaml|csv|css|markdown|tag|tags|latex|regex|escape|code|"
    r"token|tokens|tokenizers?|"
    r"python|javascript|sql|template|placeholder|braces?|brackets?|printf|print|string|variable|syntax|"
    r"compiler|command|terminal|shell|backslash|newline|line break)(?![a-z])"
    r"|字典|标签|转义|代码|括号|模板|换行|命令|语法|字符串|变量|C语言",
    _I,
)
_PROSE_EXCEPT = screened(
    r"\b(?:word|number|name|title|one-word|single|label|synonym|antonym|letter|digit|yes|no|"
    r"true|false|code|function|program|query|script|regex|formula|equation|headline|slogan|tagline|"
    r"rhyme|abbreviation|acronym|hashtag)\b|一个词|一个字|一句话|标题|词语|名字|代码|函数|程序",
    _I,
)
_TRANSLATE = screened(
    r"\btranslat\w*\b[^.?!\n]{0,60}?\b(?:into|to)\s+(english|french|german|spanish|italian|"
    r"portuguese|japanese|korean|russian|chinese|mandarin)\b"
    r"|(?:翻译|译)成?(?:为)?(英语|英文|中文|汉语|法语|德语|日语|韩语|西班牙语|俄语)",
    _I,
)
_TARGET_CODES = {
    "english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it",
    "portuguese": "pt", "japanese": "ja", "korean": "ko", "russian": "ru", "chinese": "zh",
    "mandarin": "zh", "英语": "en", "英文": "en", "中文": "zh", "汉语": "zh", "法语": "fr",
    "德语": "de", "日语": "ja", "韩语": "ko", "西班牙语": "es", "俄语": "ru",
}  # fmt: skip
# tasks whose right answer repeats much of the input
_COPY_ALLOWED = screened(
    r"\b(?:correct|fix|edit|proofread|rewrite|rephrase|paraphrase|revise|reword|improve|polish|"
    r"capitali[sz]e|lowercase|uppercase|title case|convert|change|replace|remove|add|insert|sort|"
    r"reorder|arrange|format|punctuat\w*|spell\w*|grammar|tense|passive|active voice|continue|"
    r"complete|finish|extend|expand|shorten|simplify|transliterate|normali[sz]e|clean|"
    r"reverse|repeat|copy|underline|fill in|organi[sz]e|numbered list|bullet points?|bulleted list|make|"
    r"turn|rearrange|restructure|tabulate|in (?:the )?(?:right|correct|chronological|alphabetical) order|"
    r"escape|unescape|encode|decode|renumber|halve|double|triple|scale)\b"
    r"|改正|纠正|修改|改写|润色|改成|转换|替换|删除|添加|排序|调整|标点|错别字|语法|续写|补全|扩写|缩写|简化|改为|改得|改成|整理|列成|分行|编号|格式"
    r"|排列|顺序|变成|转成|做成|转义|编码|删掉|删去|去掉|换成|改用|补上|补一个|补完|减半|加倍|翻倍",
    _I,
)


@dataclass(frozen=True)
class Asks:
    code: bool
    label: bool  # a label from a small set (classification)
    options: tuple[str, ...]  # the labels the instruction names, lower case, when it names them
    yes_no: bool
    number: bool
    prose: bool  # a piece of writing, not a word, label or number
    translation_to: str | None  # ISO 639-1 code
    copy_allowed: bool
    long_form: bool  # a named piece of writing (story, letter, essay, …)
    short_form: bool  # a title, name, slogan, poem, word list: no sentence to finish
    markup: bool  # braces, tags and escapes belong to the task
    source: str  # the text a translation starts from, when the instruction quotes it
    count: int | None  # how many items the instruction asks for ("Name the seven continents")
    continues: bool  # the answer carries on a list or text of the input ("the next step")
    over_input: bool  # the answer works on the input (rewrite, summarise, extract, answer from it)
    choices: tuple[str, ...] = ()  # "Which of these …: A, B or C?": the answer names one of them
    only_short: bool = False  # "只写书名", "in one word": a name, word or number, not sentences
    one_word: bool = False  # "Give one word that means…", "用一个成语形容…"
    date: bool = False  # "What is the date of…", "几月几日"
    formula: bool = False  # a chemical formula
    one_thing: bool = False  # "Name the smallest country": one answer, not a ranking
    edits: bool = False  # "Correct…", "翻译成白话": the input changed, not repeated or talked about


_QUOTED = re.compile(r"'([^']{2,80})'|\"([^\"]{2,80})\"|“([^”]{2,80})”|「([^」]{2,80})」")


_COUNTED = screened(
    r"\b(?:name|list|give|provide|suggest|write|mention|state|identify|enumerate)\s+(?:the\s+|me\s+)?"
    r"(\d{1,2}|two|three|four|five|six|seven|eight|nine|ten)\b"
    r"|(?:列出|列举|给出|写出|说出|举出|提出)(\d{1,2}|[两二三四五六七八九十])(?:个|条|种|点|项|本|位)",
    _I,
)
_COUNT_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
}  # fmt: skip


# the answer is to be a name or a word only: "只写书名", "Answer with just the name"
_ONLY_SHORT = screened(
    r"\b(?:answer|reply|respond) with (?:only|just)\b"
    r"|\b(?:only|just) (?:the|a|one) (?:name|word|number|title|year)\b"
    r"|只写|只回答|只需回答|只给出|只说|仅写|只要写",
    _I,
)
_CONTINUES = screened(
    r"\bnext\b|\bcontinue|\bmissing\b|\bwhat comes\b|\bcomplete the\b|\badd (?:one|another|a) (?:more )?"
    r"(?:\w+ )?(?:step|item|point|line|thing)|\b(?:final|last) (?:step|item|point|line)\b"
    r"|下一步|接下来|续写|补全|缺少|缺失|补充|补上|最后一步|少了|漏了",
    _I,
)


_OVER_INPUT = screened(
    r"^\s*(?:please\s+)?(?:rewrite|rephrase|paraphrase|reword|edit|proofread|correct|simplify|shorten|"
    r"summari[sz]e|condense|polish|improve)\b"
    r"|\b(?:in|from) (?:this|the|the given|the following) (?:paragraph|passage|text|article|sentence|context|"
    r"review|email|story|document)\b|\bbased on the (?:text|passage|context|paragraph|input)\b"
    r"|^\s*(?:请)?(?:改写|润色|缩写|概括|总结|简化|修改|改正)|(?:根据|从)(?:这段|下面的|上面的|这篇|给定的)",
    _I,
)


def _count(instruction: str) -> int | None:
    match = _COUNTED.search(instruction)
    if not match:
        return None
    said = (match.group(1) or match.group(2)).lower()
    return int(said) if said.isdigit() else _COUNT_WORDS.get(said)


def _options(instruction: str) -> tuple[str, ...]:
    found: list[str] = []
    for match in _OPTIONS.finditer(instruction):
        span = match.group(0)[len(re.match(r"\W*\w+[:\s]+", match.group(0)).group(0)) :]  # type: ignore[union-attr]
        for part in re.split(r"\s*,\s*(?:or\s+)?|\s+or\s+", span):
            part = re.split(r"\s(?:as|into|is)\s+", part)[-1]  # "the email as spam": "spam"
            part = re.sub(r"^(?:an?|the|either)\s+", "", part.strip(" \"'“”"), flags=_I).lower()
            if part:
                found.append(part)
    for match in _OPTIONS_ZH.finditer(instruction):
        last = match.group(2)
        before = match.group(0)[: -len(last)].rstrip("还是或者")
        items = [item.strip('“”"「」') for item in before.split("、")]
        items[0] = re.split(r"属于|是|为|选|成|[:：]", items[0])[-1]  # "…属于差旅费、餐费还是…"
        items[0] = items[0][-max(len(last), 2) :]  # "判断…事实还是观点": no longer than the last
        found += [item for item in items if item] + [last]
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=1024)
def reading(instruction: str, classification: bool) -> Asks:
    """What `instruction` asks for; `classification` is the generator's own verdict, when known."""
    target = _TRANSLATE.search(instruction)
    code = bool(_CODE.search(instruction))
    label = classification or bool(_CLASSIFY.search(instruction))
    named = _ANSWER_OPTIONS_ZH.search(instruction)
    quoted = _QUOTED.search(instruction)
    prose = bool(_PROSE.search(instruction)) and not _PROSE_EXCEPT.search(instruction)
    return Asks(
        code=code,
        label=label and not code,
        options=(_options(instruction) if label else ()) + (named.groups() if named else ()),
        yes_no=bool(_YES_NO.search(instruction) or named) and not code,
        number=bool(_NUMBER.search(instruction)) and not code,
        prose=prose and not label and not code,
        translation_to=_TARGET_CODES.get((target.group(1) or target.group(2)).lower()) if target else None,
        copy_allowed=bool(_COPY_ALLOWED.search(instruction)),
        long_form=bool(_LONG_FORM.search(instruction)) and not code and not label,
        short_form=bool(_SHORT_FORM.search(instruction)),
        markup=code or bool(_MARKUP.search(instruction)),
        source=next((group for group in quoted.groups() if group), "") if quoted else "",
        count=_count(instruction),
        continues=bool(_CONTINUES.search(instruction)),
        over_input=bool(_OVER_INPUT.search(instruction)) and not code,
        choices=() if code else choices(instruction),
        only_short=bool(_ONLY_SHORT.search(instruction)) and not code,
        one_word=bool(ONE_WORD.search(instruction)) and not code,
        date=bool(DATE.search(instruction)) and not code,
        formula=bool(FORMULA.search(instruction)),
        one_thing=bool(ONE_THING.search(instruction)) and _count(instruction) is None,
        edits=bool(EDITS.search(instruction)),
    )


def looks_like_code(text: str) -> bool:
    return bool(_CODE_SIGNAL.search(text))


def has_number(text: str) -> bool:
    return bool(_NUMBER_SIGNAL.search(text))
