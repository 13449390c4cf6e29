"""HTML pages (``.html``, ``.htm``): the visible text, laid out as a browser shows it.

Scripts, navigation, headers, footers and forms are dropped; block elements become line
breaks and paragraph-level ones blank lines, which is where the chunker splits.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import lxml.html
from lxml import etree

from rag.documents import Document, normalize_text
from rag.loaders.source import Source

_HTML_DROP = ("script", "style", "nav", "header", "footer", "aside", "noscript", "template", "iframe", "svg", "form")
# Paragraph-level elements are set off by a blank line, line-level ones start a new line,
# table cells are separated by a space: the layout a reader sees, and the paragraph
# breaks the chunker splits on.
_HTML_PARAGRAPHS = frozenset(
    "address article blockquote details dialog div dl fieldset figcaption figure h1 h2 h3 h4 h5 h6 hr "
    "main ol p pre section table ul".split()
)
_HTML_LINES = frozenset("br caption dd dt li summary tr".split())
_HTML_CELLS = frozenset(("td", "th"))
_HTML_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
_WHITESPACE_RUN = re.compile(r"[ \t\r\n\f\v]+")


def parse_html(source: Source) -> Document:
    """An HTML page as one document titled by its ``<title>`` (else first ``<h1>``, else file name)."""
    try:
        # Bytes plus an explicit encoding: lxml rejects str input that carries an XML
        # declaration (XHTML), and would guess a wrong codec from bytes alone.
        root = lxml.html.document_fromstring(source.text.encode("utf-8"), parser=_HTML_PARSER)
    except (etree.ParserError, ValueError) as error:
        raise source.fail(f"invalid HTML ({error})") from None
    title = _html_title(root)
    for element in root.xpath("//head | " + " | ".join(f"//{tag}" for tag in _HTML_DROP)):
        element.drop_tree()
    text = source.require_text(_html_visible_text(root))
    return Document(
        doc_id=source.id_or(), title=title or Path(source.filename).stem, text=text,
        metadata={"filename": source.filename},
    )


def _html_title(root: Any) -> str:
    """The ``<title>``, else the first ``<h1>``, with whitespace collapsed."""
    for xpath in ("//title", "//h1"):
        for element in root.xpath(xpath):
            title = _WHITESPACE_RUN.sub(" ", element.text_content()).strip()
            if title:
                return normalize_text(title)
    return ""


def _html_visible_text(root: Any) -> str:
    """Text as a browser lays it out: source whitespace collapsed, blocks on their own lines."""
    for element in root.iter(etree.Element):
        element.text = _WHITESPACE_RUN.sub(" ", element.text) if element.text else element.text
        element.tail = _WHITESPACE_RUN.sub(" ", element.tail) if element.tail else element.tail
    for element in root.iter(etree.Element):
        if element.tag in _HTML_PARAGRAPHS:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
        elif element.tag in _HTML_LINES:
            element.text = "\n" + (element.text or "")
        elif element.tag in _HTML_CELLS:
            element.tail = " " + (element.tail or "")
    lines = (line.strip() for line in root.text_content().split("\n"))
    return normalize_text("\n".join(lines))
