import pytest

from pipeline.curate.structure.asks import reading
from pipeline.curate.structure.roles import role_confusion


def _confused(instruction: str, given: str, said: str) -> object:
    return role_confusion(instruction, given, said, reading(instruction, False))


def test_the_input_again_carried_on_or_asked_back() -> None:
    asks = reading("Summarise the passage in one sentence.", False)
    passage = "The person took a test, they chose to take the blue car and passed on the first try."
    assert role_confusion("Summarise the passage in one sentence.", passage, "1. " + passage, asks)
    assert role_confusion("Summarise the passage.", passage, passage + " Then they drove home.", asks)
    assert role_confusion(
        "What is the boiling point of water?", "", "What is the boiling point of water?", asks
    )
    fix = reading("Correct the spelling in this sentence.", False)
    assert (
        role_confusion("Correct the spelling.", "I recieved teh letter.", "I received the letter.", fix)
        is None
    )


@pytest.mark.parametrize(
    ("instruction", "given", "said"),
    [
        # the input's speaker again, by label, even in an edit task when the task names who answers
        (
            "As the editor, fix the writer's sentence.",
            "Writer: Me and him goes there.",
            "Writer: We goes there.",
        ),
        ("作为医生，纠正病人的说法。", "病人：感冒了就要吃抗生素。", "病人：我觉得感冒就得吃抗生素。"),
        # the input's speaker again, in the first person, saying what the input said
        (
            "Reply as the landlord to the tenant's message.",
            "Tenant: The boiler broke on Monday and I have had no hot water since.",
            "The boiler broke on Monday, and since then I have had no hot water at all.",
        ),
        (
            "回复顾客的留言。",
            "顾客：我上周买的台灯用了两天就不亮了。",
            "我上周买的台灯只用了两天就不亮了，真失望。",
        ),
    ],
)
def test_the_input_s_speaker_talking_again(instruction: str, given: str, said: str) -> None:
    assert _confused(instruction, given, said)


@pytest.mark.parametrize(
    ("instruction", "given", "said"),
    [
        (
            "Correct the grammar.",
            "Writer: Me and him goes there.",
            "Writer: He and I go there.",
        ),  # no role named
        (
            "Reply as the landlord to the tenant's message.",
            "Tenant: The boiler broke on Monday and I have had no hot water since.",
            "I'm sorry the boiler broke on Monday; I will send a plumber to you tomorrow.",
        ),
        (
            "Reply to the email.",
            "Could you attend the review on Monday?",
            "Thanks, I will attend the review on Monday.",
        ),
        (
            "回复顾客的留言。",
            "顾客：我上周买的台灯用了两天就不亮了。",
            "非常抱歉给您添麻烦了，我们马上为您换一台新台灯。",
        ),
        ("Write the customer's next message.", "Agent: What is your order number?", "Customer: It is 48213."),
    ],
)
def test_replies_in_their_own_voice_pass(instruction: str, given: str, said: str) -> None:
    assert _confused(instruction, given, said) is None


@pytest.mark.parametrize(
    ("instruction", "given", "said"),
    [
        (
            "Reply as the support agent.",
            "My printer jams every time. Can you help?",
            "Also, my scanner stopped working yesterday.",
        ),
        (
            "Respond as the tour guide.",
            "I'd like to see Kyoto in April. Any tips?",
            "I'd also love to try a tea ceremony.",
        ),
        (
            "以客服的身份回复这位顾客。",
            "我买的耳机左边没声音，怎么办？",
            "而且充电盒也充不进电，我都用不了。",
        ),
        ("以医生的身份回复患者。", "我最近总是失眠，该怎么办？", "而且我晚上十二点才睡，早上五点就醒了。"),
    ],
)
def test_the_input_s_speaker_going_on(instruction: str, given: str, said: str) -> None:
    assert _confused(instruction, given, said)


def test_edits_that_restate_the_input_pass() -> None:
    assert _confused("Escape the quotes for a JSON string.", 'She said "hi".', 'She said \\"hi\\".') is None
    assert _confused("删掉句子里多余的字。", "他大概五十岁左右。", "他五十岁左右。") is None
    assert _confused("给下面的句子补一个结尾：", "只要每天练习，", "只要每天练习，就会进步。") is None


@pytest.mark.parametrize(
    ("instruction", "given", "said"),
    [
        # the question again, then only more asking or talk about the question
        (
            "Why do onions make you cry?",
            "",
            "Why do onions make you cry? Put differently, what in an onion stings?",
        ),
        ("为什么冬天嘴唇容易干裂？", "", "为什么冬天的时候嘴唇容易干裂呢？这是很多人都有的疑问。"),
        # the task asked back as a request
        (
            "Recommend a podcast about world history.",
            "",
            "Please recommend a podcast that teaches me world history.",
        ),
        # an edit that changed nothing
        (
            "Correct the spelling mistakes.",
            "we recieved the pakage on monday",
            "we recieved the pakage on monday",
        ),
        # the letter's writer writing again: same greeting, same signature
        (
            "Write a reply to this message from a tenant.",
            "Dear Mr Okafor, the boiler has stopped working again. Best wishes, Priya Shah",
            "Dear Mr Okafor, it is still cold in the flat and the radiators are off. Best wishes, Priya Shah",
        ),
        (
            "替店长回复这位顾客。",
            "李店长您好，我买的台灯坏了，能换吗？张女士",
            "李店长您好，我又看了一下，开关也松了。张女士",
        ),
        # the speaker going on, with no first person
        ("以店主的身份回复这条评价。", "菜太咸了，上菜也慢。", "而且服务员一直在玩手机，结账还算错了钱。"),
        (
            "Write the manager's reply to this review.",
            "The room was noisy and the staff ignored us.",
            "We found the breakfast cold too, and nobody cleaned the room.",
        ),
        # a named role continuing the dialogue, but the other speaker talks
        (
            "Continue the dialogue as the shop assistant.",
            "Customer: Do you have this in a larger size?",
            "Customer: And is there a discount for members?",
        ),
        ("你是一名营养师，请回答用户的问题。", "营养师：多吃蔬菜。", "营养师：少喝奶茶。"),
    ],
)
def test_more_voices_that_are_not_the_answers(instruction: str, given: str, said: str) -> None:
    assert _confused(instruction, given, said) is not None


@pytest.mark.parametrize(
    ("instruction", "given", "said"),
    [
        (
            "Why do onions make you cry?",
            "",
            "Why do onions make you cry? Cutting one releases a gas that irritates the eyes.",
        ),
        (
            "Reply to the customer.",
            "Hi, do you ship to Norway?",
            "Hi, thanks for asking! Yes, we ship to Norway within five days.",
        ),
        ("Halve the recipe.", "4 eggs, 200 g sugar, 2 cups flour", "2 eggs, 100 g sugar, 1 cup flour"),
        ("把配方用量减半。", "鸡蛋4个，白糖100克，面粉200克", "鸡蛋2个，白糖50克，面粉100克"),
        ("Correct the spelling mistakes.", "we recieved the pakage", "We received the package."),
    ],
)
def test_answers_in_their_own_voice_still_pass(instruction: str, given: str, said: str) -> None:
    assert _confused(instruction, given, said) is None


@pytest.mark.parametrize(
    ("instruction", "said"),
    [
        ("What is the capital of France?", "Paris is the capital of France."),
        ("Which planet is closest to the Sun?", "Mercury is the planet closest to the Sun."),
        ("How many legs does a spider have?", "A spider has eight legs."),
        ("法国的首都是哪里？", "法国的首都是巴黎。"),
        ("一年有多少个月？", "一年有十二个月。"),
    ],
)
def test_a_question_answered_in_a_sentence_that_repeats_it_passes(instruction: str, said: str) -> None:
    assert _confused(instruction, "", said) is None


@pytest.mark.parametrize(
    ("instruction", "said"),
    [
        ("What is the capital of France?", "The capital of France."),  # nothing added: no answer
        ("What is the capital of France?", "What is the capital of France in Europe?"),  # asked back
        ("Describe the water cycle.", "Describe the water cycle in detail."),  # not a question
        ("人体的三种血管是哪三种？", "人体的三种血管分别是："),  # stops before the answer
        ("澳大利亚的首都是哪里？", "澳大利亚的首都是堪"),  # cut, no sentence end
        ("How many legs does a spider have?", "how many legs does a spider have exactly"),  # asked back
        ("法国的首都是哪里？", "请问法国的首都是哪里。"),  # asked back, with a full stop
    ],
)
def test_a_restatement_that_adds_no_answer_is_still_dropped(instruction: str, said: str) -> None:
    assert _confused(instruction, "", said) is not None
