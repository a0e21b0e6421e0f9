"""Whole synthetic records for the scale benchmark: instructions whose words follow Zipf's law
over a large vocabulary, answers, some Chinese records, and the defects curation exists for
(filter hits, bad answers, PII) at realistic low rates."""

from __future__ import annotations

import random
from collections.abc import Iterator

from synthetic import ADJECTIVES, ASPECTS, CLAUSES, NOUNS, PEOPLE, PLACES, InstructionGenerator, made_up_name


class WideInstructionGenerator(InstructionGenerator):
    """Instructions whose words follow a Zipf-like law over a large vocabulary, as a
    million-record corpus's words do: a verb phrase, one or two noun phrases (determiner,
    adjectives, noun from tens of thousands of words) and an optional constraint. Templates
    with a dozen fixed words (above) are realistic for a few thousand texts, not a million."""

    VERBS = (
        "write explain describe list summarize compare suggest create design outline "
        "evaluate recommend predict identify classify rewrite translate analyze name "
        "estimate plan draft argue define illustrate propose rank critique"
    ).split()
    DETERMINERS = "a the one two three four five some several many".split()
    PREPOSITIONS = "for about in with without using during between against near after".split()

    def __init__(self, seed: int = 0, vocabulary: int = 60_000, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.words = list(
            dict.fromkeys(NOUNS + ADJECTIVES + [made_up_name(self.rng).lower() for _ in range(vocabulary)])
        )

    def _word(self) -> str:
        """Zipf's law (s = 1): rank r has probability ~1/r, so the rank is N ** u."""
        return self.words[int(len(self.words) ** self.rng.random()) - 1]

    def _noun_phrase(self) -> str:
        rng = self.rng
        words = [rng.choice(self.DETERMINERS)] + [self._word() for _ in range(rng.randint(0, 2))]
        words.append(self._word())
        if rng.random() < 0.4:
            words += ["of", rng.choice(["the", "a"]), self._word()]
        return " ".join(words)

    def fresh(self) -> str:
        rng = self.rng
        text = f"{rng.choice(self.VERBS).capitalize()} {self._noun_phrase()}"
        for _ in range(rng.randint(0, 2)):
            text += f" {rng.choice(self.PREPOSITIONS)} {self._noun_phrase()}"
        if rng.random() < 0.5:
            text += ". " + rng.choice(CLAUSES).format(
                person2=rng.choice(PEOPLE),
                place=rng.choice(PLACES),
                name=self._name(),
                n=str(rng.randint(2, 12)),
                aspect=rng.choice(ASPECTS),
                noun2=self._word(),
                adj2=rng.choice(ADJECTIVES),
            )
        return text.rstrip(".") + "."


ANSWER_SENTENCES = [
    "A {noun} is {adj} and surprisingly useful.",
    "Many people in {place} rely on a {noun} every day.",
    "{name} once said that the {noun2} matters more than most people think.",
    "The {aspect} of a {noun} depends on how it is used.",
    "For a {person}, the most important thing is to start small.",
    "In {place}, the {noun} has a long and {adj2} history.",
    "Compared with a {noun2}, it needs less care and lasts longer.",
    "Try it for {n} days and note what changes.",
]
ZH_NOUNS = (
    "苹果 自行车 桥梁 咖啡 电脑 森林 花园 图书馆 博物馆 高铁 "
    "火锅 茶叶 长城 熊猫 雨伞 钢琴 月饼 书法 京剧 地铁"
).split()
ZH_PLACES = "北京 上海 成都 杭州 西安 广州 重庆 苏州 厦门 青岛".split()
ZH_PEOPLE = "学生 老师 医生 厨师 司机 游客 程序员 农民 护士 记者".split()
ZH_TEMPLATES = [
    "请写一首关于{noun}的短诗，描写{place}的秋天。",
    "解释{noun}在{place}人日常生活中的作用。",
    "列出{n}个关于{place}{noun}的有趣事实。",
    "为一位{person}推荐{n}本关于{noun}的书，并说明理由。",
    "比较{noun}和{noun2}的优缺点。",
    "给一位第一次去{place}的{person}写一份{n}天的旅行计划。",
]
ZH_ANSWERS = [
    "{noun}在{place}非常受欢迎，很多{person}每天都会用到它。",
    "第一，{noun}的历史很悠久；第二，它和{noun2}有密切的关系。",
    "如果你是{person}，可以先从简单的方法开始，坚持{n}天就会看到变化。",
]
DEFECTS = [
    ("filter", "Describe the image of the {noun} in {place}."),
    ("filter", "Define {noun}."),
    ("filter", "Write a program that tracks every {noun} in {place}."),
    ("output", ""),
    ("output", "As an AI language model, I cannot have opinions about the {noun}."),
    ("output", "I'm sorry, but I can't help with that request about the {noun}."),
    ("output", "The {noun} is popular in {place} because"),
    ("output", "Dear [Your Name], thank you for asking about the {noun}."),
]
PII_SNIPPETS = [
    "Contact {first}.{last}@example.com for details.",
    "Call +1 415-555-{digits4} today.",
    "我的手机号是138{digits8}。",
    "Card number 4111 1111 1111 1111 was used.",
]


def _slots(rng: random.Random, names: list[str]) -> dict[str, str]:
    return {
        "noun": rng.choice(NOUNS),
        "noun2": rng.choice(NOUNS),
        "adj": rng.choice(ADJECTIVES),
        "adj2": rng.choice(ADJECTIVES),
        "place": rng.choice(PLACES),
        "person": rng.choice(PEOPLE),
        "aspect": rng.choice(ASPECTS),
        "n": str(rng.randint(2, 9)),
        "name": rng.choice(names),
    }


def repost(rng: random.Random, generator: InstructionGenerator, record: dict) -> dict:
    """An earlier record posted again: its instruction with one to three small edits (as a
    near-duplicate instruction), the same input, and the same answer or the answer with one
    more sentence. Whole records this close are what MinHash is there to catch."""
    output = record["output"]
    if rng.random() < 0.5:
        output += " " + rng.choice(["Hope this helps.", "Let me know if you need more.", "Good luck!"])
    return {"instruction": generator.edit(record["instruction"]), "input": record["input"], "output": output}


def record_stream(seed: int = 0, reposts: float = 0.0) -> Iterator[dict]:
    """Alpaca records as a user's file would hold them (no lineage). `reposts`: the share of
    records that repost an earlier English record (see `repost`); 0 gives the corpus of the
    benchmark runs before 2026-12-01, record for record."""
    rng = random.Random(seed + 1)
    generator = WideInstructionGenerator(seed=seed)
    instructions = iter(generator)
    names = [made_up_name(rng) for _ in range(50_000)]
    recent: list[dict] = []
    while True:
        if reposts and recent and rng.random() < reposts:
            yield repost(rng, generator, rng.choice(recent))
            continue
        roll = rng.random()
        if roll < 0.05:  # Chinese
            zh = {
                "noun": rng.choice(ZH_NOUNS),
                "noun2": rng.choice(ZH_NOUNS),
                "place": rng.choice(ZH_PLACES),
                "person": rng.choice(ZH_PEOPLE),
                "n": str(rng.randint(2, 9)),
            }
            yield {
                "instruction": rng.choice(ZH_TEMPLATES).format(**zh),
                "input": "",
                "output": "".join(rng.choice(ZH_ANSWERS).format(**zh) for _ in range(rng.randint(2, 4))),
            }
            continue
        slots = _slots(rng, names)
        instruction = next(instructions)[1]
        output = " ".join(rng.choice(ANSWER_SENTENCES).format(**slots) for _ in range(rng.randint(2, 4)))
        given = f"The {slots['noun']} in {slots['place']} is {slots['adj']}." if rng.random() < 0.3 else ""
        if roll < 0.07:
            kind, text = rng.choice(DEFECTS)
            if kind == "filter":
                instruction = text.format(**slots)
            else:
                output = text.format(**slots)
        elif roll < 0.08:
            snippet = rng.choice(PII_SNIPPETS).format(
                first=slots["name"].lower(),
                last=rng.choice(names).lower(),
                digits4=f"{rng.randint(0, 9999):04d}",
                digits8=f"{rng.randint(0, 10**8 - 1):08d}",
            )
            output = f"{output} {snippet}"
        record = {"instruction": instruction, "input": given, "output": output}
        if reposts:
            recent.append(record)
            if len(recent) > 5_000:
                recent.pop(rng.randrange(len(recent)))
        yield record
