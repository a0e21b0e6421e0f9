"""Synthetic raw documents for the corpus benchmark (deterministic for a given seed).

Sentences are composed from short slots (determiner, adjective, noun, verb, object, place, a
connective clause), so no fixed span longer than two or three words recurs and documents read
like plain prose to Gopher/C4-style rules. Two profiles:

- friendly: English only, 3-6 paragraphs of 3-6 sentences (about 250-550 words), 1 % exact
  repeats and 1 % near duplicates of earlier documents;
- hard: half English, half Chinese (composed the same way from Chinese word lists), long
  documents (8-20 paragraphs), 10 % exact repeats and 30 % near duplicates (an earlier document
  with a few words replaced and one paragraph appended or dropped), plus a shared disclaimer
  paragraph in 5 % of the documents.

Known limit: the Chinese sentences end in one of ten fixed clauses, so long Chinese documents
repeat n-grams enough for Gopher-style repetition rules; in the measured runs (1 MB, seed 0)
datatrove kept none of the 89 Chinese documents and seedforge's kept token count says the same.
The hard profile therefore measures dedup and long documents more than Chinese quality rules.

`documents(profile, seed)` yields {"id", "text"} rows forever; the caller stops at a byte budget.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from synthetic import ADJECTIVES, NOUNS, PEOPLE, PLACES

VERBS = """admires borrows builds carries checks cleans collects describes discovers draws
explains fixes follows improves measures moves notices offers opens organises paints plans
prepares protects reads records repairs replaces shares studies teaches tests visits watches
welcomes writes""".split()
DETERMINERS = ["The", "A", "Every", "One", "That", "This", "Our", "Each", "Another"]
PREPOSITIONS = ["in", "near", "outside", "across", "around", "behind", "beyond", "above"]
CLAUSES = [
    "because the weather changed",
    "while the others waited",
    "after a long morning",
    "before anyone noticed",
    "so that nothing was lost",
    "although it was late",
    "when the market opened",
    "as the light faded",
    "since the last visit",
    "until the work was done",
    "whenever there was time",
    "even though it rained",
]
ADVERBS = ["quietly", "carefully", "slowly", "quickly", "gladly", "often", "rarely", "patiently"]

ZH_SUBJECTS = """老师 学生 医生 护士 农民 厨师 司机 邻居 孩子 老人 工程师 画家 记者 店主 游客
图书管理员 园丁 面包师 快递员 志愿者 音乐家 科学家 邮递员 律师 设计师""".split()
ZH_PLACES = """公园 河边 山脚下 市场 车站 图书馆 广场 小巷 学校 医院 村口 菜园 码头 博物馆
体育馆 咖啡馆 社区中心 老街 湖边 桥头 菜市场 书店 操场 院子""".split()
ZH_VERBS = """整理 修理 打扫 检查 记录 讨论 准备 拜访 收集 种植 清洗 阅读 描述 介绍 测量
照顾 搬运 保护 分享 挑选 装饰 计划 观察 学习""".split()
ZH_OBJECTS = """自行车 旧书 花盆 木椅 窗户 信件 地图 照片 菜谱 账本 雨伞 风筝 桌布 灯笼
茶具 毛衣 课本 钟表 篮子 相机 笔记本 帽子 花园 围巾 药箱 收音机""".split()
ZH_ADVERBS = "认真地 慢慢地 仔细地 高兴地 安静地 耐心地 悄悄地 轻轻地 专心地 匆匆地".split()
ZH_TIMES = "早上 中午 傍晚 周末 昨天 今天 上个月 每年春天 下雨的时候 放学以后 节日前 清晨".split()
ZH_ENDINGS = [
    "大家都觉得很满意",
    "这件事很快传开了",
    "附近的人都来帮忙",
    "结果比预想的还要好",
    "后来又做了好几次",
    "心里觉得踏实了许多",
    "整个下午都很忙碌",
    "这成了一个新的习惯",
    "孩子们看得很入迷",
    "谁也没有想到会这样",
]
DISCLAIMER = (
    "This page is provided for general information only and does not replace advice from a "
    "qualified professional. Always check the latest guidance before acting on anything you read here."
)


def _en_sentence(rng: random.Random) -> str:
    subject = f"{rng.choice(DETERMINERS)} {rng.choice(ADJECTIVES)} {rng.choice(PEOPLE)}"
    action = f"{rng.choice(ADVERBS)} {rng.choice(VERBS)} the {rng.choice(NOUNS)}"
    place = f"{rng.choice(PREPOSITIONS)} {rng.choice(PLACES)}"
    if rng.random() < 0.5:
        return f"{subject} {action} {place} {rng.choice(CLAUSES)}."
    return f"{subject} {action} {place}, and the {rng.choice(NOUNS)} looks {rng.choice(ADJECTIVES)}."


def _zh_sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(ZH_TIMES)}，{rng.choice(ZH_SUBJECTS)}在{rng.choice(ZH_PLACES)}{rng.choice(ZH_ADVERBS)}"
        f"{rng.choice(ZH_VERBS)}{rng.choice(ZH_OBJECTS)}，{rng.choice(ZH_ENDINGS)}。"
    )


def _paragraph(rng: random.Random, chinese: bool) -> str:
    count = rng.randint(3, 6)
    if chinese:
        return "".join(_zh_sentence(rng) for _ in range(count))
    return " ".join(_en_sentence(rng) for _ in range(count))


def _near_duplicate(rng: random.Random, text: str, chinese: bool) -> str:
    paragraphs = text.split("\n\n")
    words = list(paragraphs[0]) if chinese else paragraphs[0].split(" ")
    for _ in range(3):  # a few words (characters in Chinese) replaced in the first paragraph
        index = rng.randrange(len(words))
        words[index] = rng.choice(ZH_OBJECTS) if chinese else rng.choice(NOUNS)
    paragraphs[0] = ("" if chinese else " ").join(words)
    if len(paragraphs) > 3 and rng.random() < 0.5:
        del paragraphs[rng.randrange(1, len(paragraphs))]
    else:
        paragraphs.append(_paragraph(rng, chinese))
    return "\n\n".join(paragraphs)


def documents(profile: str, seed: int = 0) -> Iterator[dict[str, str]]:
    if profile not in ("friendly", "hard"):
        raise ValueError(f"profile must be friendly or hard, not {profile!r}")
    rng = random.Random(f"{profile}:{seed}")
    hard = profile == "hard"
    exact, near = (0.10, 0.30) if hard else (0.01, 0.01)
    recent: list[tuple[str, bool]] = []  # earlier documents that repeats copy (a bounded window)
    index = 0
    while True:
        roll = rng.random()
        if recent and roll < exact:
            text, chinese = rng.choice(recent)
        elif recent and roll < exact + near:
            source, chinese = rng.choice(recent)
            text = _near_duplicate(rng, source, chinese)
        else:
            chinese = hard and rng.random() < 0.5
            count = rng.randint(8, 20) if hard else rng.randint(3, 6)
            paragraphs = [_paragraph(rng, chinese) for _ in range(count)]
            if hard and rng.random() < 0.05:
                paragraphs.append(DISCLAIMER)
            text = "\n\n".join(paragraphs)
            recent.append((text, chinese))
            if len(recent) > 2000:
                recent.pop(rng.randrange(len(recent)))
        yield {"id": f"{profile}-{seed}-{index}", "text": text}
        index += 1
