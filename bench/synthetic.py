"""Synthetic instruction data for the curation benchmarks (deterministic for a given seed).

Fresh instructions come from ~40 templates over a few hundred real words plus a long tail of
made-up proper names (products, towns, people), so a large corpus stays mostly distinct, as
real self-instruct output does. Near-duplicates are what generators really produce: an
earlier instruction with one to three edits (a synonym, an inserted or dropped modifier, a
changed number, an appended sentence, swapped coordinated words), and exact repeats that
differ only in case, spacing or full-width characters.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

NOUNS = """apple bicycle bridge budget camera castle climate coffee computer contract desert
diet dog election engine forest garden glacier guitar habit harbor helmet history hobby hotel
island journal kitchen ladder language library lighthouse market meeting memory mountain
museum network ocean orchestra painting password pension planet podcast poem printer recipe
river robot satellite school science season shoe software spreadsheet stadium startup storm
strategy subway teacher telescope tennis theater tiger tourism traffic train tree umbrella
university vaccine village violin volcano wallet weather website wedding wheel window winter
workshop yoga battery cloud algorithm database festival harvest insurance marathon microscope
newspaper passport pharmacy pyramid rainforest sculpture skyscraper submarine tornado vitamin
bakery canal cathedral compass dinosaur earthquake factory ferry fountain highway laptop
magnet mirror moon nurse orchard parliament pilot pottery prison quilt reef saddle scooter
sensor shelter smartphone solar-panel spice statue sugar tablet tax textbook thermostat tide
tractor tunnel vineyard volunteer warehouse waterfall whale wind-turbine wool""".split()
ADJECTIVES = """short long funny sad formal friendly detailed brief creative simple modern
ancient healthy cheap expensive quiet noisy rural urban local global careful honest polite
persuasive practical surprising gentle dramatic elegant humble bold calm curious famous
fragile rare seasonal sustainable traditional vivid warm cold cozy digital small large
emotional playful serious technical beginner-friendly""".split()
PLACES = """Paris Tokyo Kenya Peru Norway Canada Brazil India Egypt Iceland Mexico Vietnam
Chile Spain Ireland Morocco Nepal Finland Greece Portugal Scotland Texas Bavaria Sicily
Patagonia Siberia Tasmania Alaska Quebec Andalusia""".split()
PEOPLE = """student teacher nurse farmer chef pilot tourist manager child grandparent
engineer artist athlete scientist librarian journalist musician doctor lawyer programmer
designer gardener baker mechanic firefighter""".split()
FORMS = """poem story essay haiku limerick blog-post speech letter tweet slogan riddle song
dialogue review summary advertisement toast joke description headline""".split()
ASPECTS = "cost safety speed comfort durability popularity taste difficulty history impact".split()
SYNONYMS = {
    "write": "compose", "compose": "write", "explain": "describe", "describe": "explain",
    "list": "name", "name": "list", "short": "brief", "brief": "short", "tips": "suggestions",
    "suggestions": "tips", "give": "provide", "provide": "give", "create": "make",
    "make": "create", "funny": "humorous", "sad": "melancholy", "main": "key", "key": "main",
    "benefits": "advantages", "advantages": "benefits", "simple": "plain", "ways": "methods",
}
MODIFIERS = ["please", "briefly", "in detail", "for beginners", "in simple terms", "quickly",
             "step by step", "for a child", "in a few sentences", "clearly"]
TAILS = ["Use simple language.", "Keep it under 100 words.", "Be specific.",
         "Include an example.", "Make it engaging.", "Avoid jargon."]
TEMPLATES = [
    "Write a {adj} {form} about the {noun}.",
    "Write a {adj} {form} about {name}, a {adj2} {noun} from {place}.",
    "Explain how a {noun} works.",
    "Explain why the {noun} matters to a {person} in {place}.",
    "Give me {n} tips for choosing a {adj} {noun}.",
    "List {n} facts about the {noun} of {place}.",
    "Summarize the main causes of the {noun} crisis in {place}.",
    "Compare the {noun} and the {noun2} in terms of {aspect}.",
    "Describe the difference between a {noun} and a {noun2}.",
    "What are the benefits of owning a {adj} {noun}?",
    "Suggest a name for a {adj} {noun} shop in {place}.",
    "Create a {n}-day itinerary for a {person} visiting {place}.",
    "Rewrite the sentence about the {noun} to make it more {adj}.",
    "Generate {n} interview questions for a {person} who works with a {noun}.",
    "Classify the {noun} as {adj} or {adj2}.",
    "Write a product description for {name}, a {adj} {noun}.",
    "Draft an email to {name} about the {adj} {noun} project.",
    "Propose {n} ways a {person} could reduce the cost of a {noun}.",
    "How can a {person} make a {noun} more {adj}?",
    "Tell me a {adj} fact about {name} and the {noun}.",
    "Plan a {adj} birthday party themed around the {noun} for a {person}.",
    "Design a {n}-week training plan for a {person} preparing for a {noun} contest.",
    "Explain the role of the {noun} in the history of {place}.",
    "Describe a day in the life of {name}, a {person} who repairs {noun}s.",
    "Write a dialogue between a {person} and a {person2} about the {noun}.",
    "Give {n} arguments for and against banning the {noun} in {place}.",
    "Recommend {n} books for a {person} interested in the {noun}.",
    "Outline a lesson plan that teaches children about the {noun} and the {noun2}.",
    "Invent a {adj} holiday celebrating the {noun} in {place}.",
    "What would happen if every {person} in {place} owned a {noun}?",
    "Translate the phrase about the {adj} {noun} into {lang}.",
    "Estimate how many {noun}s there are in {place} and explain your reasoning.",
    "Write a {adj} review of {name}, a {noun} restaurant in {place}.",
    "Suggest {n} {adj} gift ideas for a {person} who loves the {noun}.",
    "Create a quiz with {n} questions about the {noun} and {name}.",
    "Explain the {noun} to a {person} using an analogy with a {noun2}.",
    "Describe the {adj} smell of a {noun} after rain in {place}.",
    "Write {n} {adj} slogans for {name}, a company that sells {noun}s.",
    "Argue whether the {noun} or the {noun2} changed {place} more.",
    "Give step-by-step instructions for cleaning a {adj} {noun}.",
]
CLAUSES = [
    "The reader is a {person2} from {place}.", "Mention {name} at least once.",
    "Use exactly {n} sentences.", "Focus on the {aspect} of the {noun2}.",
    "Keep the tone {adj2}.", "Assume the reader has never seen a {noun2}.",
    "End with a question about the {noun2}.", "Write it for a {person2} who lives in {place}.",
    "Compare it briefly with a {noun2}.", "Do not mention the {noun2}.",
    "Give one example from {place}.", "Explain it as {name} would.",
]
CLAUSE_RATE = 0.6
TAIL_NOUNS = 0.35
OPENERS = ["Please", "Could you", "I need you to", "Help me", "Your task is to", "Quickly",
           "For my {person} friend,", "As a {person2},", "Today,", "If you can,"]
LANGS = ["French", "Spanish", "German", "Italian", "Japanese", "Chinese"]
_SYLLABLES = "ka lo mi re san tor vel quin dra bel nor fi zan lu mar pe sol gri ta ven".split()
_FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def made_up_name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


class InstructionGenerator:
    """A stream of instructions; `near_dup` and `exact_dup` are the fractions that rework
    an earlier instruction instead of making a fresh one."""

    def __init__(self, seed: int = 0, near_dup: float = 0.25, exact_dup: float = 0.05,
                 names: int = 200_000, memory: int = 5_000, clauses: tuple[int, int] | None = None,
                 tail: float = TAIL_NOUNS):
        self.rng = random.Random(seed)
        self.near_dup, self.exact_dup = near_dup, exact_dup
        self.names = [made_up_name(self.rng) for _ in range(names)]
        self.terms = [made_up_name(self.rng).lower() for _ in range(names // 4)]
        self.recent: list[str] = []
        self.memory = memory
        self.clauses = clauses  # (least, most) added constraints; None: one, at CLAUSE_RATE
        self.tail = tail  # share of nouns from the long tail

    def _name(self) -> str:
        # Zipf-like: a few names recur, most are rare
        index = int(len(self.names) * self.rng.random() ** 3)
        return self.names[index]

    def _noun(self) -> str:
        """Real text has a long tail of rare words (terms, products, species): a share of the
        nouns come from it (Zipf-like), the others from the common list."""
        if self.rng.random() < self.tail:
            return self.terms[int(len(self.terms) * self.rng.random() ** 2)]
        return self.rng.choice(NOUNS)

    def fresh(self) -> str:
        rng = self.rng
        template = rng.choice(TEMPLATES)
        slots = {
            "adj": rng.choice(ADJECTIVES), "adj2": rng.choice(ADJECTIVES),
            "noun": self._noun(), "noun2": self._noun(), "place": rng.choice(PLACES),
            "person": rng.choice(PEOPLE), "person2": rng.choice(PEOPLE),
            "form": rng.choice(FORMS), "aspect": rng.choice(ASPECTS), "n": str(rng.randint(2, 12)),
            "name": self._name(), "lang": rng.choice(LANGS),
        }
        text = template.format(**slots)
        if self.clauses is None:  # real instructions often add a constraint or a context
            count = int(rng.random() < CLAUSE_RATE)
        else:
            count = rng.randint(*self.clauses)
        if self.clauses is not None:  # wide corpora: phrasing varies too, not only the slots
            words = text.split()
            words = [SYNONYMS.get(w, w) if rng.random() < 0.5 else w for w in words]
            if rng.random() < 0.5:
                words = rng.choice(OPENERS).format(**slots).split() + [words[0].lower()] + words[1:]
            text = " ".join(words)
        for clause in rng.sample(CLAUSES, count):
            slots.update(noun2=self._noun(), person2=rng.choice(PEOPLE), place=rng.choice(PLACES),
                         name=self._name(), n=str(rng.randint(2, 12)))
            text += " " + clause.format(**slots)
        return text.replace("-", " ")

    def edit(self, text: str) -> str:
        rng = self.rng
        words = text.rstrip(".?!").split()
        end = text[-1] if text[-1] in ".?!" else "."
        for _ in range(rng.randint(1, 3)):
            move = rng.randrange(6)
            position = rng.randrange(len(words))
            if move == 0:
                swaps = [i for i, w in enumerate(words) if w.lower() in SYNONYMS]
                if swaps:
                    i = rng.choice(swaps)
                    words[i] = SYNONYMS[words[i].lower()]
            elif move == 1:
                words[position:position] = rng.choice(MODIFIERS).split()
            elif move == 2 and len(words) > 4:
                del words[position]
            elif move == 3:
                words = [str(rng.randint(2, 12)) if w.isdigit() else w for w in words]
                words[position] = rng.choice(ADJECTIVES) if rng.random() < 0.5 else words[position]
            elif move == 4 and "and" in words[1:-1]:
                i = words.index("and", 1)
                if i + 1 < len(words):
                    words[i - 1], words[i + 1] = words[i + 1], words[i - 1]
            else:
                return " ".join(words) + end + " " + rng.choice(TAILS)
        return " ".join(words) + end

    def respell(self, text: str) -> str:
        rng = self.rng
        choice = rng.randrange(3)
        if choice == 0:
            return text.upper() if rng.random() < 0.3 else text.lower()
        if choice == 1:
            return "  " + re.sub(" ", lambda _: " " * rng.randint(1, 3), text) + " "
        return text.translate(_FULL_WIDTH)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """(kind, text) with kind "fresh", "near" or "exact"."""
        while True:
            roll = self.rng.random()
            if self.recent and roll < self.exact_dup:
                yield "exact", self.respell(self.rng.choice(self.recent))
                continue
            if self.recent and roll < self.exact_dup + self.near_dup:
                text, kind = self.edit(self.rng.choice(self.recent)), "near"
            else:
                text, kind = self.fresh(), "fresh"
            self.recent.append(text)
            if len(self.recent) > self.memory:
                self.recent.pop(self.rng.randrange(len(self.recent)))
            yield kind, text


class WideInstructionGenerator(InstructionGenerator):
    """Instructions whose words follow a Zipf-like law over a large vocabulary, as a
    million-record corpus's words do: a verb phrase, one or two noun phrases (determiner,
    adjectives, noun from tens of thousands of words) and an optional constraint. Templates
    with a dozen fixed words (above) are realistic for a few thousand texts, not a million."""

    VERBS = ("write explain describe list summarize compare suggest create design outline "
             "evaluate recommend predict identify classify rewrite translate analyze name "
             "estimate plan draft argue define illustrate propose rank critique").split()
    DETERMINERS = "a the one two three four five some several many".split()
    PREPOSITIONS = "for about in with without using during between against near after".split()

    def __init__(self, seed: int = 0, vocabulary: int = 60_000, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.words = list(dict.fromkeys(NOUNS + ADJECTIVES + [
            made_up_name(self.rng).lower() for _ in range(vocabulary)]))

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
                person2=rng.choice(PEOPLE), place=rng.choice(PLACES), name=self._name(),
                n=str(rng.randint(2, 12)), aspect=rng.choice(ASPECTS), noun2=self._word(),
                adj2=rng.choice(ADJECTIVES))
        return text.rstrip(".") + "."


# Whole records for the scale benchmark: mostly English Alpaca records, some Chinese ones, and
# the defects curation exists for (filter hits, bad answers, PII) at realistic low rates.
ANSWER_SENTENCES = [
    "A {noun} is {adj} and surprisingly useful.", "Many people in {place} rely on a {noun} every day.",
    "{name} once said that the {noun2} matters more than most people think.",
    "The {aspect} of a {noun} depends on how it is used.",
    "For a {person}, the most important thing is to start small.",
    "In {place}, the {noun} has a long and {adj2} history.",
    "Compared with a {noun2}, it needs less care and lasts longer.",
    "Try it for {n} days and note what changes.",
]
ZH_NOUNS = "苹果 自行车 桥梁 咖啡 电脑 森林 花园 图书馆 博物馆 高铁 火锅 茶叶 长城 熊猫 雨伞 钢琴 月饼 书法 京剧 地铁".split()
ZH_PLACES = "北京 上海 成都 杭州 西安 广州 重庆 苏州 厦门 青岛".split()
ZH_PEOPLE = "学生 老师 医生 厨师 司机 游客 程序员 农民 护士 记者".split()
ZH_TEMPLATES = [
    "请写一首关于{noun}的短诗，描写{place}的秋天。", "解释{noun}在{place}人日常生活中的作用。",
    "列出{n}个关于{place}{noun}的有趣事实。", "为一位{person}推荐{n}本关于{noun}的书，并说明理由。",
    "比较{noun}和{noun2}的优缺点。", "给一位第一次去{place}的{person}写一份{n}天的旅行计划。",
]
ZH_ANSWERS = [
    "{noun}在{place}非常受欢迎，很多{person}每天都会用到它。",
    "第一，{noun}的历史很悠久；第二，它和{noun2}有密切的关系。",
    "如果你是{person}，可以先从简单的方法开始，坚持{n}天就会看到变化。",
]
DEFECTS = [
    ("filter", "Describe the image of the {noun} in {place}."), ("filter", "Define {noun}."),
    ("filter", "Write a program that tracks every {noun} in {place}."),
    ("output", ""), ("output", "As an AI language model, I cannot have opinions about the {noun}."),
    ("output", "I'm sorry, but I can't help with that request about the {noun}."),
    ("output", "The {noun} is popular in {place} because"),
    ("output", "Dear [Your Name], thank you for asking about the {noun}."),
]
PII_SNIPPETS = ["Contact {first}.{last}@example.com for details.", "Call +1 415-555-{digits4} today.",
                "我的手机号是138{digits8}。", "Card number 4111 1111 1111 1111 was used."]


def _slots(rng: random.Random, names: list[str]) -> dict[str, str]:
    return {"noun": rng.choice(NOUNS), "noun2": rng.choice(NOUNS), "adj": rng.choice(ADJECTIVES),
            "adj2": rng.choice(ADJECTIVES), "place": rng.choice(PLACES), "person": rng.choice(PEOPLE),
            "aspect": rng.choice(ASPECTS), "n": str(rng.randint(2, 9)), "name": rng.choice(names)}


def record_stream(seed: int = 0) -> Iterator[dict]:
    """Alpaca records as a user's file would hold them (no lineage)."""
    rng = random.Random(seed + 1)
    instructions = iter(WideInstructionGenerator(seed=seed))
    names = [made_up_name(rng) for _ in range(50_000)]
    while True:
        roll = rng.random()
        if roll < 0.05:  # Chinese
            zh = {"noun": rng.choice(ZH_NOUNS), "noun2": rng.choice(ZH_NOUNS), "place": rng.choice(ZH_PLACES),
                  "person": rng.choice(ZH_PEOPLE), "n": str(rng.randint(2, 9))}
            yield {"instruction": rng.choice(ZH_TEMPLATES).format(**zh), "input": "",
                   "output": "".join(rng.choice(ZH_ANSWERS).format(**zh) for _ in range(rng.randint(2, 4)))}
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
                first=slots["name"].lower(), last=rng.choice(names).lower(),
                digits4=f"{rng.randint(0, 9999):04d}", digits8=f"{rng.randint(0, 10**8 - 1):08d}")
            output = f"{output} {snippet}"
        yield {"instruction": instruction, "input": given, "output": output}
