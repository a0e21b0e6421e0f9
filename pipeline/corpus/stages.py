"""The per-document stages of a corpus build, in order: boilerplate lines, language id and filter,
quality rules, exact and near-duplicate documents, repeated paragraphs, PII. `Cleaner.clean` takes
one document and returns it cleaned, or the reason it was dropped, plus every span it removed.

Rules are named `<stage>:<rule>` (quality:mean_word_length, dedup:near, pii:email, ...). Text that
goes into dropped.jsonl and removed.jsonl (document heads, removed lines) has its PII redacted too:
those files must not leak what the corpus itself no longer holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.corpus.config import CorpusConfig
from pipeline.corpus.dedup import RULE_PARAGRAPH, DocumentDeduper, ParagraphFilter
from pipeline.corpus.documents import SPAN_TEXT_CHARS, TEXT_HEAD_CHARS, Document, DroppedDocument, RemovedSpan
from pipeline.corpus.report import BuildReport
from pipeline.curate.pii import PII_PLACEHOLDERS, count_kinds, find_pii, redact_pii


@dataclass(slots=True)
class Outcome:
    document: Document
    dropped: DroppedDocument | None = None
    removed: list[RemovedSpan] = field(default_factory=list)


class Cleaner:
    def __init__(self, config: CorpusConfig, report: BuildReport):
        self.config, self.report = config, report
        self.languages = frozenset(config.languages) if config.languages else None
        self.deduper = DocumentDeduper(config.dedup)
        dedup = config.dedup
        self.paragraphs = (
            ParagraphFilter(dedup.paragraph_min_chars, dedup.paragraph_min_documents)
            if dedup.paragraphs
            else None
        )

    def scrub(self, text: str) -> str:
        """`text` with its PII replaced by typed placeholders (for the drop and removal logs)."""
        return redact_pii(text, find_pii(text, self.config.pii))

    def _span(
        self, document: Document, rule: str, evidence: str, text: str, characters: int | None = None
    ) -> RemovedSpan:
        span = RemovedSpan(document.id, document.source, rule, evidence, self.scrub(text[:SPAN_TEXT_CHARS]))
        self.report.remove(span, len(text) if characters is None else characters)
        return span

    def _drop(self, outcome: Outcome, rule: str, evidence: str) -> Outcome:
        document = outcome.document
        head = self.scrub(document.text[:TEXT_HEAD_CHARS])
        outcome.dropped = DroppedDocument(document.id, document.source, rule, evidence, head)
        return outcome

    def clean(self, document: Document) -> Outcome:
        report = self.report
        report.passed("read")
        report.length_read.add(len(document.text))
        outcome = Outcome(document)
        if not self._boilerplate(outcome):
            return self._drop(outcome, "boilerplate:empty", "nothing left after removing boilerplate lines")
        report.passed("boilerplate")
        from pipeline.corpus.language import detect_language

        language = detect_language(document.text)
        document.language = language
        report.languages_read[language] += 1
        if self.languages is not None and language not in self.languages:
            wanted = ", ".join(sorted(self.languages))
            return self._drop(outcome, "language", f"language {language} not in {wanted}")
        report.passed("language")
        from pipeline.corpus.quality import check_quality

        failure = check_quality(document.text, language, self.config.quality)
        if failure is not None:
            return self._drop(outcome, f"quality:{failure[0]}", failure[1])
        report.passed("quality")
        duplicate = self.deduper.check(document.id, document.text)
        if duplicate is not None:
            return self._drop(outcome, duplicate.rule, duplicate.evidence)
        report.passed("dedup")
        if self.paragraphs is not None:
            text, removed = self.paragraphs.apply(document.text)
            for paragraph in removed:
                outcome.removed.append(
                    self._span(document, RULE_PARAGRAPH, paragraph.evidence, paragraph.text)
                )
            if not text.strip():
                return self._drop(
                    outcome, RULE_PARAGRAPH, f"all {len(removed)} paragraphs repeat earlier documents"
                )
            document.text = text
        report.passed("paragraphs")
        if not self._pii(outcome):
            return outcome
        report.passed("pii")
        return outcome

    def _boilerplate(self, outcome: Outcome) -> bool:
        """Remove boilerplate lines; False when nothing is left."""
        from pipeline.corpus.boilerplate import strip_boilerplate

        document = outcome.document
        text, removed = strip_boilerplate(document.text, self.config.boilerplate)
        for rule, evidence, line in removed:
            outcome.removed.append(self._span(document, f"boilerplate:{rule}", evidence, line))
        document.text = text
        return bool(text.strip())

    def _pii(self, outcome: Outcome) -> bool:
        """Redact (or, with action drop, drop on) PII; False when the document was dropped."""
        document, config = outcome.document, self.config.pii
        findings = find_pii(document.text, config)
        if not findings:
            return True
        if config.action == "drop":
            kinds = count_kinds(findings)
            rule = "pii:" + "+".join(sorted(kinds))
            self._drop(outcome, rule, ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())))
            return False
        for finding in findings:
            placeholder = PII_PLACEHOLDERS[finding.kind]
            evidence = f"{finding.kind} at characters {finding.start}-{finding.end} replaced by {placeholder}"
            span = self._span(
                document, f"pii:{finding.kind}", evidence, placeholder, finding.end - finding.start
            )
            outcome.removed.append(span)
        document.text = redact_pii(document.text, findings)
        return True
