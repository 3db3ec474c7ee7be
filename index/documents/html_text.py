"""The text a browser would show of an HTML document, with blank lines between blocks."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class VisibleText(HTMLParser):
    """Collects the text a browser would show, with blank lines between blocks."""

    HIDDEN = {"script", "style", "head", "template", "noscript", "svg", "iframe", "object"}
    BLOCKS = {"p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "li", "ul", "ol",
              "table", "tr", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption",
              "dl", "dt", "dd", "form", "hr", "body", "address"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.title: list[str] = []
        self.h1: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        if tag in ("title", "h1"):
            self._in.append(tag)
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1
        if tag in ("title", "h1") and tag in self._in:
            self._in.remove(tag)
        if tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if "title" in self._in:
            self.title.append(data)
        if self.hidden:
            return
        if "h1" in self._in:
            self.h1.append(data)
        self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))

    def text(self) -> str:
        joined = "".join(self.parts)
        lines = [line.strip() for line in joined.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
