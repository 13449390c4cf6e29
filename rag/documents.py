"""Documents, sections and chunks: the records every other module passes around.

A document's ``text`` is normalised exactly once, by :func:`normalize_text`, and every
offset anywhere in the system (sections, chunks, citations) indexes into that string.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

_BLANK_RUN = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0\u3000]+\n")
_SLUG_DROP = re.compile(r"[^\w\-]+", re.UNICODE)


def normalize_text(text: str) -> str:
    """Return the canonical form of ``text`` that all offsets refer to.

    Unicode NFC (so 한글 typed as decomposed jamo matches precomposed syllables),
    ``\\r\\n``/``\\r`` turned into ``\\n``, trailing spaces removed from lines, runs of
    blank lines collapsed to one blank line, and the whole text stripped. The function
    is idempotent: ``normalize_text(normalize_text(x)) == normalize_text(x)``.
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = _TRAILING_SPACE.sub("\n", text)
    text = _BLANK_RUN.sub("\n\n", text)
    return text.strip()


def slugify(name: str) -> str:
    """A stable document id from a file name: lower-case, word characters and dashes.

    Hangul is kept (``서울 조례.md`` → ``서울-조례``) so ids stay readable.
    """
    stem = unicodedata.normalize("NFC", name).strip().lower()
    stem = re.sub(r"[\s_.]+", "-", stem)
    stem = _SLUG_DROP.sub("", stem).strip("-")
    return stem or "document"


def content_hash(text: str) -> str:
    """SHA-256 of the normalised text plus nothing else: equal text means a no-op ingest."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Section:
    """A labelled span of a statute, e.g. ``제7조제2항`` of ``제7조(인공지능위원회)``.

    ``article`` is the 조 label (``제7조``, ``제17조의2``), ``label`` the finest unit the
    span stands for (a 항 when the 조 has 항, otherwise the 조 itself), ``title`` the
    조 title in the parentheses (``목적``), when there is one.
    """

    start: int
    end: int
    label: str
    article: str
    title: str | None = None


@dataclass(frozen=True)
class Document:
    """One normalised source document.

    ``kind`` is ``"statute"`` when ``sections`` were parsed from 조/항 structure, else
    ``"text"``. ``metadata`` holds anything else the loader found (front matter keys).
    """

    doc_id: str
    title: str
    text: str
    kind: str = "text"
    source: str | None = None
    date: str | None = None
    publisher: str | None = None
    sections: tuple[Section, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of title and text, computed once: answers key their caches on it."""
        return content_hash(self.title + "\n" + self.text)

    @property
    def names(self) -> tuple[str, ...]:
        """What a question may call the document: its title, and its short title when the
        source gives one (front matter ``short_title``, law.go.kr ``법령명약칭`` such as
        인공지능기본법)."""
        short = self.metadata.get("short_title") or self.metadata.get("법령명약칭")
        return (self.title, short) if isinstance(short, str) and short.strip() else (self.title,)

    @cached_property
    def articles(self) -> dict[str, tuple[int, int]]:
        """Each 조 by its label (``제7조``, ``제17조의2``) with its span, from its first section's
        start to its last one's end; the 부칙's are left out (they restart their numbering)."""
        spans: dict[str, tuple[int, int]] = {}
        for section in self.sections:
            if not section.label.startswith("부칙"):
                start, end = spans.get(section.article, (section.start, section.end))
                spans[section.article] = (min(start, section.start), max(end, section.end))
        return spans

    def section_at(self, offset: int) -> Section | None:
        """The innermost (shortest; the first listed of equals) section covering ``offset``,
        if the document has sections."""
        points, innermost = self._section_cover
        at = bisect.bisect_right(points, offset) - 1
        return innermost[at] if at >= 0 else None

    @cached_property
    def _section_cover(self) -> tuple[list[int], list[Section | None]]:
        """Every offset where a section starts or ends, and the innermost section from each
        to the next: a statute has hundreds of sections, and answering one question asks
        which one holds a sentence dozens of times."""
        points = sorted({s.start for s in self.sections} | {s.end for s in self.sections})
        by_start = sorted(range(len(self.sections)), key=lambda i: self.sections[i].start)
        open_sections: list[tuple[int, int]] = []  # (length, position in self.sections)
        innermost: list[Section | None] = []
        next_start = 0
        for point in points:
            while next_start < len(by_start) and self.sections[by_start[next_start]].start <= point:
                i = by_start[next_start]
                heapq.heappush(open_sections, (self.sections[i].end - self.sections[i].start, i))
                next_start += 1
            while open_sections and self.sections[open_sections[0][1]].end <= point:
                heapq.heappop(open_sections)  # ended: only the shortest open one matters
            innermost.append(self.sections[open_sections[0][1]] if open_sections else None)
        return points, innermost

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "text": self.text,
            "kind": self.kind,
            "source": self.source,
            "date": self.date,
            "publisher": self.publisher,
            "sections": [s.__dict__ for s in self.sections],
            "metadata": self.metadata,
        }

    @cached_property
    def json_line(self) -> str:
        """:meth:`to_dict` as one line of JSON, made once: an index saves every document on every write."""
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json_line(cls, line: str) -> Document:
        """The document of a line :attr:`json_line` made, which it keeps as its own."""
        document = cls.from_dict(json.loads(line))
        document.__dict__["json_line"] = line.rstrip("\n")  # frozen: set the cached value directly
        return document

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(
            doc_id=data["doc_id"],
            title=data["title"],
            text=data["text"],
            kind=data.get("kind", "text"),
            source=data.get("source"),
            date=data.get("date"),
            publisher=data.get("publisher"),
            sections=tuple(Section(**s) for s in data.get("sections", ())),
            metadata=dict(data.get("metadata") or {}),
        )


@dataclass(frozen=True)
class Chunk:
    """A retrievable span of one document: ``document.text[start:end] == text``.

    ``section`` and ``section_title`` are set for statute chunks (``제7조제2항``,
    ``인공지능위원회``); a chunk never spans two 조.
    """

    doc_id: str
    start: int
    end: int
    text: str
    section: str | None = None
    section_title: str | None = None

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}:{self.start}-{self.end}"
