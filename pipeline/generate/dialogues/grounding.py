"""The grounding check: a generated answer must say its entry's key facts and must not bring
in facts that belong to other entries. A medical answer names the entry's condition and at
least one of its tests or medications, and names no condition or drug of another entry that
its own entry does not also mention; otherwise the dialogue is rejected as `ungrounded`, with
the evidence."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pipeline.generate.dialogues.templates.base import reads_like_instruction
from pipeline.kb.entry import KBEntry
from pipeline.text import HAN_CHARACTER, cjk_ratio, normalize, tokenize

GroundingVerdict = tuple[str, dict[str, Any]] | None
_DASHES = re.compile(r"[-‐‑–—_/]")
_STOPWORDS = frozenset(
    "a an and are as at be by can do does for from has have if in into is it its not of on or "
    "so than that the then this to until up was when with you your".split()
)
_FUZZY_MIN_TOKENS = 4  # items this long (fix steps) count as mentioned when mostly paraphrased
_FUZZY_RECALL = 0.6
_GENERIC_SUPPORT = 0.5
_PARENTHESES = re.compile(r"^(.*?)\s*[(（](.+?)[)）]\s*$")
_SAFETY_CUES = re.compile(
    r"\b(see|consult|contact|call|visit|talk to)\b.{0,20}\b(doctor|gp|physician|pharmacist|"
    r"emergency|healthcare|professional|specialist|support)\b|\bseek\b.{0,20}\b(care|help|"
    r"attention)\b|\bemergency\b|\burgent(ly)?\b|\bside effects?\b|\bif (your |the )?symptoms\b|"
    r"就医|急诊|医院|副作用|及时",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class GroundingSpec:
    name_required: bool
    required_roles: tuple[str, ...]  # at least one item of one of these roles
    foreign_roles: tuple[str, ...]  # other entries' items of these roles must not appear


SPECS = {
    "medical": GroundingSpec(True, ("tests", "medications"), ("name", "aliases", "medications")),
    "product_support": GroundingSpec(False, ("fix", "parts"), ("parts",)),
    "generic": GroundingSpec(False, (), ()),
}


def _norm(text: str) -> str:
    return " ".join(_DASHES.sub(" ", normalize(text)).split())


@lru_cache(maxsize=8192)
def _pattern(term: str) -> re.Pattern[str] | None:
    norm = _norm(term)
    if not norm:
        return None
    if cjk_ratio(norm) > 0:
        return re.compile(re.escape(norm))
    return re.compile(rf"(?<![\w]){re.escape(norm)}(?:e?s)?(?![\w])")


def _content_tokens(text: str) -> list[str]:
    return [t for t in tokenize(text) if t not in _STOPWORDS and (len(t) > 2 or t.isdigit())]


def mentions(term: str, text: str, *, fuzzy: bool = False) -> bool:
    """`text` must already be `_norm`-alised. Long items also match when mostly paraphrased."""
    pattern = _pattern(term)
    if pattern is not None and pattern.search(text):
        return True
    wanted = set(_content_tokens(term))
    if not fuzzy or len(wanted) < _FUZZY_MIN_TOKENS:
        return False
    present = set(tokenize(text))
    return len(wanted & present) >= _FUZZY_RECALL * len(wanted)


def name_forms(entry: KBEntry) -> list[str]:
    """The name, its parts around a parenthesis ("GERD (reflux)"), and any aliases."""
    forms = [entry.name]
    match = _PARENTHESES.match(entry.name)
    if match:
        forms += [match.group(1), match.group(2)]
    return forms + entry.items("aliases")


def _spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    spans = []
    for term in terms:
        pattern = _pattern(term)
        if pattern is not None:
            spans += [match.span() for match in pattern.finditer(text)]
    return spans


def _outside(span: tuple[int, int], covers: list[tuple[int, int]]) -> bool:
    """A mention inside one of the entry's own longer terms ('asthma' in 'asthma control
    test') is not a mention of another entry."""
    return not any(
        start <= span[0] and span[1] <= end and (end - start) > (span[1] - span[0]) for start, end in covers
    )


class ForeignIndex:
    """Every condition and drug name in the KB, with the entries it belongs to."""

    def __init__(self, entries: list[KBEntry]):
        self.owners: dict[tuple[str, str], set[str]] = defaultdict(set)
        for entry in entries:
            spec = SPECS.get(entry.domain, SPECS["generic"])
            for role in spec.foreign_roles:
                items = name_forms(entry) if role == "name" else entry.items(role)
                for item in items:
                    if _norm(item):
                        self.owners[(entry.domain, _norm(item))].add(entry.name)

    def foreign_in(self, entry: KBEntry, text: str) -> list[dict[str, Any]]:
        """`text` must already be `_norm`-alised."""
        own_text = _norm(entry.name + " " + entry.fact_text() + " " + " ".join(name_forms(entry)))
        covers = _spans(text, _own_terms(entry))
        found = []
        for (domain, term), owners in self.owners.items():
            if domain != entry.domain or entry.name in owners or mentions(term, own_text):
                continue
            pattern = _pattern(term)
            if pattern and any(_outside(m.span(), covers) for m in pattern.finditer(text)):
                found.append({"term": term, "from": sorted(owners)})
        return found


def _own_terms(entry: KBEntry) -> list[str]:
    terms = name_forms(entry)
    for value in entry.facts.values():
        terms += value if isinstance(value, list) else []
    return terms


def check_grounding(entry: KBEntry, answers: list[str], index: ForeignIndex) -> GroundingVerdict:
    """None when grounded, else ("ungrounded", evidence)."""
    spec = SPECS.get(entry.domain, SPECS["generic"])
    text = _norm(" ".join(answers))
    evidence: dict[str, Any] = {"entry": entry.name, "missing": []}
    if spec.name_required:
        named = any(mentions(form, text) for form in name_forms(entry))
        evidence["names_entry"] = named
        if not named:
            evidence["missing"].append("name")
    if spec.required_roles:
        said = {
            role: [i for i in entry.items(role) if mentions(i, text, fuzzy=True)]
            for role in spec.required_roles
        }
        evidence["mentioned"] = {role: items for role, items in said.items() if items}
        if not any(said.values()) and any(entry.items(r) for r in spec.required_roles):
            evidence["missing"].append(" or ".join(spec.required_roles))
    if not spec.required_roles and not spec.name_required:
        words = _content_tokens(text)
        own = set(tokenize(entry.name + " " + entry.fact_text()))
        support = sum(1 for w in words if w in own) / len(words) if words else 0.0
        evidence["support"] = round(support, 3)
        if support < _GENERIC_SUPPORT:
            evidence["missing"].append("support")
    foreign = index.foreign_in(entry, text)
    if foreign:
        evidence["foreign"] = foreign
    if evidence["missing"] or foreign:
        return "ungrounded", evidence
    return None


# words of a symptom list that describe no symptom ("often no symptoms"), and characters too
# common in Chinese symptom phrases to say which symptom is meant
_NOT_A_COMPLAINT = frozenset("symptom symptoms often usually no none mild severe".split())
_COMMON_HAN = frozenset("的了和或有是不很我在后时等感觉到得也就都一之性症状")
_NO_SYMPTOMS = re.compile(r"\bno symptoms?\b|无症状|没有症状|无明显症状")
_STEM = 5  # "tired" describes "tiredness", "swell" "swelling"
# everyday words for the ones symptom lists use, read as those: 疼 for 痛 (pain), 肚 for 腹
# (belly), 烧 for 热 (fever: 发烧 / 发热); tired, tiredness and exhausted for fatigue
_LAY_WORDS = {
    "疼": "痛",
    "肚": "腹",
    "烧": "热",
    "tired": "fatigue",
    "tiredness": "fatigue",
    "exhausted": "fatigue",
}


def _complaint_words(text: str) -> set[str]:
    """The words of a text that can name a complaint, and its uncommon Han characters, each in
    the symptom lists' spelling."""
    characters = {
        token for token in tokenize(text) if HAN_CHARACTER.fullmatch(token) and token not in _COMMON_HAN
    }
    words = {word for word in _content_tokens(text) if word not in _NOT_A_COMPLAINT}
    return {_LAY_WORDS.get(word, word) for word in characters | words}


def _same_complaint(said: str, listed: str) -> bool:
    """One stem ("tired" / "tiredness"), or one word inside the other ("sleep" / "asleep")."""
    if said[:_STEM] == listed[:_STEM]:
        return True
    shorter, longer = sorted((said, listed), key=len)
    return len(shorter) > 3 and shorter in longer


def ask_misses_symptoms(entry: KBEntry, ask: str) -> list[str] | None:
    """The entry's symptoms when the asker's message names none of them, else None.

    The answer is told the diagnosis; an ask that describes something else (a bad dream for
    insomnia, a placeholder) pairs that diagnosis with a complaint that does not lead to it.
    Lay wording passes as long as one word (or one Chinese character) of one symptom is used.
    An entry listing "no symptoms" and an entry without symptoms are not checked."""
    symptoms = entry.items("symptoms")
    if not symptoms or any(_NO_SYMPTOMS.search(_norm(item)) for item in symptoms):
        return None
    listed = set().union(*(_complaint_words(item) for item in symptoms))
    said = _complaint_words(ask)
    if not listed or any(_same_complaint(word, other) for word in said for other in listed):
        return None
    return symptoms


def check_turns(entry: KBEntry, asks: list[str], answers: list[str]) -> GroundingVerdict:
    """Checks of the dialogue as a whole, before grounding."""
    for side, texts in (("ask", asks), ("answer", answers)):
        for number, text in enumerate(texts, start=1):
            if not text.strip():
                return "empty_turn", {"side": side, "turn": number}
            if reads_like_instruction(text):
                return "instruction_in_output", {"side": side, "turn": number, "text": text[:200]}
    if entry.domain == "medical" and asks:
        first = _norm(asks[0])
        named = [form for form in name_forms(entry) if mentions(form, first)]
        if named:  # the patient cannot know the diagnosis yet
            return "asker_names_entry", {"turn": 1, "names": named}
    if asks:
        symptoms = ask_misses_symptoms(entry, asks[0])
        if symptoms is not None:
            return "ask_misses_symptoms", {"turn": 1, "symptoms": symptoms, "ask": asks[0][:200]}
    return None


def has_safety_note(answers: list[str]) -> bool:
    return any(_SAFETY_CUES.search(answer) for answer in answers)
