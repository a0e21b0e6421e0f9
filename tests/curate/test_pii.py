import pytest

from pipeline.curate.config import CurateConfig, PIIConfig
from pipeline.curate.curator import Curator
from pipeline.curate.pii import cn_resident_id_valid, find_pii, luhn_valid, redact_pii
from tests.curate.conftest import alpaca, dialogue


def found(text: str, config: PIIConfig | None = None) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in find_pii(text, config or PIIConfig())]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Write to jane.doe+news@mail.example.org today.", [("email", "jane.doe+news@mail.example.org")]),
        ("Write to jane at example dot org.", []),
        ("Call +1 415-555-2671 after six.", [("phone", "+1 415-555-2671")]),
        ("Call (415) 555-2671 after six.", [("phone", "(415) 555-2671")]),
        ("Ring +44 20 7946 0958 in London.", [("phone", "+44 20 7946 0958")]),
        ("请拨打13812345678联系我。", [("phone", "13812345678")]),
        ("座机：010-62345678。", [("phone", "010-62345678")]),
        ("In 1999 there were 31415926 people and 2023-10-01 was a Sunday.", []),
        ("My SSN is 123-45-6789.", [("us_ssn", "123-45-6789")]),
        ("Not an SSN: 000-12-3456 or 123456789.", []),
        ("身份证号11010519491231002X请保密。", [("cn_resident_id", "11010519491231002X")]),
        ("身份证号110105194912310021请保密。", []),  # wrong check character
        ("Pay with 4111 1111 1111 1111 now.", [("credit_card", "4111 1111 1111 1111")]),
        ("Pay with 4111-1111-1111-1112 now.", []),  # fails Luhn
        ("Amex 3782 822463 10005 works.", [("credit_card", "3782 822463 10005")]),
        (
            "Server 8.8.8.8 and 2001:4860:4860::8888 answered.",
            [("ip_address", "8.8.8.8"), ("ip_address", "2001:4860:4860::8888")],
        ),
        ("Localhost 127.0.0.1, ::1, bad 999.1.1.1, version 1.2.3, time 12:30:45.", []),
    ],
)
def test_detection(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


def test_checksums() -> None:
    assert cn_resident_id_valid("11010519491231002X") and cn_resident_id_valid("11010519491231002x")
    assert not cn_resident_id_valid("110105194912310020")
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


def test_only_configured_types_are_found() -> None:
    text = "Mail a@b.co or call 13812345678."
    assert found(text, PIIConfig(types=["email"])) == [("email", "a@b.co")]


def test_redaction_uses_typed_placeholders() -> None:
    text = "Mail jane@example.com, call 13812345678, card 4111 1111 1111 1111, ID 11010519491231002X."
    assert (
        redact_pii(text, find_pii(text, PIIConfig()))
        == "Mail [EMAIL], call [PHONE], card [CREDIT_CARD], ID [CN_RESIDENT_ID]."
    )


def test_curator_redacts_and_counts() -> None:
    curator = Curator(CurateConfig(steps=["pii"]))
    record = alpaca(
        "Write a reply to the customer email below.",
        input="From: jane@example.com, phone +1 415-555-2671",
        output="Dear customer, we will call you at +1 415-555-2671 tomorrow.",
    )
    decision = curator.decide(record)
    assert decision.rejected is None
    kept = decision.record
    assert kept.input == "From: [EMAIL], phone [PHONE]"
    assert kept.output == "Dear customer, we will call you at [PHONE] tomorrow."
    assert kept.id != record.id and kept.lineage == record.lineage
    pii = curator.report.as_dict()["pii"]
    assert pii == {"records_with_pii": 1, "records_redacted": 1, "found_by_type": {"email": 1, "phone": 2}}


def test_curator_can_drop_instead_and_says_where_without_the_value() -> None:
    curator = Curator(CurateConfig(steps=["pii"], pii=PIIConfig(action="drop")))
    rejected = curator.consider_one(
        dialogue("我的身份证号是11010519491231002X，帮我查一下。", "好的。", language="zh")
    )
    assert rejected.reason == "pii" and rejected.step == "pii"
    assert rejected.evidence == {"rule": "pii", "types": {"cn_resident_id": 1}, "fields": ["messages[0]"]}
    assert "11010519491231002X" not in str(rejected.evidence)
    assert curator.report.as_dict()["pii"]["records_redacted"] == 0


def test_records_without_pii_are_untouched() -> None:
    curator = Curator(CurateConfig(steps=["pii"]))
    record = alpaca("Explain how tides work on the coast.")
    assert curator.decide(record).record is record


def test_an_address_written_against_chinese_text_is_redacted() -> None:
    """Chinese characters are word characters, so a \\b-bounded pattern never matched here."""
    text = "请发邮件到zhangsan@example.cn或者拨打13812345678，抄送（li.si@qq.com）"
    redacted = redact_pii(text, find_pii(text, PIIConfig()))
    assert "zhangsan@example.cn" not in redacted and "li.si@qq.com" not in redacted, redacted
    assert redacted.count("[EMAIL]") == 2 and "[PHONE]" in redacted
    assert find_pii("x@y.c1 and a@b.com2", PIIConfig()) == []


def test_rejected_records_are_kept_without_their_pii() -> None:
    """Rejected records went to the rejected file as they came in: card numbers, SSNs, e-mails."""
    curator = Curator(CurateConfig(pii=PIIConfig(action="drop")))
    dropped_for_pii = curator.consider_one(
        alpaca(
            "Please check whether this customer's payment card number is valid.",
            input="Card: 4111 1111 1111 1111, SSN 123-45-6789",
            output="The card number 4111 1111 1111 1111 passes the Luhn check.",
        )
    )
    assert dropped_for_pii.reason == "pii"
    assert "4111" not in str(dropped_for_pii.record) and "123-45-6789" not in str(dropped_for_pii.record)
    assert "[CREDIT_CARD]" in dropped_for_pii.record["input"]
    earlier_step = Curator(CurateConfig()).consider_one(
        alpaca("Say hi to max.mustermann@web.de", output="As an AI language model, I cannot say hi.")
    )
    assert earlier_step.step != "pii" and "max.mustermann" not in str(earlier_step.record)
    untouched = Curator(CurateConfig(steps=["output_checks"])).consider_one(  # no pii step: as given
        alpaca("Say hi to max.mustermann@web.de", output="As an AI language model, I cannot say hi.")
    )
    assert "max.mustermann@web.de" in untouched.record["instruction"]
