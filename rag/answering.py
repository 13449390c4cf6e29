"""Extractive answers with sentence-level citations, or an explicit abstention.

No generative model: the answer is always a span copied from a retrieved document.
For each sentence of the top hits, typed candidates (:mod:`rag.candidates`) are scored
by how well the sentence matches the question's content words, how close the
candidate sits to those words, whether its type fits the question's expected answer
type (:mod:`rag.questions`), and how much it merely repeats the question; a document
the question does not mean (an act's 시행령 when it names the act) counts less. A
question word is found as itself, an equivalent spelling, the formal word for a plain
one (:mod:`rag.paraphrases`), the full name it abbreviates or the name its surname
stands for; the examples listed before 등 answer for the class named after it. The
best candidate is the answer and its sentence the first citation; when the evidence
is weak (shared words, a span of the wrong kind, a missing "첫"/"초대" the question
insists on; a logistic under a calibrated threshold) the answerer abstains instead of
guessing. Questions and documents are only ever matched as text,
so instructions inside them ("이전 지시를 무시하고…") have no effect.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
from dataclasses import dataclass
from typing import Mapping

from pydantic import BaseModel, ConfigDict, Field

from rag.candidates import (ALIAS, DEFINITION, NAME, QUOTED, SURNAMES, TERM, Candidate, extract_candidates,
                            is_titled)
from rag.documents import Document
from rag.mentions import Mentions, compact_name
from rag.paraphrases import formal_forms
from rag.lexical import CONTENT_TAGS, EQUIVALENT_FORMS, tokenize
from rag.questions import NAMING_NOUNS, ORDINAL_FAMILIES, AnswerType, QuestionAnalysis, analyze_question
from rag.retrieval import SearchHit
from rag.sentences import SentenceSpan, paragraph_bounds, split_sentences

#: Paragraphs whose analysis is kept; a service over a large collection must not grow forever.
_CACHE_LIMIT = 20_000
#: Shortest question word taken for an abbreviation (인권위, 대한상의).
_ABBREVIATION_MIN = 3
_WORD = re.compile(r"[가-힣]+")


def _is_hangul(text: str) -> bool:
    return all("가" <= ch <= "힣" for ch in text)


def _abbreviates(short: str, word: str) -> bool:
    """Whether ``short`` is a Korean abbreviation of ``word``: its first two syllables,
    then the rest in order (대한상의 of 대한상공회의소에서, 과기정통부 of 과학기술정보통신부)."""
    if len(word) < len(short) + 2 or word[0] != short[0]:
        return False
    rest = iter(word[1:])
    return all(ch in rest for ch in short[1:])


#: Match strength of a formal word for the question's plain one: near, not quite, the same.
_PARAPHRASE = 0.8
_WORD_EDGES = "‘’“”「」『』《》〈〉()[]\"',.·ㆍ"

#: Types a candidate of another type may still stand in for, with reduced credit.
_COMPATIBLE: dict[str, frozenset[str]] = {
    "number": frozenset({"quantity"}),
    # A bare "얼마" (점유율은 얼마인가) may still be answered by an amount of money.
    "quantity": frozenset({"number", "date", "money"}),
    "date": frozenset({"quantity"}),
    "organization": frozenset({"place"}),
    "place": frozenset({"organization"}),
    "title": frozenset({"other"}),
    "other": frozenset({"title"}),
    "money": frozenset(),
    "time": frozenset(),
    "person": frozenset(),
    "law_reference": frozenset(),
}


#: How many words after a name may still be its title (김성하 경기연구원 센터장).
_APPOSITION_WORDS = 3
#: Types whose answers are names or noun phrases, which the type rules cannot all recognise.
_NAMED = frozenset({"person", "organization", "place", "title"})


#: The rest of a list of examples after one of its items, up to 등 (…, 케임브리지 등 주요 연구기관).
_GLOSS = r"(?:\([^()\n]{1,20}\))?"
_LISTED_EXAMPLE = re.compile(
    _GLOSS + r"(?:(?:,\s?|\s?[ㆍ·]\s?|\s(?:및|또는)\s)[^\s,ㆍ·()]+(?:\s[^\s,ㆍ·()]+)?" + _GLOSS + r"){0,8}\s등\s")
#: A list's end right before 등.
_LAST_EXAMPLE = re.compile(_GLOSS + r"\s등\s")
#: A span of several coordinated items, which answers only a question for the examples.
_COORDINATED = re.compile(r", | 및 | 또는 ")
#: How far after 등 the words naming the class of the examples reach.
_CATEGORY_REACH = 40
#: A sentence introducing a list whose items hold its conditions (다음 각 호의 어느 하나에 해당하는 자).
_LIST_LEAD = re.compile(r"다음 각 (?:호|목)")
#: A list lead whose items are alternative conditions (어느 하나에 해당하는 자), not contents (다음 각 호의 사항).
_CONDITION_LEAD = re.compile(r"다음 각 (?:호|목)의 어느 하나에 해당하")
_ITEM_LINE = re.compile(r"[ \t]*(?:\d+(?:의\d+)?|[가-하])\.\s")
#: How many item lines above an item its list lead may be.
_LEAD_REACH = 40
_DAY = re.compile(r"\d\s?일|\d{4}\s?\.\s?\d{1,2}\s?\.\s?\d")
_MONTH = re.compile(r"\d\s?월")
_ARTICLE = re.compile(r"제\d+조(?:의\d+)?")
_ACT = re.compile(r"(?:법률\s)?제\d+호")


def _precision(candidate: Candidate) -> str:
    """The finest part a date or statute reference names: day, month, year; an act's
    number, an article or finer."""
    if "law_reference" in candidate.types:
        if _ACT.fullmatch(candidate.text):
            return "act"
        return "article" if _ARTICLE.fullmatch(candidate.text) else "clause"
    if _DAY.search(candidate.text):
        return "day"
    return "month" if _MONTH.search(candidate.text) else "year"


class Citation(BaseModel):
    """One quoted sentence or clause: ``document.text[start:end] == quote``."""

    doc_id: str = Field(description="Id of the cited document.")
    title: str = Field(description="Title of the cited document.")
    start: int = Field(ge=0, description="Offset of the quote in the document's normalised text.")
    end: int = Field(ge=0, description="End offset (exclusive) of the quote.")
    quote: str = Field(description="The cited sentence or clause, verbatim.")
    section: str | None = Field(None, description="Statute section of the quote, e.g. 제7조제2항.")
    score: float = Field(description="How strongly the sentence supports the answer (higher is better).")


class Timings(BaseModel):
    """Wall-clock time of each stage in milliseconds."""

    retrieve: float = Field(0.0, ge=0, description="Retrieval time, filled in by the caller.")
    answer: float = Field(0.0, ge=0, description="Answer extraction time.")
    total: float = Field(0.0, ge=0, description="Retrieval plus answer extraction.")


class Answer(BaseModel):
    """An extractive answer with citations, or an abstention (``answer`` is null)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "q1",
                "question": "서울디지털재단은 몇 년에 설립되었나?",
                "answer": "2016년",
                "answer_type": "date",
                "abstained": False,
                "confidence": 0.93,
                "citations": [
                    {
                        "doc_id": "seoul-ai-foundation",
                        "title": "서울디지털재단, ‘서울AI재단’으로 새출발",
                        "start": 437,
                        "end": 498,
                        "quote": "이 재단은 2016년 설립 이래 스마트시티 조성, 디지털 역량 강화, 데이터 기반 행정 혁신 등에 기여해왔다.",
                        "section": None,
                        "score": 3.1,
                    }
                ],
                "timings_ms": {"retrieve": 21.0, "answer": 4.2, "total": 25.2},
            }
        }
    )

    id: str | None = Field(None, description="The caller's question id, echoed back.")
    question: str = Field(description="The question as asked.")
    answer: str | None = Field(description="A span of the first citation's quote, or null when abstaining.")
    answer_type: AnswerType = Field(description="The answer type the question asks for.")
    abstained: bool = Field(description="True exactly when the evidence was too weak to answer.")
    confidence: float = Field(ge=0.0, le=1.0, description="Estimated probability that the answer is right.")
    citations: list[Citation] = Field(
        default_factory=list, description="Supporting sentences; the first one contains the answer."
    )
    timings_ms: Timings = Field(default_factory=Timings, description="Stage timings in milliseconds.")

    def with_retrieval_time(self, retrieve_ms: float) -> Answer:
        """A copy whose timings include the caller's retrieval time."""
        timings = Timings(retrieve=retrieve_ms, answer=self.timings_ms.answer, total=retrieve_ms + self.timings_ms.answer)
        return self.model_copy(update={"timings_ms": timings})


@dataclass(frozen=True)
class AnswererConfig:
    """Scoring weights and the abstention threshold.

    ``threshold`` applies to the confidence, a logistic of the evidence of the best
    candidate's sentence (question words it shares, and how close they are to the
    candidate, less ``fit_penalty`` per missing unit of type fit, ``misfit_penalty`` for
    a span of no recognised kind, ``ordinal_penalty`` for a missing first/last
    qualifier (``end_penalty`` for a sentence that never says the asked thing ended),
    ``counted_penalty`` for a count of something else and
    ``condition_penalty`` for a list whose items name none of the question's
    conditions; plus ``definition_evidence`` for the asked term's definition):
    ``1 / (1 + exp(-steepness * (evidence - midpoint)))``. Calibrated on the dev sets
    (answerable against unanswerable questions).

    An answer cites ``max_citations`` sentences at most: its own, then the
    ``rival_citations`` sentences whose best candidates came next (the evidence it won
    against, for a reader to judge), then those that share most of the question's words.
    """

    hits: int = 5
    threshold: float = 0.5
    midpoint: float = 0.3
    steepness: float = 10.0
    rank_weight: float = 0.6
    overlap_weight: float = 2.0
    proximity_weight: float = 1.5
    type_weight: float = 1.0
    head_weight: float = 0.5
    repeat_weight: float = 1.5
    length_weight: float = 0.01
    role_weight: float = 0.5
    follow_weight: float = 0.3
    predicate_weight: float = 0.5
    misfit: float = 0.2
    proper_misfit: float = 0.4
    imprecise: float = 0.7
    unasked_weight: float = 1.0
    ordinal_penalty: float = 0.6
    end_penalty: float = 0.9
    fit_penalty: float = 0.3
    misfit_penalty: float = 0.9
    alias_fit: float = 0.7
    gloss_weight: float = 1.0
    imprecise_name: float = 0.8
    heading_weight: float = 0.5
    proximity_scale: float = 20.0
    max_citations: int = 4
    rival_citations: int = 1
    clause_weight: float = 0.3
    condition_penalty: float = 0.6
    definition_weight: float = 1.0
    definition_evidence: float = 0.5
    absent_verb: float = 0.3
    counted_weight: float = 1.0
    counted_penalty: float = 0.3
    counted_scale: float = 5.0
    example_weight: float = 1.0
    example_evidence: float = 1.0


@dataclass(frozen=True)
class _Sentence:
    """A sentence of a hit, with its candidates, the context words of its titles, its 조
    and the words of that 조's title (``heading``); a list lead ("다음 각 호의 어느
    하나에 해당하는 자") has the ``items`` it introduces."""

    doc: Document
    span: SentenceSpan
    candidates: tuple[Candidate, ...]
    context: frozenset[str]
    rank: int
    article: str | None = None
    heading: frozenset[str] = frozenset()
    items: tuple[SentenceSpan, ...] = ()


@dataclass(frozen=True)
class _Scored:
    score: float
    evidence: float
    candidate: Candidate
    sentence: _Sentence


class Answerer:
    """Picks the best-supported span from the sentences of the top search hits."""

    def __init__(self, config: AnswererConfig | None = None):
        self.config = config or AnswererConfig()
        # Sentences and candidates per paragraph, keyed by document content, so a
        # paragraph is analysed by Kiwi once however many questions retrieve it.
        self._paragraphs: dict[tuple[str, str, int, int], list[tuple[SentenceSpan, tuple[Candidate, ...]]]] = {}
        self._contexts: dict[str, frozenset[str]] = {}

    @classmethod
    def with_threshold(cls, threshold: float) -> Answerer:
        """An answerer with the default weights and another abstention threshold."""
        return cls(dataclasses.replace(AnswererConfig(), threshold=threshold))

    def answer(self, question: str, hits: list[SearchHit], documents: Mapping[str, Document],
               question_id: str | None = None, hits_read: int | None = None,
               mentions: Mentions = Mentions(), threshold: float | None = None, whole: bool = True) -> Answer:
        """Answer ``question`` from ``hits`` (best first); abstain when the evidence is weak.

        The first ``hits_read`` hits are read (default ``config.hits``), always whole
        (``whole`` is there for the reader's answerer, which may read parts). ``mentions``
        are the documents the question calls by name (:mod:`rag.mentions`): sentences of
        other documents count less, and the names are no words to match. ``threshold``
        overrides ``config.threshold`` for this call (0 never abstains).
        """
        started = time.perf_counter()
        analysis = analyze_question(question)
        named = mentions.doc_ids
        sentences = self._sentences(hits[: hits_read or self.config.hits], documents)
        matches = {id(s): self._matches(analysis, s) for s in sentences}
        weights = self._weights(analysis, sentences, matches)
        unasked = self._unasked_documents(analysis, sentences, named)
        articles = self._article_overlaps(sentences, matches, weights)
        unmet = {id(s) for s in sentences if self._unmet_condition(analysis, s)}
        best: _Scored | None = None
        # The best candidate score of each sentence: the runner-up sentences are cited
        # after the answer's own, as the evidence it won against.
        rivals: dict[int, float] = {}
        for sentence in sentences:
            article = articles.get((sentence.doc.doc_id, sentence.article), 0.0)
            for candidate in sentence.candidates:
                scored = self._score(analysis, candidate, sentence, matches[id(sentence)], weights,
                                     sentence.doc.doc_id in unasked, article, id(sentence) in unmet)
                if scored is None:
                    continue
                rivals[id(sentence)] = max(rivals.get(id(sentence), scored.score), scored.score)
                if best is None or scored.score > best.score:
                    best = scored

        confidence = 0.0 if best is None else self._confidence(best)
        answered = best is not None and confidence >= (self.config.threshold if threshold is None else threshold)
        citations: list[Citation] = []
        if answered:
            citations.append(self._citation(best.sentence, best.score))
            others = [s for s in sentences if s is not best.sentence]
            runners_up = sorted((s for s in others if id(s) in rivals), key=lambda s: -rivals[id(s)])
            runners_up = runners_up[: self.config.rival_citations]
            cited = {id(s) for s in runners_up}
            support = runners_up + sorted(
                (s for s in others if id(s) not in cited and self._overlap(matches[id(s)], weights) > 0),
                key=lambda s: -self._overlap(matches[id(s)], weights),
            )
            for sentence in support[: self.config.max_citations - 1]:
                citations.append(self._citation(sentence, self._overlap(matches[id(sentence)], weights)))
        elapsed = (time.perf_counter() - started) * 1000
        result = Answer(
            id=question_id,
            question=question,
            answer=best.candidate.text if answered else None,
            answer_type=analysis.answer_type,
            abstained=not answered,
            confidence=round(confidence, 4),
            citations=citations,
            timings_ms=Timings(answer=round(elapsed, 3), total=round(elapsed, 3)),
        )
        assert result.answer is None or result.answer in result.citations[0].quote
        return result

    # -- evidence ------------------------------------------------------------------------

    def _sentences(self, hits: list[SearchHit], documents: Mapping[str, Document]) -> list[_Sentence]:
        """Sentences of the hits' paragraphs, each kept once with its best hit rank."""
        seen: dict[tuple[str, int], _Sentence] = {}
        for rank, hit in enumerate(hits):
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
                    context = self._context(doc.title)
                    heading: frozenset[str] = frozenset()
                    if section and section.title:
                        heading = self._context(section.title)
                        context = context | heading
                    lead = self._lead(doc, span.start)
                    if lead is not None:
                        # "1. 3명 이상의 발기인이 있을 것" is about what its lead says (연구소를 설립하려는 경우).
                        context = context | self._context(lead)
                    items = self._items(doc, span.end) if _LIST_LEAD.search(span.text) else ()
                    seen[key] = _Sentence(doc, span, candidates, context, rank,
                                          section.article if section else None, heading, items)
        return list(seen.values())

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
            if _LIST_LEAD.search(line):
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
        left, right = paragraph_bounds(doc.text, start, end)
        key = (doc.doc_id, doc.content_hash, left, right)
        if key not in self._paragraphs:
            if len(self._paragraphs) >= _CACHE_LIMIT:
                self._paragraphs.clear()
            self._paragraphs[key] = [
                (span, tuple(extract_candidates(span))) for span in split_sentences(doc.text, left, right)
            ]
        return self._paragraphs[key]

    def _context(self, title: str) -> frozenset[str]:
        """Content words of a document or section title (or a list lead), which frame all its sentences."""
        if title not in self._contexts:
            if len(self._contexts) >= _CACHE_LIMIT:
                self._contexts.clear()
            self._contexts[title] = frozenset(tokenize(title))
        return self._contexts[title]

    def _unasked_documents(self, analysis: QuestionAnalysis, sentences: list[_Sentence],
                           named: frozenset[str]) -> set[str]:
        """Ids of retrieved documents the question does not mean, judged by their names.

        A question that names documents (인공지능기본법, 「지능정보화 기본법」) means
        those only. Otherwise, when one title is another plus words (an act and its
        시행령), the question means the longer title only if it names one of the extra
        words, and the shorter one otherwise.
        """
        if named:
            return {s.doc.doc_id for s in sentences} - named
        titles = {s.doc.doc_id: self._context(s.doc.title) for s in sentences}
        unasked: set[str] = set()
        for broad, broad_words in titles.items():
            for narrow, narrow_words in titles.items():
                if broad_words < narrow_words:
                    named = any(word in analysis.compact for word in narrow_words - broad_words)
                    unasked.add(broad if named else narrow)
        return unasked

    def _article_overlaps(self, sentences: list[_Sentence], matches: dict[int, dict[str, tuple[float, list[int]]]],
                          weights: dict[str, float]) -> dict[tuple[str, str | None], float]:
        """The question's weighted overlap with each retrieved statute 조 as a whole.

        A 조 answers "몇 조인가" with all its 항 together: its heading alone shares
        few of the question's words.
        """
        merged: dict[tuple[str, str | None], dict[str, tuple[float, list[int]]]] = {}
        for sentence in sentences:
            if sentence.article is not None:
                found = merged.setdefault((sentence.doc.doc_id, sentence.article), {})
                for token, (strength, _) in matches[id(sentence)].items():
                    found[token] = (max(strength, found.get(token, (0.0, []))[0]), [])
        return {key: self._overlap(found, weights) for key, found in merged.items()}

    def _confidence(self, best: _Scored) -> float:
        """A logistic of the evidence for the best answer, calibrated on the dev sets.

        The evidence is how much of the question the answer's sentence shares, and
        how close those words sit to the answer.
        """
        c = self.config
        return 1 / (1 + math.exp(-c.steepness * (best.evidence - c.midpoint)))

    # -- scoring -------------------------------------------------------------------------

    @classmethod
    def _matches(cls, analysis: QuestionAnalysis, sentence: _Sentence) -> dict[str, tuple[float, list[int]]]:
        """Question words in the sentence (see :meth:`_span_matches`); a list lead also
        has the words of its best-matching item, which hold its conditions."""
        found = cls._span_matches(analysis, sentence.span, sentence.context)
        if sentence.items:
            best = max((cls._span_matches(analysis, item, sentence.context) for item in sentence.items),
                       key=lambda item: sum(strength for strength, _ in item.values()))
            for token, (strength, _) in best.items():
                if strength > found.get(token, (0.0, []))[0]:
                    found[token] = (strength, found.get(token, (0.0, []))[1])
        return found

    @classmethod
    def _unmet_condition(cls, analysis: QuestionAnalysis, sentence: _Sentence) -> bool:
        """Whether a list lead's items name none of the question's words the lead lacks.

        "영향평가를 하지 않은 사업자의 과태료" is not answered by "다음 각 호의 어느 하나에
        해당하는 자에게는 3천만원 이하의 과태료" when no item is about 영향평가.
        """
        if not sentence.items or not _CONDITION_LEAD.search(sentence.span.text):
            return False
        own = cls._span_matches(analysis, sentence.span, sentence.context)
        wanted = {t for t in analysis.content_tokens if own.get(t, (0.0, []))[0] < 0.7}
        return bool(wanted) and not any(
            cls._span_matches(analysis, item, frozenset()).get(t, (0.0, []))[0] >= 0.7
            for item in sentence.items for t in wanted)

    @staticmethod
    def _span_matches(analysis: QuestionAnalysis, span: SentenceSpan,
                      context: frozenset[str]) -> dict[str, tuple[float, list[int]]]:
        """For each question word found in the sentence: match strength and positions.

        An exact morpheme match (or an equivalent spelling, AI for 인공지능) counts 1; the
        formal word for a plain one (설립 for 세우다, :mod:`rag.paraphrases`) 0.8; a
        compound containing the word, or most of the word (위원회 / 국가인공지능전략위원회,
        but not 위원 / 부위원장), a word it abbreviates (대한상의 / 대한상공회의소), or a name
        its surname stands for (오 / 오세훈), 0.7; a word only in the document's or the statute
        section's title 0.5 (it frames every sentence under it).
        """
        found: dict[str, tuple[float, list[int]]] = {}
        forms = [(m.form.lower(), m.start) for m in span.morphemes if m.tag in CONTENT_TAGS]
        for token in set(analysis.content_tokens):
            same = EQUIVALENT_FORMS.get(token, frozenset()) | {token}
            exact = [start for form, start in forms if form in same]
            if exact:
                found[token] = (1.0, exact)
                continue
            formal = formal_forms(token)
            paraphrased = [start for form, start in forms if any(f in form for f in formal)]
            if paraphrased:
                found[token] = (_PARAPHRASE, paraphrased)
                continue
            partial = [
                start for form, start in forms
                if len(form) >= 2 and (token in form or (form in token and 3 * len(form) >= 2 * len(token)))
            ] if len(token) >= 2 else []
            if not partial and len(token) == 1 and token in SURNAMES:
                # "오 시장" is 오세훈 시장: the press names a person by surname and title.
                partial = [m.start for m in span.morphemes
                           if m.tag == "NNP" and 2 <= len(m.form) <= 4 and m.form.startswith(token)]
            if not partial and len(token) >= _ABBREVIATION_MIN and _is_hangul(token):
                partial = [span.start + m.start() for m in _WORD.finditer(span.text)
                           if _abbreviates(token, m.group())]
            if partial:
                found[token] = (0.7, partial)
            elif token in context:
                found[token] = (0.5, [])
        return found

    def _weights(self, analysis: QuestionAnalysis, sentences: list[_Sentence],
                 matches: dict[int, dict[str, tuple[float, list[int]]]]) -> dict[str, float]:
        """An inverse sentence frequency per question word, over the retrieved sentences.

        A word found in most retrieved sentences (the law's name, 인공지능) tells them
        apart less than a rare one; a word found nowhere weighs most, so a question
        about something the documents never mention gets weak evidence.
        """
        total = len(sentences)
        weights = {}
        for token in set(analysis.content_tokens):
            found = sum(token in matches[id(s)] for s in sentences)
            weights[token] = math.log(1 + (total + 1) / (1 + found))
            if not found and token in analysis.verbs:
                weights[token] *= self.config.absent_verb
        return weights

    @staticmethod
    def _overlap(matches: dict[str, tuple[float, list[int]]], weights: dict[str, float]) -> float:
        """The weighted share of the question's words that the sentence contains."""
        total = sum(weights.values())
        return sum(weights[t] * strength for t, (strength, _) in matches.items()) / total if total else 0.0

    def _type_fit(self, analysis: QuestionAnalysis, candidate: Candidate) -> float | None:
        """1 for the expected type, less for a compatible one, ``None`` for a misfit.

        Named or quoted spans (typed ``title``) beat plain noun phrases for ``other``,
        and a person's name beats a bare title (이사장) for ``person``. A count must
        carry the question's counter (몇 명 → …명). Any noun phrase may still name a
        person, place or thing the type rules do not recognise (노아, 하나님), with
        little credit; a misfit for a number, date or amount is never an answer. A
        date or reference finer or coarser than the part the question names (a full
        date for "설립 연도", 제33조제1항 for "몇 조") fits less than the part alone.
        """
        expected = analysis.answer_type
        if analysis.units and not any(unit in candidate.text for unit in analysis.units):
            return None
        if expected in ("other", "title"):
            if QUOTED in candidate.types or (expected == "other" and "title" in candidate.types):
                return 1.0
            if expected == "title":
                # A name asked for is quoted or a proper noun, rarely a common noun.
                return 0.8 if "title" in candidate.types else 0.5
            return 0.7 if "other" in candidate.types else 0.5
        if expected == "person" and "person" in candidate.types:
            if NAME not in candidate.types:
                return 0.8
            # The name alone answers "누구"; its title after it is extra (최진호 국장).
            return self.config.imprecise_name if is_titled(candidate.text) else 1.0
        if analysis.precision == "act":
            # Only an act's own number (제20000호) answers "법률 번호", never a 조.
            return 1.0 if expected in candidate.types and _precision(candidate) == "act" else None
        if analysis.precision and expected in candidate.types:
            return 1.0 if _precision(candidate) == analysis.precision else self.config.imprecise
        if expected in candidate.types:
            return 1.0
        if _COMPATIBLE[expected] & candidate.types:
            return 0.5
        # A statute reference (제12조) never names a person, place or organisation.
        if expected in _NAMED and "other" in candidate.types and "law_reference" not in candidate.types:
            # A proper noun the rules cannot type (올라프 숄츠) is likelier a name than a common noun.
            return self.config.proper_misfit if "title" in candidate.types else self.config.misfit
        return None

    def _score(self, analysis: QuestionAnalysis, candidate: Candidate, sentence: _Sentence,
               matches: dict[str, tuple[float, list[int]]], weights: dict[str, float],
               unasked: bool = False, article_overlap: float = 0.0, unmet: bool = False) -> _Scored | None:
        """The candidate's score and its sentence's evidence, or ``None`` for a misfit.

        ``unasked`` marks a document the question does not mean; ``article_overlap``
        is the overlap of the sentence's whole 조, which stands in for the sentence's
        own when the candidate is that 조's reference.
        """
        fit = self._type_fit(analysis, candidate)
        if fit is None:
            return None
        repeat = self._repeat(analysis, candidate)
        if repeat >= 1.0:
            return None
        c = self.config
        # The span is of no recognised kind for the name asked for (어느 도시 → 정책).
        misfit = fit <= c.misfit
        if ALIAS in candidate.types and not analysis.alias:
            # The name an alias or gloss stands for answers better than the alias.
            fit *= c.alias_fit
        # "AICA의 한글 명칭은" asks for the name that AICA glosses.
        glossed = analysis.focus in NAMING_NOUNS and candidate.gloss is not None \
            and candidate.gloss.lower() in analysis.compact
        proximity = 0.0
        start, end = candidate.extent or (candidate.start, candidate.end)
        for token, (strength, positions) in matches.items():
            outside = [p for p in positions if not start <= p < end]
            if outside:
                distance = min(max(start - p, p - end, 0) for p in outside)
                proximity += weights[token] * strength * math.exp(-distance / c.proximity_scale)
        total = sum(weights.values())
        proximity = proximity / total if total else 0.0
        overlap = self._overlap(matches, weights)
        titled = 0.0
        if analysis.answer_type == "law_reference" and candidate.text == sentence.article \
                and not self._names_another_law(analysis, sentence):
            overlap = max(overlap, article_overlap)
            # 제43조(과태료) is about 과태료 as a whole; 제6조(과태료에 관한 경과조치) only in part.
            if sentence.heading:
                titled = len(sentence.heading & set(analysis.content_tokens)) / len(sentence.heading)
        head = analysis.head
        category = self._category(analysis, candidate, sentence)
        # "A, B 등 주요 연구기관": the phrase after 등 names the class, the items before it its members.
        headed = bool(head) and not self._names_a_class(candidate, sentence) and (
            (candidate.text.endswith(head) and len(candidate.text) > len(head))
            or (NAME in candidate.types and self._titled(candidate, sentence, head))
            or (category is not None and head in self._text(sentence, *category)))
        exemplified = 0.0 if category is None else self._share_within(matches, weights, *category)
        # "‘…’을 주제로" answers "어떤 주제로": the span sits right before the asked noun.
        followed = bool(head) and candidate.next_noun is not None and (
            candidate.next_noun.endswith(head) or head.endswith(candidate.next_noun))
        role = analysis.role is not None and candidate.role == analysis.role
        counted = self._counted_near(analysis, candidate, matches)
        defined = self._defines_asked(analysis, candidate)
        score = (
            c.rank_weight / (1 + sentence.rank)
            + c.overlap_weight * overlap
            + c.proximity_weight * proximity
            + c.type_weight * fit
            + c.head_weight * headed
            + c.follow_weight * followed
            + c.role_weight * role
            + c.predicate_weight * self._predicate_near(analysis, candidate, sentence)
            - c.repeat_weight * (repeat if repeat > 0.5 else 0.0)
            - c.unasked_weight * unasked
            + c.heading_weight * titled
            + c.clause_weight * self._clause_overlap(candidate, sentence, matches, weights)
            + c.counted_weight * (counted or 0.0)
            + c.definition_weight * defined
            + c.gloss_weight * glossed
            + c.example_weight * exemplified
            # Among numeric spans the longer one keeps its bound (60명 이내, 3년마다).
            + c.length_weight * min(len(candidate.text), 20) * any(ch.isdigit() for ch in candidate.text)
        )
        # A span of the wrong kind in a well-matching sentence is weak evidence too, a
        # misfit weaker still.
        evidence = (overlap + 0.5 * proximity - c.fit_penalty * (1 - fit) - c.misfit_penalty * misfit
                    - (c.end_penalty if analysis.ordinal == "end" else c.ordinal_penalty)
                    * self._lacks_ordinal(analysis, sentence)
                    - c.counted_penalty * (counted is None)
                    - c.condition_penalty * unmet
                    + c.definition_evidence * (defined > 0)
                    + c.example_evidence * exemplified * analysis.asks_examples)
        return _Scored(score, evidence, candidate, sentence)

    @staticmethod
    def _defines_asked(analysis: QuestionAnalysis, candidate: Candidate) -> float:
        """For a question about a definition, how well the candidate is the asked one.

        "X는 어떻게 정의되나" is answered by the body of X's definition, the longest term
        the question names winning (고영향 인공지능 over 인공지능); "…를 무엇이라
        부르나" by a defined term, whose definition the question paraphrases.
        """
        if analysis.asks_term:
            return 1.0 if TERM in candidate.types else 0.0
        if analysis.asks_definition and DEFINITION in candidate.types and candidate.term:
            term = compact_name(candidate.term)
            if term and term in compact_name(analysis.text):
                return 1.0 + len(term) / 100
        return 0.0

    def _counted_near(self, analysis: QuestionAnalysis, candidate: Candidate,
                      matches: dict[str, tuple[float, list[int]]]) -> float:
        """How closely the thing a count asks about sits to the candidate (3명 이내의
        부위원장), 0.0 when the question counts nothing in particular, ``None`` when the
        sentence never names it: 300여명 of 전문가 do not answer "임직원 수"."""
        if analysis.counted is None:
            return 0.0
        strength, positions = matches.get(analysis.counted, (0.0, []))
        outside = [p for p in positions if not candidate.start <= p < candidate.end]
        if not outside:
            return None
        distance = min(max(candidate.start - p, p - candidate.end, 0) for p in outside)
        return strength * math.exp(-distance / self.config.counted_scale)

    @staticmethod
    def _clause_overlap(candidate: Candidate, sentence: _Sentence, matches: dict[str, tuple[float, list[int]]],
                        weights: dict[str, float]) -> float:
        """The weighted share of the question's words in the candidate's own clause.

        Coordinated clauses share one verb ("A가 ‘X’를, B가 ‘Y’를 발표했다"); the
        question's words about A are in X's clause, between the commas around it.
        """
        text, offset = sentence.span.text, sentence.span.start
        left = text.rfind(", ", 0, candidate.start - offset)
        right = text.find(", ", candidate.end - offset)
        left = offset + (0 if left < 0 else left)
        right = offset + (len(text) if right < 0 else right)
        total = sum(weights.values())
        inside = sum(
            weights[token] * strength for token, (strength, positions) in matches.items()
            if any(left <= p < right and not candidate.start <= p < candidate.end for p in positions)
        )
        return inside / total if total else 0.0

    @staticmethod
    def _text(sentence: _Sentence, start: int, end: int) -> str:
        return sentence.span.text[start - sentence.span.start:end - sentence.span.start]

    @staticmethod
    def _share_within(matches: dict[str, tuple[float, list[int]]], weights: dict[str, float],
                      start: int, end: int) -> float:
        """The weighted share of the question's words found between ``start`` and ``end``."""
        total = sum(weights.values())
        inside = sum(weights[t] * strength for t, (strength, positions) in matches.items()
                     if any(start <= p < end for p in positions))
        return inside / total if total else 0.0

    @staticmethod
    def _names_a_class(candidate: Candidate, sentence: _Sentence) -> bool:
        """Whether the candidate follows 등, naming the class of the examples before it."""
        return sentence.span.text[:candidate.start - sentence.span.start].endswith("등 ")

    @staticmethod
    def _category(analysis: QuestionAnalysis, candidate: Candidate, sentence: _Sentence) -> tuple[int, int] | None:
        """Offsets of the words after 등 when the candidate is an example listed before it.

        "얼굴ㆍ지문ㆍ홍채 및 손바닥 정맥 등 … 신체적 특징": the list as a whole answers a
        question asking for the examples (예로 든, 예시한), each item a question asking
        for one member of the class (독일의 연구기관 → 독일인공지능연구소).
        """
        if not analysis.asks_examples and _COORDINATED.search(candidate.text):
            return None
        rest = sentence.span.text[candidate.end - sentence.span.start:]
        pattern = _LAST_EXAMPLE if analysis.asks_examples else _LISTED_EXAMPLE
        match = pattern.match(rest)
        if match is None:
            return None
        start = candidate.end + match.end()
        return start, min(sentence.span.end, start + _CATEGORY_REACH)

    @staticmethod
    def _lacks_ordinal(analysis: QuestionAnalysis, sentence: _Sentence) -> bool:
        """Whether the question asks for the first or last of something and the sentence
        has no word saying so: "초대 이사장" is not answered by the current one."""
        if analysis.ordinal is None:
            return False
        return not any(word in sentence.span.text for word in ORDINAL_FAMILIES[analysis.ordinal])

    @staticmethod
    def _names_another_law(analysis: QuestionAnalysis, sentence: _Sentence) -> bool:
        """Whether the question names a law other than the sentence's document (「형법」 조항).

        Such a question asks for a provision the sentence refers to, not for the
        sentence's own 조.
        """
        return any(len(t) >= 2 and t.endswith("법") and t not in sentence.context for t in analysis.content_tokens)

    @staticmethod
    def _titled(candidate: Candidate, sentence: _Sentence, head: str) -> bool:
        """Whether the asked title follows a name as its apposition (김숙희 서울시 디지털정책과장).

        Of several names in a sentence, the one whose own title is the asked one
        ("…정책과장은 누구인가") is the answer.
        """
        following = sentence.span.text[candidate.end - sentence.span.start:].split()[:_APPOSITION_WORDS]
        return any(head in word for word in following)

    def _predicate_near(self, analysis: QuestionAnalysis, candidate: Candidate, sentence: _Sentence) -> float:
        """How closely the question's predicate follows the candidate (Korean is verb-final).

        "몇 년에 설립되었나" is answered by the date right before 설립; a date before
        another verb of the same sentence answers a different question. Coordinated
        clauses share the verb ("A가 ‘X’를, B가 ‘Y’를 발표했다"): a candidate is as near
        to it as the end of its own clause.
        """
        if analysis.predicate is None:
            return 0.0
        text, offset = sentence.span.text, sentence.span.start
        distances = []
        for m in sentence.span.morphemes_from(candidate.end):
            if m.form == analysis.predicate:
                clause_end = text.find(", ", candidate.end - offset, m.start - offset)
                distances.append((m.start if clause_end < 0 else offset + clause_end) - candidate.end)
        return math.exp(-min(distances) / self.config.proximity_scale) if distances else 0.0

    @staticmethod
    def _repeat(analysis: QuestionAnalysis, candidate: Candidate) -> float:
        """The share of the candidate's words that the question already contains."""
        words = [w.strip(_WORD_EDGES) for w in candidate.text.split()]
        words = [w for w in words if w]
        if not words:
            return 1.0
        return sum(1 for w in words if w.lower() in analysis.compact) / len(words)

    @staticmethod
    def _citation(sentence: _Sentence, score: float) -> Citation:
        span, doc = sentence.span, sentence.doc
        quote = doc.text[span.start:span.end]
        assert quote == span.text, "a citation must quote the document text exactly"
        section = doc.section_at(span.start)
        return Citation(
            doc_id=doc.doc_id,
            title=doc.title,
            start=span.start,
            end=span.end,
            quote=quote,
            section=section.label if section else None,
            score=round(score, 4),
        )
