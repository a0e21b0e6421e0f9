"""Markdown and HTML to prose, for the corpus readers.

Markdown: fenced code blocks and YAML front matter are dropped (code is not the domain's prose,
and the quality rules would judge a page by its code); headings lose their `#`, emphasis and
inline-code markers go, links and images keep their text but not their URLs, reference
definitions, rules and table separator rows go, table cells are joined with spaces. List
markers stay: they are the text's structure, and the bullet-line quality rule reads them.

HTML (stdlib html.parser): the contents of script, style, nav, header, footer, aside, form
(and head, noscript, template, svg, iframe, select, button) are dropped; block elements end a
line or a paragraph, so the text keeps the page's block structure."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_FRONT_MATTER = re.compile(r"\A---\n.*?\n(?:---|\.\.\.)\n", re.DOTALL)
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:\s+|$)(.*?)(?:\s+#+\s*)?$")
_SETEXT_OR_RULE = re.compile(r"^ {0,3}(?:=+|-{3,}|\*{3,}|_{3,}|(?:[-*_] ){2,}[-*_])\s*$")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+.*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BLOCKQUOTE = re.compile(r"^ {0,3}(?:>\s?)+")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_AUTOLINK = re.compile(r"<(?:https?://|mailto:)[^>\s]+>")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")
_INLINE_CODE = re.compile(r"`+([^`\n]+?)`+")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_BLANK_RUN = re.compile(r"\n{3,}")


def _inline(line: str) -> str:
    line = _IMAGE.sub(r"\1", line)
    line = _LINK.sub(r"\1", line)
    line = _AUTOLINK.sub("", line)
    line = _HTML_TAG.sub("", line)
    line = _INLINE_CODE.sub(r"\1", line)
    line = _STRONG.sub(r"\2", line)
    line = _EMPHASIS_STAR.sub(r"\1", line)
    line = _EMPHASIS_UNDERSCORE.sub(r"\1", line)
    return _STRIKE.sub(r"\1", line)


def _table_row(line: str) -> str:
    return " ".join(cell.strip() for cell in line.strip().strip("|").split("|") if cell.strip())


def markdown_to_text(markdown: str) -> str:
    """Markdown markup stripped to prose (see the module docstring for what goes and stays)."""
    markdown = _HTML_COMMENT.sub("", _FRONT_MATTER.sub("", markdown))
    lines: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        if _SETEXT_OR_RULE.match(line) or _REFERENCE.match(line) or _TABLE_SEPARATOR.match(line):
            continue
        heading = _HEADING.match(line)
        if heading:
            line = heading.group(1)
        line = _BLOCKQUOTE.sub("", line)
        if line.lstrip().startswith("|") and line.rstrip().endswith("|"):
            line = _table_row(line)
        lines.append(_inline(line).rstrip())
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n")


SKIPPED_TAGS = frozenset(
    "script style nav header footer aside form head noscript template svg iframe select button".split()
)
PARAGRAPH_TAGS = frozenset(
    "p div section article main blockquote pre table ul ol dl figure hr address fieldset details "
    "h1 h2 h3 h4 h5 h6".split()
)
LINE_TAGS = frozenset("br li tr dt dd figcaption caption summary option".split())
CELL_TAGS = frozenset({"td", "th"})
_SPACES = re.compile(r"[ \t\r\f\v]+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: dict[str, int] = {}  # open skipped elements by tag (they may nest)
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # an unclosed <head> ends where the body starts
            self.skipping.pop("head", None)
        if tag in SKIPPED_TAGS:
            self.skipping[tag] = self.skipping.get(tag, 0) + 1
        elif tag == "pre":
            self.pre += 1
        self._break(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)  # <br/>, <hr/>: nothing to open or close

    def handle_endtag(self, tag: str) -> None:
        if self.skipping.get(tag):
            self.skipping[tag] -= 1
            if not self.skipping[tag]:
                del self.skipping[tag]
        elif tag == "pre" and self.pre:
            self.pre -= 1
        self._break(tag)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if not self.pre:
            data = _SPACES.sub(" ", data.replace("\n", " "))
            if data == " " and (not self.parts or self.parts[-1].endswith("\n")):
                return  # the indentation between two blocks
        self.parts.append(data)

    def _break(self, tag: str) -> None:
        if self.skipping:
            return
        if tag in PARAGRAPH_TAGS:
            self._newlines(2)
        elif tag in LINE_TAGS:
            self._newlines(1)
        elif tag in CELL_TAGS:
            self.parts.append(" ")

    def _newlines(self, count: int) -> None:
        """End the current line (1) or paragraph (2): </li><li> is one line break, not two."""
        if self.parts and self.parts[-1].strip("\n") == "" and self.parts[-1]:
            self.parts[-1] = "\n" * max(count, len(self.parts[-1]))
        else:
            self.parts.append("\n" * count)


def html_to_text(html: str) -> str:
    """The visible prose of an HTML page, one block per line, paragraphs apart by a blank line."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [line.strip() for line in "".join(extractor.parts).split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n")
