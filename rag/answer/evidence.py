"""Evidence: the sentences of the retrieved chunks, each analysed once with what frames it.

A hit's paragraph is cut into sentences (:func:`rag.sentences.split_sentences`) and each
sentence into typed candidates (:func:`rag.answer.candidates.extract_candidates`), once
per paragraph however many questions retrieve it. A sentence also carries the words
that frame it without being in it: its document's title, its statute section's heading
(제31조(투명성 확보 의무)), and for an item line (1. …, 가. …) the list lead above it;
a list lead ("다음 각 호의 어느 하나에 해당하는 자") carries the item lines it introduces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from rag.answer.analysis import LIST_LEAD, AnalysisStore
from rag.answer.candidates import Candidate, extract_candidates, with_heads_of_bodies, without_names
from rag.documents import Document
from rag.lexical import tokenize
from rag.retrieval import SearchHit
from rag.sentences import SentenceSpan, paragraph_bounds, split_sentences

#: Paragraphs whose analysis is kept; a service over a large collection must not grow forever.
_CACHE_LIMIT = 20_000
#: A sentence introducing a list whose items hold its conditions (다음 각 호의 어느 하나에 해당하는 자).
_ITEM_LINE = re.compile(r"[ \t]*(?:\d+(?:의\d+)?|[가-하])\.\s")
#: How many item lines above an item its list lead may be.
_LEAD_REACH = 40


@dataclass(frozen=True)
class Sentence:
    """A sentence of a hit, with its candidates, the context words of its titles, its 조
    and the words of that 조's title (``heading``); a list lead ("다음 각 호의 어느
    하나에 해당하는 자") has the ``items`` it introduces. ``rank`` is the rank of the
    best hit it was read from."""

    doc: Document
    span: SentenceSpan
    candidates: tuple[Candidate, ...]
    context: frozenset[str]
    rank: int
    article: str | None = None
    heading: frozenset[str] = frozenset()
    items: tuple[SentenceSpan, ...] = ()

    def text(self, start: int, end: int) -> str:
        """The sentence's text between document offsets ``start`` and ``end``."""
        return self.span.text[start - self.span.start:end - self.span.start]


class Evidence:
    """Reads hits into :class:`Sentence` objects, caching each paragraph's analysis; with
    ``analyses``, a paragraph of an indexed document is decoded from its stored analysis."""

    def __init__(self, analyses: AnalysisStore | None = None) -> None:
        # Paragraph analyses stored when their documents were indexed (:mod:`rag.answer.analysis`).
        self._analyses = analyses
        # Sentences and candidates per paragraph, keyed by document content, so a
        # paragraph is analysed by Kiwi once however many questions retrieve it.
        self._paragraphs: dict[tuple[str, str, int, int], list[tuple[SentenceSpan, tuple[Candidate, ...]]]] = {}
        self._contexts: dict[str, frozenset[str]] = {}
        self._seeded: set[str] = set()  # documents whose stored contexts are in _contexts

    def sentences(self, hits: list[SearchHit], documents: Mapping[str, Document],
                  ranks: list[int] | None = None) -> list[Sentence]:
        """Sentences of the hits' paragraphs, each kept once with its best hit rank (a hit's
        rank is its place in ``hits`` unless ``ranks`` gives it)."""
        seen: dict[tuple[str, int], Sentence] = {}
        for n, hit in enumerate(hits):
            rank = n if ranks is None else ranks[n]
            doc = documents.get(hit.chunk.doc_id)
            if doc is None:
                continue
            spans = self._paragraph(doc, hit.chunk.start, hit.chunk.end)
            article = doc.section_at(hit.chunk.start)
            if article is not None:
                # The 조 heading names what the clause is about: "제31조(투명성 확보 의무)".
                article_start = min(
                    sec.start for sec in doc.sections if sec.article == article.article and sec.start <= article.start
                )
                spans = self._paragraph(doc, article_start, article_start) + spans
            for span, candidates in spans:
                key = (doc.doc_id, span.start)
                if key not in seen:
                    section = doc.section_at(span.start)
                    context = self.context(doc.title)
                    heading: frozenset[str] = frozenset()
                    if section and section.title:
                        heading = self.context(section.title)
                        context = context | heading
                    lead = self._lead(doc, span.start)
                    if lead is not None:
                        # "1. 3명 이상의 발기인이 있을 것" is about what its lead says (연구소를 설립하려는 경우).
                        context = context | self.context(lead)
                    items = self._items(doc, span.end) if LIST_LEAD.search(span.text) else ()
                    seen[key] = Sentence(doc, span, candidates, context, rank,
                                         section.article if section else None, heading, items)
        return list(seen.values())

    def context(self, title: str) -> frozenset[str]:
        """Content words of a document or section title (or a list lead), which frame all its sentences."""
        if title not in self._contexts:
            if len(self._contexts) >= _CACHE_LIMIT:
                self._contexts.clear()
                self._seeded.clear()
            self._contexts[title] = frozenset(tokenize(title))
        return self._contexts[title]

    def _seed(self, content_hash: str, contexts: Mapping[str, frozenset[str]]) -> None:
        """Take a document's stored framing words into the context cache, once."""
        if len(self._contexts) + len(contexts) >= _CACHE_LIMIT:
            self._contexts.clear()
            self._seeded.clear()
        self._seeded.add(content_hash)
        self._contexts.update(contexts)

    @staticmethod
    def _lead(doc: Document, start: int) -> str | None:
        """The list lead ("다음 각 호의 …") of the item line holding ``start``, if it is one."""
        line_start = doc.text.rfind("\n", 0, start) + 1
        if not _ITEM_LINE.match(doc.text, line_start):
            return None
        for _ in range(_LEAD_REACH):
            if line_start == 0:
                return None
            previous = doc.text.rfind("\n", 0, line_start - 1) + 1
            line = doc.text[previous:line_start - 1]
            if LIST_LEAD.search(line):
                return line
            if not _ITEM_LINE.match(line):
                return None
            line_start = previous
        return None

    def _items(self, doc: Document, end: int) -> tuple[SentenceSpan, ...]:
        """The item lines (1. …, 가. …) right after a list lead ending at ``end``."""
        items = []
        line_start = doc.text.find("\n", end)
        while line_start >= 0 and _ITEM_LINE.match(doc.text, line_start + 1):
            line_start += 1
            items.extend(span for span, _ in self._paragraph(doc, line_start, line_start))
            line_start = doc.text.find("\n", line_start)
        return tuple(items)

    def _paragraph(self, doc: Document, start: int, end: int) -> list[tuple[SentenceSpan, tuple[Candidate, ...]]]:
        """Sentences and candidates of the paragraph around ``[start, end)``, analysed once."""
        left, right = paragraph_bounds(doc.text, start, end)
        key = (doc.doc_id, doc.content_hash, left, right)
        if key not in self._paragraphs:
            if len(self._paragraphs) >= _CACHE_LIMIT:
                self._paragraphs.clear()
            stored = self._analyses.get(doc) if self._analyses is not None else None
            if stored is not None and doc.content_hash not in self._seeded:
                self._seed(doc.content_hash, stored.contexts)
            paragraph = stored.paragraph(doc.text, left, right) if stored is not None else [
                (span, tuple(extract_candidates(span))) for span in split_sentences(doc.text, left, right)
            ]
            if doc.kind == "statute":
                paragraph = [(span, with_heads_of_bodies(span, without_names(candidates)))
                             for span, candidates in paragraph]
            self._paragraphs[key] = paragraph
        return self._paragraphs[key]
