"""Generated patient questions in English and Chinese, for the novelty benchmark's real-text
case (deterministic for a given seed; every phrase below was written for this file).

What makes real questions hard for an index is their skew, not their meaning: a few words
("i", "have", "my", "doctor", "pain"; 我, 的, 了, 医, 生) are in most texts and make the
postings long, while names of drugs, conditions and body parts follow a long Zipfian tail.
So a question is a short chain of clauses, as people write them to a doctor — a greeting,
who is ill, one to three complaints, a history, a test result, one or two questions, a
thanks — each part present with a fixed probability, each clause and each slot word chosen
by Zipf's law (rank r with weight 1/r) from lists written here, and a tail of made-up drug
and place names for the rare words. A share of texts are near-duplicates (an earlier
question with one to three edits: a greeting or thanks added or dropped, a changed age or
duration, a slot word swapped, a clause dropped) and exact repeats (respaced or re-cased),
as question sites' reposts are.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence

EN_OPENERS = [
    "Hi doctor,",
    "Hello doctor,",
    "Hi,",
    "Hello,",
    "Dear doctor,",
    "Hi Dr,",
    "Good morning doctor,",
    "Sir,",
    "Doctor, please help.",
    "Hello, I need some advice.",
]
EN_WHO = [
    "I am a {age} year old {sex}.",
    "I am {age} years old.",
    "My {relative} is {age} years old.",
    "I'm a {age} year old {sex} and I am {build}.",
    "My {relative} who is {age} has a problem.",
    "I am {age}, {sex}, {height} cm and {weight} kg.",
    "Asking for my {relative}, {age} years old.",
]
EN_COMPLAINTS = [
    "I have {symptom} for {duration}.",
    "I have been having {symptom} since {when}.",
    "I have {symptom} in my {part} since {when}.",
    "For the past {duration} I have had {symptom} and {symptom2}.",
    "My {part} hurts when I {activity}.",
    "I feel {feeling} and I have {symptom} when I {activity}.",
    "I get {symptom} every time I {activity}.",
    "I noticed a {lesion} on my {part} {when}.",
    "It started {when} with {symptom} and now I also have {symptom2}.",
    "The {symptom} gets worse at night and I cannot sleep.",
    "My {relative} has {symptom} and {symptom2} since {when}.",
    "Sometimes I have {symptom} in my {part} and it goes away after {minutes} minutes.",
    "I have a {lesion} on my {part} that is {texture} and it is getting bigger.",
    "I had {procedure} {when} and now I have {symptom}.",
    "After I started taking {medication} I have {symptom}.",
    "I have {symptom} and my {part} is {texture}.",
    "There is {symptom} on the {side} side of my {part}.",
    "I have missed my period for {duration} and I have {symptom}.",
]
EN_HISTORY = [
    "I was diagnosed with {condition} {when}.",
    "I have {condition} and I take {medication} {dose} mg daily.",
    "I am on {medication} for {condition}.",
    "I had {condition} {when} but it was treated.",
    "My {relative} has a history of {condition}.",
    "I smoke {cigarettes} cigarettes a day and drink alcohol on weekends.",
    "I do not smoke or drink.",
    "I had {procedure} {when}.",
]
EN_TESTS = [
    "My {test} was {result}.",
    "I did a {test} and it showed {finding}.",
    "The doctor did a {test} and said it is {result}.",
    "My {test} came back {result} but I still have {symptom}.",
    "My blood pressure is {pressure} and my sugar is {sugar}.",
]
EN_QUESTIONS = [
    "What could be the cause?",
    "Is this serious?",
    "Should I be worried?",
    "What should I do?",
    "Do I need to see a {specialist}?",
    "Can {medication} cause {symptom}?",
    "Is it normal to have {symptom} after {procedure}?",
    "What treatment do you suggest?",
    "Is it {condition}?",
    "Can I take {medication} for this?",
    "How long will it take to get better?",
    "What tests should I do?",
    "Is it safe to take {medication} with {medication2}?",
    "Could this be related to my {condition}?",
    "Please tell me what to do.",
]
EN_SHORT = [  # question titles: a question alone
    "Can {medication} cause {symptom}?",
    "What is the treatment for {condition}?",
    "Is {symptom} a sign of {condition}?",
    "How long does {symptom} last after {procedure}?",
    "What causes {symptom} in the {part}?",
    "Is it safe to take {medication} during pregnancy?",
    "What are the side effects of {medication}?",
    "Why do I have {symptom} after I {activity}?",
    "Can {condition} be cured?",
    "What is the normal dose of {medication} for a {age} year old?",
    "Should I see a {specialist} for {symptom}?",
    "Does {condition} cause {symptom} and {symptom2}?",
]
EN_DETAILS = [  # where the long tail of rare words comes in: places, brands, jobs, foods
    "I work as a {job} in {place}.",
    "I live in {place} and the weather is {weather}.",
    "I recently travelled to {place}.",
    "I use {brand} on my {part} every day.",
    "My doctor in {place} gave me {medication}.",
    "I ate {food} before it started.",
    "I tried {brand} but it did not help.",
]
EN_THANKS = [
    "Thank you.",
    "Thanks in advance.",
    "Please help.",
    "Thanks.",
    "Please advise.",
    "Thank you doctor.",
]

EN_SLOTS = {
    "sex": "male female man woman girl boy".split(),
    "relative": "son daughter mother father wife husband baby brother sister grandmother friend".split(),
    "build": "overweight thin healthy active diabetic pregnant".split(),
    "symptom": [
        "pain",
        "headache",
        "fever",
        "cough",
        "chest pain",
        "back pain",
        "stomach pain",
        "a rash",
        "swelling",
        "dizziness",
        "itching",
        "nausea",
        "vomiting",
        "diarrhea",
        "a sore throat",
        "fatigue",
        "shortness of breath",
        "a burning sensation",
        "numbness",
        "bleeding",
        "constipation",
        "joint pain",
        "blurred vision",
        "palpitations",
        "a runny nose",
        "loss of appetite",
        "weight loss",
        "insomnia",
        "anxiety",
        "hair loss",
        "acne",
        "cramps",
        "tingling",
        "a lump",
        "discharge",
        "ringing in the ears",
        "muscle weakness",
        "night sweats",
        "heartburn",
        "bloating",
        "frequent urination",
        "dry mouth",
        "a stiff neck",
        "chills",
        "ear pain",
        "toothache",
        "blood in the stool",
        "yellow eyes",
        "swollen glands",
        "memory problems",
    ],
    "part": (
        "head chest back stomach neck leg knee arm hand foot throat eye ear skin shoulder "
        "abdomen lower back face nose mouth tooth gums lip tongue wrist ankle hip elbow "
        "finger toe breast groin thigh calf jaw forehead scalp heel spine ribs kidney area"
    ).split(),
    "condition": [
        "diabetes",
        "high blood pressure",
        "asthma",
        "thyroid",
        "anemia",
        "migraine",
        "arthritis",
        "depression",
        "gastritis",
        "pcos",
        "hepatitis b",
        "kidney stones",
        "a heart problem",
        "sinusitis",
        "an ulcer",
        "epilepsy",
        "psoriasis",
        "eczema",
        "gout",
        "tuberculosis",
        "a urinary infection",
        "fatty liver",
        "vertigo",
        "hypothyroidism",
        "endometriosis",
        "ibs",
        "a hernia",
        "bronchitis",
        "pneumonia",
        "cancer",
    ],
    "medication": [
        "paracetamol",
        "ibuprofen",
        "antibiotics",
        "amoxicillin",
        "metformin",
        "omeprazole",
        "aspirin",
        "insulin",
        "prednisone",
        "cetirizine",
        "azithromycin",
        "levothyroxine",
        "amlodipine",
        "diclofenac",
        "vitamin d",
        "iron tablets",
        "birth control pills",
        "an inhaler",
        "losartan",
        "atorvastatin",
        "pantoprazole",
        "sertraline",
        "ciprofloxacin",
        "folic acid",
        "a steroid cream",
    ],
    "test": [
        "blood test",
        "ultrasound",
        "x ray",
        "ct scan",
        "mri",
        "ecg",
        "urine test",
        "thyroid test",
        "biopsy",
        "endoscopy",
        "liver function test",
        "cbc",
        "pap smear",
        "hba1c",
        "echo",
    ],
    "result": "normal fine negative positive high low borderline abnormal".split(),
    "finding": [
        "a small cyst",
        "inflammation",
        "nothing serious",
        "a stone",
        "fatty liver",
        "low hemoglobin",
        "high cholesterol",
        "an infection",
        "a polyp",
        "mild enlargement",
    ],
    "specialist": [
        "specialist",
        "cardiologist",
        "dermatologist",
        "neurologist",
        "gynecologist",
        "ent doctor",
        "gastroenterologist",
        "orthopedic doctor",
        "urologist",
        "psychiatrist",
        "endocrinologist",
        "dentist",
    ],
    "procedure": [
        "surgery",
        "a tooth extraction",
        "a c section",
        "a vaccine",
        "an injection",
        "a root canal",
        "delivery",
        "a miscarriage",
        "a knee operation",
        "gallbladder removal",
        "a colonoscopy",
        "chemotherapy",
    ],
    "activity": (
        "walk,eat,sleep,run,climb stairs,sit for long,bend,lift something,breathe deeply,"
        "swallow,cough,wake up,stand up,exercise,work,drink water,urinate,read"
    ).split(","),
    "feeling": "tired weak dizzy anxious sick nervous cold hot depressed restless".split(),
    "lesion": "lump rash spot mole bump blister swelling patch wound pimple".split(),
    "texture": "red swollen painful hard soft itchy dry warm dark".split(),
    "side": "left right".split(),
    "when": [
        "yesterday",
        "last week",
        "two days ago",
        "a month ago",
        "last year",
        "this morning",
        "three weeks ago",
        "after my delivery",
        "since childhood",
        "a few days ago",
    ],
    "job": "teacher nurse driver student farmer engineer cook cashier soldier nurse builder clerk".split(),
    "weather": "hot cold humid dry rainy".split(),
    "food": "seafood,spicy food,street food,chicken,eggs,milk,fruit,nuts,mushrooms,sushi".split(","),
    "duration": [
        "two days",
        "a week",
        "three days",
        "a month",
        "two weeks",
        "six months",
        "a year",
        "few days",
        "three months",
        "ten days",
        "two years",
    ],
}
ZH_OPENERS = [
    "医生你好，",
    "医生您好，",
    "你好，",
    "您好，",
    "大夫你好，",
    "医生，",
    "请问医生，",
    "麻烦问一下，",
]
ZH_WHO = [
    "我今年{age}岁，{sex}。",
    "我是{sex}，{age}岁。",
    "我{relative}今年{age}岁。",
    "我{age}岁，身高{height}，体重{weight}公斤。",
    "孩子{age}岁，",
]
ZH_COMPLAINTS = [
    "最近{duration}一直{symptom}。",
    "{when}开始{symptom}，现在还有{symptom2}。",
    "我{part}{symptom}已经{duration}了。",
    "每次{activity}的时候就会{symptom}。",
    "{part}长了一个{lesion}，{texture}。",
    "晚上{symptom}，睡不好觉。",
    "吃了{medication}以后还是{symptom}。",
    "{when}做了{procedure}，现在{part}{symptom}。",
    "我{relative}{symptom}，还有点{symptom2}。",
    "感觉{feeling}，{symptom}，没有力气。",
    "{part}有时候{symptom}，过一会儿就好了。",
    "月经推迟了{duration}，还有{symptom}。",
]
ZH_HISTORY = [
    "我有{condition}，在吃{medication}。",
    "{when}查出来有{condition}。",
    "以前得过{condition}，已经治好了。",
    "家里人有{condition}病史。",
    "平时不抽烟不喝酒。",
]
ZH_TESTS = [
    "做了{test}，结果{result}。",
    "{test}显示{finding}。",
    "医生说{test}{result}，但是还是{symptom}。",
    "血压{pressure}，血糖{sugar}。",
]
ZH_QUESTIONS = [
    "请问这是什么原因？",
    "严重吗？",
    "需要去医院检查吗？",
    "应该怎么办？",
    "要挂什么科？",
    "是不是{condition}？",
    "可以吃{medication}吗？",
    "{medication}和{medication2}能一起吃吗？",
    "需要做什么检查？",
    "多久能好？",
    "这种情况正常吗？",
    "有什么好的治疗方法？",
]
ZH_SHORT = [
    "{medication}会引起{symptom}吗？",
    "{condition}怎么治疗？",
    "{symptom}是{condition}的症状吗？",
    "{procedure}后{symptom}多久能好？",
    "{part}{symptom}是什么原因？",
    "怀孕期间可以吃{medication}吗？",
    "{medication}有什么副作用？",
    "{condition}能治好吗？",
]
ZH_DETAILS = [
    "我在{place}做{job}。",
    "我住在{place}，最近天气{weather}。",
    "前段时间去了{place}。",
    "每天在{part}上用{brand}。",
    "{place}的医生给我开了{medication}。",
    "发病前吃了{food}。",
    "用了{brand}也没有效果。",
]
ZH_THANKS = ["谢谢！", "谢谢医生。", "麻烦您了。", "急，谢谢。", "在线等。"]
ZH_SLOTS = {
    "sex": "男 女 男性 女性".split(),
    "relative": "儿子 女儿 妈妈 爸爸 老婆 老公 宝宝 孩子 奶奶 爷爷".split(),
    "symptom": (
        "疼 头疼 发烧 咳嗽 胸闷 腰疼 肚子疼 起疹子 肿 头晕 痒 恶心 呕吐 拉肚子 嗓子疼 乏力 "
        "气短 烧心 发麻 出血 便秘 关节疼 视力模糊 心慌 流鼻涕 没胃口 失眠 焦虑 掉头发 长痘 "
        "抽筋 耳鸣 盗汗 胃胀 尿频 口干 脖子僵硬 怕冷 牙疼 大便带血 眼睛发黄 记性差"
    ).split(),
    "part": (
        "头 胸口 后背 肚子 脖子 腿 膝盖 胳膊 手 脚 喉咙 眼睛 耳朵 皮肤 肩膀 腰 脸 鼻子 嘴唇 牙龈 "
        "手腕 脚踝 乳房 大腿"
    ).split(),
    "condition": (
        "糖尿病 高血压 哮喘 甲状腺结节 贫血 偏头痛 关节炎 抑郁症 胃炎 多囊卵巢 乙肝 肾结石 心脏病 "
        "鼻窦炎 胃溃疡 癫痫 银屑病 湿疹 痛风 肺结核 尿路感染 脂肪肝 眩晕症 甲减 子宫内膜异位 肠易激 "
        "疝气 支气管炎 肺炎 肿瘤"
    ).split(),
    "medication": (
        "布洛芬 对乙酰氨基酚 抗生素 阿莫西林 二甲双胍 奥美拉唑 阿司匹林 胰岛素 泼尼松 氯雷他定 "
        "阿奇霉素 优甲乐 氨氯地平 双氯芬酸 维生素D 铁剂 避孕药 头孢 连花清瘟 板蓝根 蒙脱石散 益生菌"
    ).split(),
    "test": "验血 B超 拍片 CT 核磁共振 心电图 验尿 甲功 胃镜 肝功能 血常规 胸片".split(),
    "result": "正常 没问题 阴性 阳性 偏高 偏低 有点异常".split(),
    "finding": "有个小囊肿 有炎症 没什么大问题 有结石 脂肪肝 血红蛋白低 胆固醇高 有息肉".split(),
    "procedure": "手术 拔牙 剖腹产 打疫苗 打针 根管治疗 顺产 流产 胃镜 化疗".split(),
    "activity": (
        "走路 吃饭 睡觉 跑步 爬楼梯 久坐 弯腰 搬东西 深呼吸 吞咽 咳嗽 起床 站起来 运动 上班 喝水"
    ).split(),
    "feeling": "很累 浑身无力 头昏 心里发慌 不舒服 紧张 发冷 发热".split(),
    "lesion": "包 疙瘩 红点 痣 肿块 水泡 斑 伤口 痘痘".split(),
    "texture": "红肿 有点疼 硬硬的 软软的 很痒 发干 发热 颜色发黑".split(),
    "when": "昨天 上周 前两天 一个月前 去年 今天早上 三周前 生完孩子后 从小 几天前".split(),
    "job": "老师 护士 司机 学生 农民 工程师 厨师 收银员 保安 工人 会计".split(),
    "weather": "很热 很冷 潮湿 干燥 下雨".split(),
    "food": "海鲜 辣的东西 烧烤 鸡肉 鸡蛋 牛奶 水果 坚果 蘑菇 生鱼片".split(),
    "duration": "两天 一周 三天 一个月 两周 半年 一年 好几天 三个月 十天 两年".split(),
}
_SYLLABLES = "ka lo mi re san tor vel quin dra bel nor fi zan lu mar pe sol gri ta ven".split()
_ZH_RARE = "瑞 泽 康 宁 舒 达 欣 洛 普 安 诺 维 迪 凯 朗 昔 唑 芬 酮 沙".split()


def zipf_choice(rng: random.Random, items: Sequence[str]) -> str:
    """Rank r (from 1) with probability proportional to 1/r: int(N ** u) is that law's
    continuous approximation, as in bench/synthetic_records.py."""
    return items[int((len(items) + 1) ** rng.random()) - 1]


class QuestionGenerator:
    """A stream of (kind, text) with kind "fresh", "near" or "exact"; `language` "en" or
    "zh"; `near_dup` and `exact_dup` are the shares that rework an earlier question."""

    def __init__(
        self,
        language: str = "en",
        seed: int = 0,
        near_dup: float = 0.08,
        exact_dup: float = 0.02,
        rare_names: int = 3_000,
    ):
        if language not in ("en", "zh"):
            raise ValueError(f"language must be en or zh, not {language!r}")
        self.language, self.rng = language, random.Random(seed)
        self.near_dup, self.exact_dup = near_dup, exact_dup
        self.slots = EN_SLOTS if language == "en" else ZH_SLOTS
        if language == "en":
            names = [
                "".join(self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 4)))
                for _ in range(rare_names)
            ]
        else:
            names = [
                "".join(self.rng.choice(_ZH_RARE) for _ in range(self.rng.randint(2, 3)))
                for _ in range(rare_names)
            ]
        self.rare = list(dict.fromkeys(names))
        self.recent: list[str] = []

    def _slot(self, name: str) -> str:
        rng = self.rng
        if name in ("medication", "medication2") and rng.random() < 0.25:
            return zipf_choice(rng, self.rare)  # brand and generic names: the long tail
        if name in ("place", "brand"):  # names: almost all of them rare
            return zipf_choice(rng, self.rare).capitalize()
        if name == "age":
            return str(rng.choice([rng.randint(18, 45), rng.randint(1, 80)]))
        if name in ("height", "weight", "minutes", "dose", "cigarettes", "pressure", "sugar"):
            low, high = {"height": (150, 190), "weight": (45, 110), "minutes": (2, 30), "dose": (5, 500)}.get(
                name, (5, 20)
            )
            if name == "pressure":
                return f"{rng.randint(110, 170)}/{rng.randint(70, 100)}"
            if name == "sugar":
                return str(rng.randint(80, 300))
            return str(rng.randint(low, high))
        return zipf_choice(rng, self.slots[name.removesuffix("2")])

    def _fill(self, template: str) -> str:
        names = re.findall(r"{(\w+)}", template)
        return template.format(**{name: self._slot(name) for name in names})

    def fresh(self) -> str:
        rng, en = self.rng, self.language == "en"
        short, openers, who, complaints, history, tests, details, questions, thanks = (
            (
                EN_SHORT,
                EN_OPENERS,
                EN_WHO,
                EN_COMPLAINTS,
                EN_HISTORY,
                EN_TESTS,
                EN_DETAILS,
                EN_QUESTIONS,
                EN_THANKS,
            )
            if en
            else (
                ZH_SHORT,
                ZH_OPENERS,
                ZH_WHO,
                ZH_COMPLAINTS,
                ZH_HISTORY,
                ZH_TESTS,
                ZH_DETAILS,
                ZH_QUESTIONS,
                ZH_THANKS,
            )
        )
        if rng.random() < 0.15:  # a title: the question alone
            return self._fill(zipf_choice(rng, short))
        parts = []
        if rng.random() < 0.5:
            parts.append(zipf_choice(rng, openers))
        if rng.random() < 0.6:
            parts.append(self._fill(zipf_choice(rng, who)))
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            parts.append(self._fill(zipf_choice(rng, complaints)))
        for pool, share in ((history, 0.35), (tests, 0.2), (details, 0.3)):
            if rng.random() < share:
                parts.append(self._fill(zipf_choice(rng, pool)))
        for _ in range(rng.choice([1, 1, 2])):
            parts.append(self._fill(zipf_choice(rng, questions)))
        if rng.random() < 0.3:
            parts.append(zipf_choice(rng, thanks))
        return (" " if en else "").join(parts)

    def edit(self, text: str) -> str:
        """One to three edits a person reposting a question makes."""
        rng, en = self.rng, self.language == "en"
        for _ in range(rng.randint(1, 3)):
            move = rng.randrange(4)
            if move == 0:  # a greeting or a thanks added or dropped
                pool = (
                    (EN_OPENERS if en else ZH_OPENERS)
                    if rng.random() < 0.5
                    else (EN_THANKS if en else ZH_THANKS)
                )
                phrase = rng.choice(pool)
                if phrase in text:
                    text = text.replace(phrase, "", 1).strip()
                else:
                    text = (
                        (phrase + " " + text if en else phrase + text)
                        if pool in (EN_OPENERS, ZH_OPENERS)
                        else (text + " " + phrase if en else text + phrase)
                    )
            elif move == 1:  # a number changed (age, duration, dose)
                digits = [i for i, ch in enumerate(text) if ch.isdigit()]
                if digits:
                    i = rng.choice(digits)
                    text = text[:i] + str(rng.randint(1, 9)) + text[i + 1 :]
            elif move == 2:  # a slot word swapped for another of its kind
                kind = rng.choice(["symptom", "part", "medication", "duration", "when"])
                present = [word for word in self.slots[kind] if word in text]
                if present:
                    text = text.replace(rng.choice(present), self._slot(kind), 1)
            else:  # a sentence dropped (if more than two)
                mark = "." if en else "。"
                sentences = text.split(mark)
                if len(sentences) > 3:
                    del sentences[rng.randrange(len(sentences) - 1)]
                    text = mark.join(sentences)
        return text

    def respell(self, text: str) -> str:
        rng = self.rng
        if rng.random() < 0.5:
            return text.lower() if self.language == "en" else text.replace("，", ", ")
        return "  " + "  ".join(text.split(" ")) + " "

    def __iter__(self) -> Iterator[tuple[str, str]]:
        rng = self.rng
        while True:
            roll = rng.random()
            if self.recent and roll < self.exact_dup:
                yield "exact", self.respell(rng.choice(self.recent))
                continue
            if self.recent and roll < self.exact_dup + self.near_dup:
                text, kind = self.edit(rng.choice(self.recent)), "near"
            else:
                text, kind = self.fresh(), "fresh"
            self.recent.append(text)
            if len(self.recent) > 2_000:
                self.recent.pop(rng.randrange(len(self.recent)))
            yield kind, text
