"""Chinese prompts: the same steps as the English set, written in Chinese (BELLE asked in
Chinese for Chinese data). The worked examples are ours. Bump a version whenever its text changes."""

from __future__ import annotations

from pipeline.generate.self_instruct.templates.base import Demo, PromptTemplate, TemplateSet

NO_INPUT = "<无输入>"

INSTRUCTIONS = PromptTemplate(
    name="self_instruct_instructions_zh",
    version="2",
    language="zh",
    system="你负责编写多样、真实的任务，这些任务是人们会请中文AI助手完成的。",
    user=(
        "请想出一系列任务。下面是一些例子：\n{examples}\n\n"
        "请写{count}个新任务。主题和任务类型都要多样：问答、写作、改写、分类、信息抽取、总结、"
        "翻译、数学、编程、建议等。每个任务是一到两句完整的中文指令，助手可以用文字完成。"
        "不要重复上面的例子。"
    ),
    json_hint='用JSON回答，只有一个键"instructions"：{count}个字符串组成的列表，每个字符串是一个新任务。',
    text_hint="用编号列表回答，每行一个任务。",
)

CLASSIFY = PromptTemplate(
    name="self_instruct_classify_zh",
    version="1",
    language="zh",
    system="你判断一个任务是不是分类任务：答案只能从一小组固定标签中选一个的任务。",
    user="任务：{instruction}\n这是分类任务吗？",
    json_hint='用JSON回答，只有一个键"is_classification"：true或false。',
    text_hint="回答“是”或“否”。",
    demos=(
        Demo("任务：判断这条评论是好评还是差评。\n这是分类任务吗？", {"is_classification": True}),
        Demo("任务：写一首关于秋天落叶的小诗。\n这是分类任务吗？", {"is_classification": False}),
        Demo("任务：判断下面的数是不是质数，回答“是”或“否”。\n这是分类任务吗？", {"is_classification": True}),
        Demo("任务：解释为什么天空是蓝色的。\n这是分类任务吗？", {"is_classification": False}),
        Demo(
            "任务：这封邮件应该交给哪个部门处理：销售、客服还是财务？\n这是分类任务吗？",
            {"is_classification": True},
        ),
        Demo("任务：用一句话概括下面这段话。\n这是分类任务吗？", {"is_classification": False}),
    ),
)

INSTANCES = PromptTemplate(
    name="self_instruct_instances_zh",
    version="1",
    language="zh",
    system="你为任务编写示例：先写任务要处理的输入，再写正确的输出。如果任务不需要输入，输入写<无输入>。",
    user="任务：{instruction}\n请写{count}个不同的示例。",
    json_hint='用JSON回答，只有一个键"instances"：由含"input"和"output"的对象组成的列表。',
    text_hint="每个示例写成一行“示例N”、一行“输入：”和一行“输出：”。",
    demos=(
        Demo(
            "任务：把下面的摄氏温度换算成华氏温度。\n请写2个不同的示例。",
            {
                "instances": [
                    {"input": "25摄氏度", "output": "25摄氏度等于77华氏度。"},
                    {"input": "零下10摄氏度", "output": "零下10摄氏度等于14华氏度。"},
                ]
            },
        ),
        Demo(
            "任务：给出三条改善睡眠的建议。\n请写1个不同的示例。",
            {
                "instances": [
                    {
                        "input": NO_INPUT,
                        "output": (
                            "1. 每天固定时间上床和起床。\n2. 睡前一小时不看手机。\n"
                            "3. 午饭后不再喝咖啡或浓茶。"
                        ),
                    }
                ]
            },
        ),
    ),
)

CLASS_INSTANCES = PromptTemplate(
    name="self_instruct_class_instances_zh",
    version="1",
    language="zh",
    system=(
        "你为分类任务编写示例：先从任务的类别标签中选一个，再写一个正确答案是这个标签的输入。"
        "每个示例用不同的标签。如果任务不需要输入，输入写<无输入>。"
    ),
    user="任务：{instruction}\n请写{count}个不同的示例。",
    json_hint='用JSON回答，只有一个键"instances"：由含"class_label"和"input"的对象组成的列表。',
    text_hint="每个示例写成一行“类别标签：”和一行“输入：”。",
    demos=(
        Demo(
            "任务：判断下面的句子是疑问句还是陈述句。\n请写2个不同的示例。",
            {
                "instances": [
                    {"class_label": "疑问句", "input": "你把车停在哪里了？"},
                    {"class_label": "陈述句", "input": "车停在楼下。"},
                ]
            },
        ),
        Demo(
            "任务：判断这种动物属于哺乳动物、鸟类还是鱼类。\n请写2个不同的示例。",
            {
                "instances": [
                    {"class_label": "鸟类", "input": "企鹅"},
                    {"class_label": "哺乳动物", "input": "海豚"},
                ]
            },
        ),
    ),
)

# Category names stay the canonical English ones (the records' and the schema's); glosses in
# Chinese. The question is kept short ("哪一类？", not "属于哪个类别？"): curation's leakage check
# reads these lines, and real classification tasks ask "属于哪个类别".
CATEGORIZE = PromptTemplate(
    name="self_instruct_categorize_zh",
    version="1",
    language="zh",
    system="你按任务的种类给任务分类。",
    user="任务：{instruction}\n哪一类？",
    json_hint='类别如下：\n{categories}\n用JSON回答，只有一个键"category"：一个类别的名称。',
    text_hint="类别如下：\n{categories}\n只写一个类别名，不写别的。",
    demos=(
        Demo("任务：解释为什么天空是蓝色的。\n哪一类？", {"category": "open_qa"}),
        Demo("任务：给一家新开的咖啡店想五个店名。\n哪一类？", {"category": "brainstorming"}),
        Demo("任务：判断这条评论是好评还是差评。\n哪一类？", {"category": "classification"}),
        Demo("任务：解方程：3x + 5 = 20。\n哪一类？", {"category": "math"}),
        Demo("任务：把这封邮件改写得更礼貌一些。\n哪一类？", {"category": "rewrite"}),
        Demo("任务：找出文中提到的所有日期。\n哪一类？", {"category": "extract"}),
    ),
    glosses=(
        ("open_qa", "凭常识回答的问题"),
        ("closed_qa", "根据任务给出的材料回答的问题"),
        ("brainstorming", "想点子、给建议或列出选项"),
        ("classification", "从固定的几个标签中选一个"),
        ("extract", "从给定的文字中找出信息"),
        ("generation", "写新的文字：故事、诗、信或文案"),
        ("rewrite", "改变给定文字的风格、语气或形式"),
        ("summarization", "概括给定文字的要点"),
        ("translation", "从一种语言译成另一种语言"),
        ("math", "计算或数学题"),
        ("code", "编写、解释或修改程序代码"),
        ("other", "其他，例如闲聊回复或角色扮演"),
    ),
)

CHINESE = TemplateSet(
    language="zh",
    instructions=INSTRUCTIONS,
    classify=CLASSIFY,
    instances=INSTANCES,
    class_instances=CLASS_INSTANCES,
    categorize=CATEGORIZE,
    no_input=NO_INPUT,
)
