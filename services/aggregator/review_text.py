"""Review HTML from the export, reduced to plain text that is safe to show as text.

The export's `My Review` is untrusted markup. It is parsed with the standard library's HTML
parser (never with regular expressions): tags are dropped, `<br>` and the ends of block
elements become line breaks, the content of `<script>`, `<style>` and `<template>` is dropped,
and entities are unescaped. The result is text, not HTML: a viewer must insert it as text
(`textContent`), never as markup, because an escaped `&lt;b&gt;` in the review is now `<b>`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose end (and start) is a line break when rendered.
_BLOCK_ELEMENTS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
    }
)
# Elements whose content is code or inert markup, never reader-visible text.
_DROPPED_ELEMENTS = frozenset({"script", "style", "template"})

# HTML collapses runs of white space; line breaks come from the markup alone.
_WHITESPACE_RUN = re.compile(r"\s+")
# C0 and C1 control characters other than the line break this module inserts.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_BLANK_LINE_RUN = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities arrive unescaped in handle_data
        self.parts: list[str] = []
        self._dropped_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_ELEMENTS:
            self._dropped_depth += 1
        elif self._dropped_depth:
            return
        elif tag == "br" or tag in _BLOCK_ELEMENTS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_ELEMENTS:
            self._dropped_depth = max(0, self._dropped_depth - 1)
        elif not self._dropped_depth and tag in _BLOCK_ELEMENTS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._dropped_depth:
            self.parts.append(_WHITESPACE_RUN.sub(" ", data))


def review_html_to_text(review_html: str | None) -> str | None:
    """Plain text of a review, or None when nothing readable is left."""
    if not review_html:
        return None
    extractor = _TextExtractor()
    extractor.feed(review_html)
    extractor.close()
    text = _CONTROL_CHARACTERS.sub("", "".join(extractor.parts))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = _BLANK_LINE_RUN.sub("\n\n", "\n".join(lines)).strip()
    return text or None
