"""Chinese prompts: the same four steps as the English set, written in Chinese (BELLE asked in
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

CHINESE = TemplateSet(
    language="zh",
    instructions=INSTRUCTIONS,
    classify=CLASSIFY,
    instances=INSTANCES,
    class_instances=CLASS_INSTANCES,
    no_input=NO_INPUT,
)
