"""PII/PHI detection and redaction.

Found: e-mail addresses, phone numbers (phonenumbers: +CC international numbers, national
formats of the configured regions, Chinese mobiles), US social security numbers, Chinese
resident identity numbers (with their ISO 7064 check character), payment card numbers (Luhn
and an issuer prefix) and IP addresses. Each is replaced by a typed placeholder such as
`[EMAIL]`, or the record is dropped. Evidence names the type and where, never the value.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass

import phonenumbers

from pipeline.curate.config import PIIConfig
from pipeline.curate.views import text_fields, with_texts
from pipeline.records import Record

PII_PLACEHOLDERS = {
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "us_ssn": "[US_SSN]",
    "cn_resident_id": "[CN_RESIDENT_ID]",
    "credit_card": "[CREDIT_CARD]",
    "ip_address": "[IP_ADDRESS]",
}
# ASCII edges, not \b: a Chinese character is a word character, so \b never matched an address
# written against Chinese text (发邮件到zhangsan@example.cn或者…)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9])"
)
_US_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])")
_CN_ID = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{3}[\dXx](?![0-9A-Za-z])"
)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_ANY_HINT = re.compile(r"@|\d.*\d|:.*:", re.DOTALL)  # every type needs an @, two digits or two colons
_PHONE_HINT = re.compile(r"\d(?:\D{0,3}\d){6}")  # at least 7 digits close together
_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK = "10X98765432"
_CARD_PREFIXES = re.compile(
    r"4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01])|3[47]|3(?:0[0-5]|[68])|6(?:011|5|4[4-9]|2)"
    r"|35(?:2[89]|[3-8]\d)"
)


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


def cn_resident_id_valid(number: str) -> bool:
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _CN_ID_WEIGHTS, strict=True))
    return _CN_ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_number(text: str) -> bool:
    digits = re.sub(r"[ -]", "", text)
    return 13 <= len(digits) <= 19 and _CARD_PREFIXES.match(digits) is not None and luhn_valid(digits)


def _ip_address(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified)


def _regex_findings(text: str, kinds: frozenset[str]) -> list[Finding]:
    found: list[Finding] = []
    checks = (
        ("email", _EMAIL, None),
        ("cn_resident_id", _CN_ID, cn_resident_id_valid),
        ("credit_card", _CARD, _card_number),
        ("us_ssn", _US_SSN, None),
        ("ip_address", _IPV4, _ip_address),
        ("ip_address", _IPV6, _ip_address),
    )
    for kind, pattern, valid in checks:
        if kind not in kinds:
            continue
        for match in pattern.finditer(text):
            if valid is None or valid(match.group(0)):
                found.append(Finding(kind, match.start(), match.end()))
    return found


def _phone_findings(text: str, regions: list[str]) -> list[Finding]:
    if not _PHONE_HINT.search(text):
        return []  # PhoneNumberMatcher is slow; most texts have no run of 7 digits
    found = []
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(text, region):
            found.append(Finding("phone", match.start, match.end))
    return found


def find_pii(text: str, config: PIIConfig) -> list[Finding]:
    """Non-overlapping findings, in text order; the more specific type wins an overlap (an
    identity or card number is not also reported as a phone number)."""
    if not text or not _ANY_HINT.search(text):
        return []
    kinds = frozenset(config.types)
    candidates = _regex_findings(text, kinds)
    if "phone" in kinds:
        candidates += _phone_findings(text, config.phone_regions)
    chosen: list[Finding] = []
    for finding in candidates:  # regex types come first, so they win overlaps
        if all(finding.end <= kept.start or finding.start >= kept.end for kept in chosen):
            chosen.append(finding)
    return sorted(chosen, key=lambda finding: finding.start)


def redact_pii(text: str, findings: list[Finding]) -> str:
    parts, cursor = [], 0
    for finding in findings:
        parts.append(text[cursor : finding.start])
        parts.append(PII_PLACEHOLDERS[finding.kind])
        cursor = finding.end
    parts.append(text[cursor:])
    return "".join(parts)


def count_kinds(findings: list[Finding]) -> Counter[str]:
    return Counter(finding.kind for finding in findings)


@dataclass(frozen=True)
class Redaction:
    """A record with its PII replaced by typed placeholders (a fresh id when anything changed),
    what was found by type, and the fields that held it."""

    record: Record
    found: Counter[str]
    fields: list[str]


def redact_record(record: Record, config: PIIConfig) -> Redaction:
    """Every text field of `record` redacted: curation's pii step, the records it rejects, and
    generated dialogues all go through here."""
    found: Counter[str] = Counter()
    redacted: dict[str, str] = {}
    for name, text in text_fields(record):
        findings = find_pii(text, config)
        if findings:
            found.update(count_kinds(findings))
            redacted[name] = redact_pii(text, findings)
    return Redaction(with_texts(record, redacted) if redacted else record, found, sorted(redacted))
