"""Sentence spans with exact document offsets, and the Kiwi morphemes inside them.

Answers are cited at sentence or clause level, never as a whole chunk. Lines are split
first, because statute 항, 호 and 목 and list items each sit on their own line and are
clauses of their own; each line is then split into sentences by Kiwi, which also
returns the morphemes the answerer needs, so a line is analysed exactly once.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import NamedTuple

from rag.tokenizer import kiwi

_LINE = re.compile(r"[^\n]+")
_OPENING = "‘“「『《〈(["
_CLOSING = "’”」』》〉)]"


class Morpheme(NamedTuple):
    """One Kiwi morpheme; ``start``/``end`` are offsets into the document text.

    A named tuple, not a dataclass: a question's evidence builds thousands of them, and a
    tuple is built several times faster."""

    form: str
    tag: str
    start: int
    end: int


@dataclass(frozen=True)
class SentenceSpan:
    """A sentence or clause: ``document_text[start:end] == text``."""

    start: int
    end: int
    text: str
    morphemes: tuple[Morpheme, ...]

    def morphemes_from(self, offset: int) -> tuple[Morpheme, ...]:
        """The morphemes that start at or after document offset ``offset``."""
        return self.morphemes[self._first_from(offset):]

    def morpheme_before(self, offset: int) -> Morpheme | None:
        """The last morpheme that starts before document offset ``offset``, if any."""
        at = self._first_from(offset)
        return self.morphemes[at - 1] if at else None

    def _first_from(self, offset: int) -> int:
        return bisect.bisect_left(self.morphemes, offset, key=lambda m: m.start)


def _unbalanced(text: str) -> bool:
    """Whether a quote or bracket opened in ``text`` is still open at its end.

    Kiwi ends sentences at a period inside ‘주제 1. 서울시 세션’; such pieces are
    glued back so a quoted title is never cut in two.
    """
    depth = 0
    for ch in text:
        if ch in _OPENING:
            depth += 1
        elif ch in _CLOSING and depth:
            depth -= 1
    return depth > 0 or text.count('"') % 2 == 1


#: A piece ending on a sentence ending inside brackets: '…기능(…을 말한다)', '…자(이하 "X"라 한다)'.
_ASIDE_END = re.compile(r"[다요]\.?[)\]]$")


def _ends_in_aside(text: str) -> bool:
    """Whether a piece ends where an aside in brackets ends with a sentence ending of its own.

    Kiwi ends a sentence at the 말한다 of '안전기능(…을 말한다) 미비 등으로 …', and statutes
    gloss their words that way mid-sentence; the sentence goes on after the bracket. A piece
    that is all aside ('(사진은 … 모습이다)') is a sentence of its own.
    """
    text = text.rstrip()
    return bool(_ASIDE_END.search(text)) and not text.startswith(tuple(_OPENING))


def _continues(tokens) -> bool:
    """Whether a Kiwi "sentence" starts with a particle or ending, i.e. was cut too early."""
    return bool(tokens) and tokens[0].tag.startswith(("J", "E", "XS", "VCP"))


def paragraph_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` to whole lines, so no sentence is cut at a chunk edge."""
    left = text.rfind("\n", 0, start) + 1
    right = text.find("\n", end)
    return left, len(text) if right < 0 else right


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[SentenceSpan]:
    """Sentences of the lines in ``text[start:end]``, with offsets into ``text``."""
    end = len(text) if end is None else end
    lines = [(m.start() + start, m.group()) for m in _LINE.finditer(text[start:end]) if m.group().strip()]
    analysed = kiwi().split_into_sents([line for _, line in lines], return_tokens=True)
    spans: list[SentenceSpan] = []
    for (offset, line), sentences in zip(lines, analysed):
        pieces: list[list] = []
        for sentence in sentences:
            if pieces and (
                _unbalanced(piece := line[pieces[-1][0].start:pieces[-1][-1].end]) or _ends_in_aside(piece)
                or _continues(sentence.tokens)
            ):
                pieces[-1].append(sentence)
            else:
                pieces.append([sentence])
        for group in pieces:
            s, e = group[0].start, group[-1].end
            while s < e and line[s].isspace():
                s += 1
            while e > s and line[e - 1].isspace():
                e -= 1
            if s == e:
                continue
            morphemes = tuple(
                Morpheme(t.form, t.tag, offset + t.start, offset + t.start + t.len)
                for sentence in group
                for t in sentence.tokens
            )
            spans.append(SentenceSpan(offset + s, offset + e, text[offset + s:offset + e], morphemes))
    return spans
