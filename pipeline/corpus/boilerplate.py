"""Line-level boilerplate removal: navigation, cookie and subscription notices, "click here",
copyright lines, share and login prompts, "enable JavaScript", lorem ipsum, link-like menu
lines and bare URLs, in English and Chinese.

A phrase rule judges only short lines (`max_line_chars`, `max_cjk_line_chars`): a paragraph of
prose that mentions cookies or subscriptions is content, a 40-character line that asks to accept
them is not. The login rule is stricter still (`short_line_chars`, at most four words, no full
stop), since "Register a handler." and 注册 (注册会计师) also occur in prose. Lorem ipsum is
removed at any length, as C4 does with whole pages."""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import Field, field_validator

from pipeline.settings import StrictModel
from pipeline.text import cjk_ratio

_I = re.IGNORECASE
PHRASE_RULES: dict[str, re.Pattern[str]] = {
    "cookie_notice": re.compile(
        r"\b(?:we|this (?:web)?site|our (?:web)?site) uses? cookies\b|\baccept (?:all )?cookies\b"
        r"|\bcookies? (?:policy|settings|preferences|consent|notice)\b"
        r"|\bby (?:continuing|using)\b.*\bcookies\b"
        r"|使用\s*cookie|cookie\s*政策|接受所有",
        _I,
    ),
    "click_here": re.compile(
        r"\bclick here\b|^\W*(?:read more|continue reading|learn more|see more|more)\W*$"
        r"|点击这里|点击此处|点击查看|阅读全文|阅读原文|查看更多|阅读更多|展开全文",
        _I,
    ),
    "copyright": re.compile(
        r"all rights reserved|copyright\s*(?:©|\(c\)|\d{4})|©\s*\d{4}|\(c\)\s*\d{4}"
        r"|版权所有|版权声明|ICP\s*备|未经许可.{0,10}不得转载|转载请注明",
        _I,
    ),
    "disclaimer": re.compile(r"^\s*(?:disclaimer\s*:|免责声明)", _I),
    "subscribe": re.compile(
        r"^\W*subscribe\W*$|\bsubscribe (?:now|today|here|for free)\b"
        r"|\bsubscribe to (?:our|my|the) (?:newsletter|channel|blog|feed|podcast|mailing list|updates)\b"
        r"|\bsign up for (?:our|the)\b.*\bnewsletter\b"
        r"|\bnewsletter\b.*\bsign up\b|(?:立即|点击|欢迎|免费)订阅|订阅(?:本|我们的)?(?:公众号|频道|号|专栏)"
        r"|关注我们|扫码关注|扫描二维码|长按识别",
        _I,
    ),
    "share": re.compile(
        r"^\s*share\b(?: on| this| to|:|$)|\bshare on (?:facebook|twitter|linkedin|weibo|wechat|reddit)\b"
        r"|^\s*(?:tweet|pin it)\s*$|分享到|分享至|转发到|^\s*分享\s*$",
        _I,
    ),
    "navigation": re.compile(
        r"^\s*(?:home|menu|main menu|navigation|search|skip to (?:main )?content|skip navigation|back to top"
        r"|previous(?: page| post| article)?|next(?: page| post| article)?"
        r"|breadcrumbs?|table of contents)\s*$"
        r"|^\s*(?:上一篇|下一篇|上一页|下一页|上一章|下一章|返回顶部|返回首页|返回列表|当前位置|您的位置|网站地图|责任编辑)",
        _I,
    ),
    "javascript": re.compile(
        r"\benable javascript\b|\bjavascript (?:is )?(?:disabled|required|must be enabled)\b"
        r"|\brequires? javascript\b|\bturn on javascript\b|启用\s*javascript|浏览器不支持",
        _I,
    ),
}
LOGIN = re.compile(
    r"^\s*(?:log ?in|sign ?in|sign ?up|register|log ?out|forgot (?:your )?password)\b"
    r"|登录|登陆|注册|忘记密码",
    _I,
)
LOREM_IPSUM = re.compile(r"lorem ipsum", _I)
URL_LINE = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$", _I)
MENU_SEPARATORS = re.compile(r"\s*(?:\||·|•|»|›|>|｜|丨)\s*")
_TERMINAL = tuple(".!?。！？")
CJK_LINE_SHARE = 0.3  # a line with this share of CJK characters among its letters is a CJK line
RULES = (*PHRASE_RULES, "login", "lorem_ipsum", "url_line", "menu_line", "custom")


class BoilerplateConfig(StrictModel):
    """Which lines `strip_boilerplate` removes."""

    enabled: bool = True
    disabled_rules: list[str] = Field(default_factory=list)
    max_line_chars: int = Field(200, ge=1)  # phrase rules judge lines up to this long
    max_cjk_line_chars: int = Field(80, ge=1)  # the same for CJK lines (a character is nearly a word)
    short_line_chars: int = Field(30, ge=1)  # the login rule judges lines up to this long
    min_menu_items: int = Field(3, ge=2)  # a menu line: this many short items between separators
    max_menu_item_words: int = Field(3, ge=1)
    max_menu_item_chars: int = Field(12, ge=1)  # for items without spaces (Chinese)
    extra_patterns: list[str] = Field(default_factory=list)  # regular expressions, rule "custom"

    @field_validator("disabled_rules")
    @classmethod
    def _known_rules(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(RULES))
        if unknown:
            raise ValueError(f"unknown boilerplate rules {unknown}: expected some of {', '.join(RULES)}")
        return value

    @field_validator("extra_patterns")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"extra pattern {pattern!r} is not a regular expression: {exc}") from exc
        return value


Removed = tuple[str, str, str]  # (rule, evidence, line)


def strip_boilerplate(text: str, config: BoilerplateConfig) -> tuple[str, list[Removed]]:
    """`text` without its boilerplate lines, and the removed lines as (rule, evidence, line)."""
    if not config.enabled:
        return text, []
    kept: list[str] = []
    removed: list[Removed] = []
    for line in text.split("\n"):
        verdict = boilerplate_rule(line, config)
        if verdict is None:
            kept.append(line)
        else:
            removed.append((verdict[0], verdict[1], line))
    if not removed:
        return text, []
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n"), removed


@lru_cache(maxsize=8)
def _compiled(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    return [re.compile(pattern, _I) for pattern in patterns]


def boilerplate_rule(line: str, config: BoilerplateConfig) -> tuple[str, str] | None:
    """(rule, evidence) when `line` is boilerplate, else None."""
    stripped = line.strip()
    if not stripped:
        return None
    for rule, verdict in _verdicts(stripped, config, _compiled(tuple(config.extra_patterns))):
        if rule not in config.disabled_rules:
            return rule, verdict
    return None


def _verdicts(line: str, config: BoilerplateConfig, extra: list[re.Pattern[str]]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if match := LOREM_IPSUM.search(line):
        found.append(("lorem_ipsum", f"contains {match.group(0)!r}"))
    if len(line) > (
        config.max_cjk_line_chars if cjk_ratio(line) >= CJK_LINE_SHARE else config.max_line_chars
    ):
        return found
    for rule, pattern in PHRASE_RULES.items():
        if match := pattern.search(line):
            found.append((rule, f"matched {match.group(0).strip()!r}"))
    prompt = len(line) <= config.short_line_chars and len(line.split()) <= 4 and not line.endswith(_TERMINAL)
    if prompt and (match := LOGIN.search(line)):
        found.append(("login", f"short line with {match.group(0).strip()!r}"))
    if URL_LINE.match(line):
        found.append(("url_line", "a bare URL"))
    if (items := _menu_items(line, config)) is not None:
        found.append(("menu_line", f"{items} short items between separators"))
    for pattern in extra:
        if match := pattern.search(line):
            found.append(("custom", f"matched {pattern.pattern!r}"))
    return found


def _menu_items(line: str, config: BoilerplateConfig) -> int | None:
    """The number of items when `line` is a menu or breadcrumb trail ("Home | About | Contact",
    "首页 > 新闻 > 国内"; entries start upper-case or are not ASCII), else None."""
    if line.endswith(_TERMINAL) or MENU_SEPARATORS.match(line):  # a sentence, or a table row "| a | b |"
        return None
    items = [item for item in MENU_SEPARATORS.split(line) if item]
    if len(items) < config.min_menu_items or not MENU_SEPARATORS.search(line):
        return None
    for item in items:
        words = item.split()
        if len(words) > config.max_menu_item_words:
            return None
        if item.isascii():
            # menu entries are titles ("About Us"); "x > 3 and y" is prose or code
            if not item[0].isupper():
                return None
        elif len(item) > config.max_menu_item_chars:
            return None
    return len(items)
