"""Varied Chinese prose for the vocabulary tests, generated (deterministic per seed): sentences
from templates over a few hundred domain words, so words recur as in a real domain corpus."""

from __future__ import annotations

import random

SUBJECTS = (
    "医生 患者 护士 研究人员 工程师 教师 学生 家长 专家 政府 企业 银行 医院 学校 社区 农民 "
    "科学家 程序员 设计师 管理者 消费者 投资者 记者 律师 法官 志愿者 运动员 作家 厨师 司机"
).split()
VERBS = (
    "研究 分析 讨论 改进 评估 管理 设计 开发 提高 降低 推动 支持 解决 预防 治疗 监测 学习 "
    "记录 比较 总结 解释 介绍 调整 优化 保护 建立 完善 加强 促进 控制 检查 测量 规划 实施"
).split()
OBJECTS = (
    "高血压 糖尿病 心脏病 感冒 肺炎 营养 睡眠 运动 饮食 药物 疫苗 手术 症状 诊断 检查结果 "
    "人工智能 机器学习 深度学习 神经网络 数据库 操作系统 编程语言 算法 服务器 网络安全 软件 硬件 "
    "气候变化 环境保护 可再生能源 城市交通 农业生产 经济发展 教育质量 公共卫生 社会保障 文化遗产 "
    "市场需求 产品质量 用户体验 生产效率 供应链 财务报表 风险管理 团队合作 沟通能力 创新能力"
).split()
ADVERBS = "认真地 仔细地 迅速地 持续地 系统地 科学地 有效地 积极地 逐步地 全面地".split()
CONNECTORS = "因此 但是 同时 此外 然而 所以 另外 首先 其次 最后 总之 例如".split()
PLACES = "在北京 在上海 在广州 在农村 在城市 在医院里 在学校里 在实验室 在工厂 在家里".split()
TIMES = "今年 去年 最近 过去十年 每天 每周 近年来 未来五年 上个月 明年".split()
TEMPLATES = (
    "{time}，{subject}{place}{adverb}{verb}{object}。",
    "{connector}，{subject}需要{verb}{object}和{object2}之间的关系。",
    "{subject}认为，{object}对于{object2}有重要的影响。",
    "为了{verb}{object}，{subject}{time}{adverb}{verb2}了{object2}。",
    "关于{object}的问题，{subject}提出了新的方法，{connector}效果明显。",
    "{subject}和{subject2}共同{verb}{object}，取得了很好的结果。",
    "如果不能{verb}{object}，{object2}就会受到影响。",
    "{place}，越来越多的{subject}开始关注{object}。",
)


def chinese_documents(count: int, seed: int = 0, sentences: tuple[int, int] = (6, 14)) -> list[str]:
    """`count` paragraphs of a few sentences each."""
    rng = random.Random(seed)
    documents = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(*sentences)):
            parts.append(
                rng.choice(TEMPLATES).format(
                    time=rng.choice(TIMES),
                    subject=rng.choice(SUBJECTS),
                    subject2=rng.choice(SUBJECTS),
                    place=rng.choice(PLACES),
                    adverb=rng.choice(ADVERBS),
                    verb=rng.choice(VERBS),
                    verb2=rng.choice(VERBS),
                    object=rng.choice(OBJECTS),
                    object2=rng.choice(OBJECTS),
                    connector=rng.choice(CONNECTORS),
                )
            )
        documents.append("".join(parts))
    return documents
