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
    "write": "compose",
    "compose": "write",
    "explain": "describe",
    "describe": "explain",
    "list": "name",
    "name": "list",
    "short": "brief",
    "brief": "short",
    "tips": "suggestions",
    "suggestions": "tips",
    "give": "provide",
    "provide": "give",
    "create": "make",
    "make": "create",
    "funny": "humorous",
    "sad": "melancholy",
    "main": "key",
    "key": "main",
    "benefits": "advantages",
    "advantages": "benefits",
    "simple": "plain",
    "ways": "methods",
}
MODIFIERS = [
    "please",
    "briefly",
    "in detail",
    "for beginners",
    "in simple terms",
    "quickly",
    "step by step",
    "for a child",
    "in a few sentences",
    "clearly",
]
TAILS = [
    "Use simple language.",
    "Keep it under 100 words.",
    "Be specific.",
    "Include an example.",
    "Make it engaging.",
    "Avoid jargon.",
]
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
    "The reader is a {person2} from {place}.",
    "Mention {name} at least once.",
    "Use exactly {n} sentences.",
    "Focus on the {aspect} of the {noun2}.",
    "Keep the tone {adj2}.",
    "Assume the reader has never seen a {noun2}.",
    "End with a question about the {noun2}.",
    "Write it for a {person2} who lives in {place}.",
    "Compare it briefly with a {noun2}.",
    "Do not mention the {noun2}.",
    "Give one example from {place}.",
    "Explain it as {name} would.",
]
CLAUSE_RATE = 0.6
TAIL_NOUNS = 0.35
OPENERS = [
    "Please",
    "Could you",
    "I need you to",
    "Help me",
    "Your task is to",
    "Quickly",
    "For my {person} friend,",
    "As a {person2},",
    "Today,",
    "If you can,",
]
LANGS = ["French", "Spanish", "German", "Italian", "Japanese", "Chinese"]
_SYLLABLES = "ka lo mi re san tor vel quin dra bel nor fi zan lu mar pe sol gri ta ven".split()
_FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def made_up_name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


class InstructionGenerator:
    """A stream of instructions; `near_dup` and `exact_dup` are the fractions that rework
    an earlier instruction instead of making a fresh one."""

    def __init__(
        self,
        seed: int = 0,
        near_dup: float = 0.25,
        exact_dup: float = 0.05,
        names: int = 200_000,
        memory: int = 5_000,
        clauses: tuple[int, int] | None = None,
        tail: float = TAIL_NOUNS,
    ):
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
            "adj": rng.choice(ADJECTIVES),
            "adj2": rng.choice(ADJECTIVES),
            "noun": self._noun(),
            "noun2": self._noun(),
            "place": rng.choice(PLACES),
            "person": rng.choice(PEOPLE),
            "person2": rng.choice(PEOPLE),
            "form": rng.choice(FORMS),
            "aspect": rng.choice(ASPECTS),
            "n": str(rng.randint(2, 12)),
            "name": self._name(),
            "lang": rng.choice(LANGS),
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
            slots.update(
                noun2=self._noun(),
                person2=rng.choice(PEOPLE),
                place=rng.choice(PLACES),
                name=self._name(),
                n=str(rng.randint(2, 12)),
            )
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
