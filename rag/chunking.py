"""Split documents into retrievable chunks whose offsets point into the document text.

Prose goes through langchain's ``RecursiveCharacterTextSplitter`` with separators that
prefer paragraph, line, then sentence and clause boundaries, so a chunk rarely cuts a
Korean sentence. Statutes are split on their 조/항 structure instead: a chunk never
spans two 조, and it names the 조 (or the single 항) it covers, which is what a
citation should say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from rag.documents import Chunk, Document, Section

#: Bumped whenever the way chunks are cut changes, so stale indexes are refused.
CHUNKER_VERSION = 2

#: Paragraph, line, sentence end, clause end, word, character.
_SEPARATORS = ["\n\n", "\n", r"(?<=[.!?。])\s+", r"(?<=[,，、;])\s+", " ", ""]

_ARTICLE_LABEL = re.compile(r"제\d+조(?:의\d+)?")

#: Gaps between 조 shorter than this (chapter headings such as ``제1장 총칙``) are
#: not worth a chunk of their own.
_MIN_GAP_CHARS = 40


@dataclass(frozen=True)
class ChunkerConfig:
    """How chunks are cut; stored in the index manifest."""

    size: int = 500
    overlap: int = 100
    version: int = CHUNKER_VERSION


class Chunker:
    """Cuts :class:`Document` objects into :class:`Chunk` objects with exact offsets."""

    def __init__(self, config: ChunkerConfig | None = None):
        self.config = config or ChunkerConfig()
        self._splitter = RecursiveCharacterTextSplitter(
            separators=_SEPARATORS,
            is_separator_regex=True,
            keep_separator="end",
            chunk_size=self.config.size,
            chunk_overlap=min(self.config.overlap, self.config.size // 2),
            add_start_index=True,
            strip_whitespace=True,
        )

    def split(self, document: Document) -> list[Chunk]:
        """All chunks of ``document``, in text order."""
        if document.kind == "statute" and document.sections:
            return self._split_statute(document)
        return self._split_span(document, 0, len(document.text))

    def _split_span(
        self, document: Document, start: int, end: int, section: Section | None = None, label: str | None = None
    ) -> list[Chunk]:
        """Prose-split ``document.text[start:end]``; offsets are shifted back to the document."""
        span = document.text[start:end]
        chunks = []
        for piece in self._splitter.create_documents([span]):
            local = piece.metadata["start_index"]
            if local < 0:  # the splitter could not place the piece; search it ourselves
                local = span.find(piece.page_content)
            text = piece.page_content
            if not text or span[local : local + len(text)] != text:
                raise AssertionError(f"chunk offsets lost in {document.doc_id!r} at {start + local}")
            chunks.append(
                Chunk(
                    doc_id=document.doc_id,
                    start=start + local,
                    end=start + local + len(text),
                    text=text,
                    section=label or (section.label if section else None),
                    section_title=section.title if section else None,
                )
            )
        return chunks

    def _split_statute(self, document: Document) -> list[Chunk]:
        articles = sorted((s for s in document.sections if s.label == s.article), key=lambda s: s.start)
        chunks: list[Chunk] = []
        cursor = 0
        for article in articles:
            if article.start - cursor >= _MIN_GAP_CHARS and document.text[cursor : article.start].strip():
                chunks.extend(self._split_span(document, cursor, article.start))
            chunks.extend(self._split_article(document, article))
            cursor = max(cursor, article.end)
        if len(document.text) - cursor >= _MIN_GAP_CHARS:
            chunks.extend(self._split_span(document, cursor, len(document.text)))
        return chunks

    def _split_article(self, document: Document, article: Section) -> list[Chunk]:
        """One 조 as one chunk when it fits, else runs of whole 항 packed up to the size."""
        size = self.config.size
        if article.end - article.start <= size:
            return self._split_span(document, article.start, article.end, article)
        paragraphs = sorted(
            (s for s in document.sections if s.article == article.article and s.label != s.article
             and article.start <= s.start and s.end <= article.end),
            key=lambda s: s.start,
        )
        if not paragraphs:
            return self._split_span(document, article.start, article.end, article)
        # The 조 heading and text before ①, then each 항; neighbours are merged while they fit.
        units: list[tuple[int, int, Section]] = []
        if paragraphs[0].start > article.start:
            units.append((article.start, paragraphs[0].start, article))
        units.extend((p.start, p.end, p) for p in paragraphs)
        groups: list[list[tuple[int, int, Section]]] = []
        for unit in units:
            if groups and unit[1] - groups[-1][0][0] <= size:
                groups[-1].append(unit)
            else:
                groups.append([unit])
        chunks = []
        for group in groups:
            start, end = group[0][0], group[-1][1]
            labels = [u[2].label for u in group if u[2] is not article]
            label = labels[0] if len(labels) == 1 and len(group) == 1 else article.label
            chunks.extend(self._split_span(document, start, end, article, label=label))
        return chunks


def index_text(document: Document, chunk: Chunk) -> str:
    """The text that represents ``chunk`` in the dense and lexical indexes.

    The document title and, for statutes, the 조 heading are prepended: a 항 deep inside
    제7조 says nothing about 인공지능위원회 by itself, nor a paragraph about its article.
    """
    heading = ""
    if chunk.section:
        article = _ARTICLE_LABEL.match(chunk.section)
        label = article.group(0) if article else chunk.section
        heading = f"{label}({chunk.section_title})" if chunk.section_title else label
        if chunk.text.startswith(label):  # the chunk opens with its own heading
            heading = ""
    return "\n".join(part for part in (document.title, heading, chunk.text) if part)
