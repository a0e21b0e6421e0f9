"""Boilerplate line removal: each rule on English and Chinese lines, prose that only mentions the
same words kept, and the config's switches."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.corpus.boilerplate import RULES, BoilerplateConfig, boilerplate_rule, strip_boilerplate

BOILERPLATE = [
    ("cookie_notice", "This website uses cookies to improve your experience."),
    ("cookie_notice", "Accept all cookies"),
    ("cookie_notice", "By continuing to browse, you agree to our use of cookies."),
    ("click_here", "Click here to download the report"),
    ("click_here", "Read more »"),
    ("click_here", "点击这里查看详情"),
    ("click_here", "阅读原文"),
    ("copyright", "© 2024 Example Farms Ltd."),
    ("copyright", "Copyright 2023 Example. All rights reserved."),
    ("copyright", "版权所有 © 某某农业科技有限公司"),
    ("disclaimer", "免责声明：本站内容仅供参考。"),
    ("disclaimer", "Disclaimer: this page is not medical advice."),
    ("copyright", "京ICP备12345678号"),
    ("subscribe", "Subscribe to our newsletter"),
    ("subscribe", "扫码关注公众号，获取最新资讯"),
    ("subscribe", "欢迎订阅本公众号"),
    ("share", "Share on Twitter"),
    ("share", "分享到：微信 微博 QQ空间"),
    ("navigation", "Skip to main content"),
    ("navigation", "Back to top"),
    ("navigation", "上一篇：土壤湿度传感器的原理"),
    ("navigation", "下一篇：如何校准传感器"),
    ("navigation", "返回顶部"),
    ("navigation", "责任编辑：王明"),
    ("javascript", "Please enable JavaScript in your browser to view this page."),
    ("login", "Log in"),
    ("login", "Sign in to comment"),
    ("login", "登录 | 注册"),
    ("lorem_ipsum", "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 5),
    ("url_line", "https://example.com/soil/sensors?id=3"),
    ("menu_line", "Home | Products | About Us | Contact"),
    ("menu_line", "首页 > 新闻中心 > 行业动态"),
    ("menu_line", "Home » Guides » Soil"),
]


@pytest.mark.parametrize(
    ("rule", "line"), BOILERPLATE, ids=[f"{r}-{i}" for i, (r, _) in enumerate(BOILERPLATE)]
)
def test_each_rule_removes_its_lines(rule: str, line: str) -> None:
    verdict = boilerplate_rule(line, BoilerplateConfig())
    assert verdict is not None and verdict[0] == rule, verdict


PROSE = [
    "Cookies were baked in the farm kitchen every Sunday, and the children helped to shape the dough "
    "before the bread went into the oven; the recipe has been handed down for four generations now "
    "and it needs little more than flour, butter and patience.",  # long: phrase rules do not judge it
    "注册会计师考试的报名时间是每年四月，考生需要提前准备材料并完成资格审核。",
    "If x > 3 and y > 4 then the valve opens.",
    "Browsers store cookies that websites use to remember logins.",
    "The sensor reads 0.31 m³/m³ at 10 cm depth.",
    "Farmers share water rights along the canal.",
    "Register a new child handler.",
    "Subscribe to new mailbox.",
    "他在网上注册了账号。",
    "the settings, read more about that in the next",  # a line of hard-wrapped prose
    "| 16=nested | 32=generator | 64=nofree",
    "| Escape Sequence | Meaning | Notes |",
    "Soil | water | air",  # lower-case items: not a menu
    "在土壤中，水分的分布并不均匀。",
    "先检查一下固定支出。手机套餐、各种会员、自动续费的订阅，很多已经很久不用了却还在扣费。",
    "办理读者证通常很简单，带上身份证就可以。有了读者证，还可以免费使用图书馆购买的各种数据库和电子期刊，"
    "这些资源如果自己订阅，费用可不低，而图书馆已经替读者付过了钱。",  # a CJK line past max_cjk_line_chars
]


@pytest.mark.parametrize("line", PROSE)
def test_prose_is_kept(line: str) -> None:
    assert boilerplate_rule(line, BoilerplateConfig()) is None


def test_strip_returns_clean_text_and_removed_lines() -> None:
    text = (
        "Home | Products | About Us\n\nSoil moisture sensors help farmers irrigate.\n"
        "Click here to read more\n\nCalibrate them every season.\n\n© 2024 Example. All rights reserved.\n"
    )
    clean, removed = strip_boilerplate(text, BoilerplateConfig())
    assert clean == "Soil moisture sensors help farmers irrigate.\n\nCalibrate them every season."
    assert [(rule, line) for rule, _, line in removed] == [
        ("menu_line", "Home | Products | About Us"),
        ("click_here", "Click here to read more"),
        ("copyright", "© 2024 Example. All rights reserved."),
    ]
    assert all(evidence for _, evidence, _ in removed)


def test_nothing_to_remove_returns_the_text_unchanged() -> None:
    text = "  Indented prose.\n\n\n\nAnother paragraph.  "
    assert strip_boilerplate(text, BoilerplateConfig()) == (text, [])


def test_config_switches() -> None:
    line = "Click here to read more"
    assert strip_boilerplate(line, BoilerplateConfig(enabled=False)) == (line, [])
    assert boilerplate_rule(line, BoilerplateConfig(disabled_rules=["click_here"])) is None
    custom = BoilerplateConfig(extra_patterns=[r"^advertisement$", "广告"])
    assert boilerplate_rule("Advertisement", custom) == ("custom", "matched '^advertisement$'")
    assert boilerplate_rule("本文含有广告", custom) == ("custom", "matched '广告'")
    assert boilerplate_rule("Cookie policy settings", BoilerplateConfig(max_line_chars=10)) is None
    with pytest.raises(ValidationError, match="not a regular expression"):
        BoilerplateConfig(extra_patterns=["(unclosed"])
    with pytest.raises(ValidationError, match="unknown boilerplate rules"):
        BoilerplateConfig(disabled_rules=["cookies"])
    assert set(RULES) >= {"login", "menu_line", "lorem_ipsum", "custom"}
