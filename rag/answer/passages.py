"""Passages: the spans that can answer a definition, purpose, list, duty, reason or passage question.

A passage is one contiguous span of a document, so it stays an exact quote: an evidence
sentence (a defining clause, a purpose or duty sentence) or a list lead with the 호/목
item lines right after it. It starts after an item marker ("2. " of '2. "공공데이터"란
…') and holds at most :data:`MAX_CHARS` characters: a longer list keeps its lead and the
whole items that fit, a longer sentence is cut at a word boundary, and either is marked
``truncated``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.evidence import Sentence

#: The longest answer a passage gives, in characters.
MAX_CHARS = 600
_ITEM_MARKER = re.compile(r"[ \t]*(?:\d+(?:의\d+)?|[가-하])\.\s+")


@dataclass(frozen=True)
class Item:
    """One 호 or 목 line of a list passage, as document offsets and its text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Passage:
    """A contiguous span ``[start, end)`` of ``sentence``'s document, starting in ``sentence``.

    ``items`` are the whole 호/목 lines it holds after a list lead; ``truncated`` says the
    lead's list or the sentence went on past :data:`MAX_CHARS`.
    """

    sentence: Sentence
    start: int
    end: int
    items: tuple[Item, ...] = ()
    truncated: bool = False

    @property
    def text(self) -> str:
        """The passage's text, ``document.text[start:end]``."""
        return self.sentence.doc.text[self.start:self.end]


def _item_lines(text: str, start: int, end: int, every_line: bool = False) -> list[Item]:
    """The item lines (1. …, 가. …) of ``text[start:end]``, or with ``every_line`` each line that
    is not blank, each without its indentation."""
    items = []
    line_start = start
    while line_start < end:
        line_end = text.find("\n", line_start, end)
        line_end = end if line_end < 0 else line_end
        line = text[line_start:line_end]
        if line.strip() and (every_line or _ITEM_MARKER.match(line)):
            offset = line_start + len(line) - len(line.lstrip())
            stripped_end = line_start + len(line.rstrip())
            items.append(Item(offset, stripped_end, text[offset:stripped_end]))
        line_start = line_end + 1
    return items


def _cut(text: str, start: int, end: int) -> int:
    """The end of the longest stretch of ``text[start:end]`` within :data:`MAX_CHARS` that ends a word."""
    limit = start + MAX_CHARS
    if end <= limit:
        return end
    space = text.rfind(" ", start, limit)
    return space if space > start else limit


def passage_of(sentence: Sentence) -> Passage:
    """The passage that starts with ``sentence``: the sentence, and a list lead's items after it."""
    text = sentence.doc.text
    start = sentence.span.start
    marker = _ITEM_MARKER.match(text, start)
    if marker and marker.end() < sentence.span.end:
        start = marker.end()
    end = sentence.span.end
    items: tuple[Item, ...] = ()
    truncated = False
    if sentence.items:
        lines = _item_lines(text, end, sentence.items[-1].end)
        kept = [item for item in lines if item.end - start <= MAX_CHARS]
        truncated = len(kept) < len(lines)
        if kept:
            end = kept[-1].end
        items = tuple(kept)
    if end - start > MAX_CHARS:
        end, truncated = _cut(text, start, end), True
    return Passage(sentence, start, end, items, truncated)


#: An article's heading line alone: 제3조(정보통신서비스 제공자 및 이용자의 책무).
_HEADING_LINE = re.compile(r"제\d+조(?:의\d+)?\s?\(.*\)")


def with_its_article(passage: Passage) -> Passage:
    """``passage``, or when it is an article's heading line alone, the heading with the
    article's lines after it (its 항, 호 and 목, each one of ``items``), as many whole lines
    as fit in :data:`MAX_CHARS` (``truncated`` when the article goes on): a heading names
    what the article lays down and says nothing itself, so the answer it wins is the
    article it heads."""
    sentence, doc = passage.sentence, passage.sentence.doc
    if sentence.article is None or not _HEADING_LINE.fullmatch(passage.text.strip()):
        return passage
    ends = [sec.end for sec in doc.sections if sec.article == sentence.article and sec.end > passage.start]
    article_end = len(doc.text[:max(ends, default=passage.end)].rstrip())
    lines = _item_lines(doc.text, passage.end + 1, article_end, every_line=True)
    kept = [line for line in lines if line.end - passage.start <= MAX_CHARS]
    if not kept:
        return passage
    return Passage(sentence, passage.start, kept[-1].end, tuple(kept), len(kept) < len(lines))


def passages(sentences: list[Sentence]) -> list[Passage]:
    """One passage per evidence sentence, in evidence order."""
    return [passage_of(sentence) for sentence in sentences]
