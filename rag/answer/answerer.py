"""Extractive answers with sentence-level citations, or an explicit abstention.

No generative model: the answer is always a span copied from a retrieved document. The
answerer runs its stages in order, data flowing one way:

1. :mod:`rag.answer.question` — what the question asks (answer type, content words);
2. :mod:`rag.answer.evidence` — the sentences of the top hits, with their typed
   candidates (:mod:`rag.answer.candidates`), section heading, list lead and items;
3. :mod:`rag.answer.matching` — where the question's words are in each sentence;
4. :mod:`rag.answer.features` — a named feature vector per candidate;
5. :mod:`rag.answer.ranker` — a linear score per candidate; the best one's evidence
   becomes the confidence, under which the answerer abstains instead of guessing;
6. :mod:`rag.answer.assemble` — the :class:`~rag.answer.models.Answer` and its citations.

Questions and documents are only ever matched as text, so instructions inside them
("이전 지시를 무시하고…") have no effect.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Iterator, Mapping

import numpy as np

from rag.answer.analysis import AnalysisStore
from rag.answer.assemble import Ranked, assemble, assemble_passage, citations, passage_citations
from rag.answer.candidates import Candidate
from rag.answer.definitions import defining_documents, read_question
from rag.answer.evidence import Evidence, Sentence
from rag.answer.features import Features, FeatureShape, candidate_features
from rag.answer.kinds import PASSAGE_KINDS
from rag.answer.matching import Matching
from rag.answer.models import Answer
from rag.answer.passage_features import PassageFeatures, definition_names, heading_articles, passage_features
from rag.answer.passage_ranker import PassageRanker, PassageWeights, default_passage_weights
from rag.answer.passages import Passage, passages, with_its_article
from rag.answer.question import QuestionAnalysis
from rag.answer.ranker import Ranker, Weights, default_weights
from rag.answer.terms import named_terms
from rag.documents import Chunk, Document
from rag.mentions import Mentions
from rag.retrieval import SearchHit


#: How many of the retrieved documents have their heading articles read (제2조(정의) …).
_HEADING_DOCUMENTS = 3


@dataclass(frozen=True)
class AnswererConfig:
    """How much the answerer reads and cites, its weights, and the abstention threshold.

    ``hits`` retrieved chunks are read. ``threshold`` applies to the confidence
    (:meth:`rag.answer.ranker.Ranker.confidence`); unset, it is the weights' own (the level
    their confidence was calibrated for). ``weights`` are the ranker's linear weights
    (``rag/answer/weights.json`` unless given), ``shape`` the features' non-linear
    constants; ``passage_weights`` those of the passage ranker, which answers the questions
    asking for a passage (:mod:`rag.answer.kinds`) with its own threshold. An answer cites
    ``max_citations`` sentences at most: its own, then the
    ``rival_citations`` sentences whose best candidates came next (the evidence it won
    against, for a reader to judge), then those that share most of the question's words.
    """

    hits: int = 5
    threshold: float | None = None
    max_citations: int = 4
    rival_citations: int = 1
    shape: FeatureShape = FeatureShape()
    weights: Weights = field(default_factory=default_weights)
    passage_weights: PassageWeights = field(default_factory=default_passage_weights)

    def __post_init__(self) -> None:
        if self.threshold is None:
            object.__setattr__(self, "threshold", self.weights.threshold)


class Answerer:
    """Picks the best-supported span from the sentences of the top search hits.

    ``analyses`` are the index's stored paragraph analyses (:mod:`rag.answer.analysis`),
    which spare an uncached question most of its work; answers are the same without them.
    """

    def __init__(self, config: AnswererConfig | None = None, analyses: AnalysisStore | None = None):
        self.config = config or AnswererConfig()
        self.analyses = analyses
        self.ranker = Ranker(self.config.weights)
        self.passage_ranker = PassageRanker(self.config.passage_weights)
        self._evidence = Evidence(analyses)

    @classmethod
    def with_threshold(cls, threshold: float) -> Answerer:
        """An answerer with the default weights and another abstention threshold."""
        return cls(dataclasses.replace(AnswererConfig(), threshold=threshold))

    def answer(self, question: str, hits: list[SearchHit], documents: Mapping[str, Document],
               question_id: str | None = None, hits_read: int | None = None,
               mentions: Mentions = Mentions(), threshold: float | None = None, whole: bool = True,
               analysis: QuestionAnalysis | None = None) -> Answer:
        """Answer ``question`` from ``hits`` (best first); abstain when the evidence is weak.

        The first ``hits_read`` hits are read (default ``config.hits``), always whole
        (``whole`` is there for the reader's answerer, which may read parts). ``mentions``
        are the documents the question calls by name (:mod:`rag.mentions`): sentences of
        other documents count less, and the names are no words to match. ``threshold``
        overrides ``config.threshold`` (or the passage ranker's) for this call (0 never abstains).
        ``analysis`` is the question's as :func:`rag.answer.definitions.read_question` reads it
        over ``documents`` and ``mentions``, when the caller has it already.
        """
        started = time.perf_counter()
        analysis, sentences, matching = self._read(question, hits, documents, hits_read, mentions, analysis)
        if analysis.answer_kind in PASSAGE_KINDS:
            return self._answer_passage(analysis, sentences, matching, question_id, threshold, started)
        best, rivals = self._rank(analysis, sentences, matching)
        decision = self.ranker.decide(None if best is None else best.features,
                                      self.config.threshold if threshold is None else threshold)
        cited = citations(best, sentences, rivals, matching, self.config.max_citations,
                          self.config.rival_citations) if decision.answered and best is not None else []
        elapsed = (time.perf_counter() - started) * 1000
        return assemble(question, question_id, analysis.answer_type, best, decision, cited, elapsed)

    def candidates(self, question: str, hits: list[SearchHit], documents: Mapping[str, Document],
                   mentions: Mentions = Mentions(), hits_read: int | None = None) -> list[tuple[Candidate, Features]]:
        """Every candidate :meth:`answer` would score for ``question``, with its feature
        vector, in the order it scores them (the first of equal scores wins): what a
        learner of the ranker's weights (:mod:`rag.answer.learn`) is trained on."""
        analysis, sentences, matching = self._read(question, hits, documents, hits_read, mentions)
        return [(candidate, features) for candidate, _, features in self._scored(analysis, sentences, matching)]

    def passages(self, question: str, hits: list[SearchHit], documents: Mapping[str, Document],
                 mentions: Mentions = Mentions(), hits_read: int | None = None,
                 ) -> tuple[QuestionAnalysis, list[tuple[Passage, PassageFeatures]]]:
        """The question's analysis and every passage :meth:`answer` would weigh if it asked for
        one, with its features: what ``rag train passages`` learns from."""
        analysis, sentences, matching = self._read(question, hits, documents, hits_read, mentions)
        return analysis, list(self._weighed(analysis, sentences, matching))

    @staticmethod
    def _weighed(analysis: QuestionAnalysis, sentences: list[Sentence],
                 matching: Matching) -> Iterator[tuple[Passage, PassageFeatures]]:
        """Each passage of the evidence with its features, in evidence order."""
        for passage in passages(sentences):
            yield passage, passage_features(analysis, passage, matching)

    def _answer_passage(self, analysis: QuestionAnalysis, sentences: list[Sentence], matching: Matching,
                        question_id: str | None, threshold: float | None, started: float) -> Answer:
        """The best-scoring passage (the first of equals) as the answer, unless its confidence
        is under the threshold."""
        weighed = list(self._weighed(analysis, sentences, matching))
        scores = self.passage_ranker.scores([f for _, f in weighed], analysis.answer_kind)
        best = int(np.argmax(scores)) if len(scores) else None  # argmax: the first of equal scores
        probability = 0.0 if best is None else self.passage_ranker.confidence(float(scores[best]))
        limit = self.passage_ranker.weights.threshold if threshold is None else threshold
        answer = with_its_article(weighed[best][0]) if best is not None and probability >= limit else None
        cited = [] if answer is None else passage_citations(answer, probability, sentences, matching,
                                                            self.config.max_citations)
        elapsed = (time.perf_counter() - started) * 1000
        return assemble_passage(analysis, question_id, answer, probability, cited, elapsed)

    def _read(self, question: str, hits: list[SearchHit], documents: Mapping[str, Document],
              hits_read: int | None, mentions: Mentions, analysis: QuestionAnalysis | None = None,
              ) -> tuple[QuestionAnalysis, list[Sentence], Matching]:
        """The first stages: the question's analysis (unless given), the evidence sentences and
        where its words are."""
        analysis = analysis or read_question(question, documents, mentions)
        hits = hits[: hits_read or self.config.hits]
        extra = self._heading_hits(analysis, hits, documents, mentions.doc_ids)
        sentences = self._evidence.sentences(hits + [hit for hit, _ in extra], documents,
                                             list(range(len(hits))) + [rank for _, rank in extra])
        matching = Matching.build(analysis, sentences, mentions.doc_ids, self._evidence.context,
                                  self.config.shape.absent_verb)
        return analysis, sentences, matching

    @staticmethod
    def _heading_hits(analysis: QuestionAnalysis, hits: list[SearchHit], documents: Mapping[str, Document],
                      named: frozenset[str]) -> list[tuple[SearchHit, int]]:
        """The articles where statutes say what the question asks (제2조(정의) for a
        definition) of the documents it names and the first ones among ``hits``, and for a
        definition the articles defining the very term it names
        (:mod:`rag.answer.definitions`), as hits ranked as their document's best hit (the
        named ones first, the others after every hit)."""
        if analysis.answer_kind not in PASSAGE_KINDS:
            return []
        first_rank: dict[str, int] = {doc_id: 0 for doc_id in sorted(named) if doc_id in documents}
        for rank, hit in enumerate(hits):
            first_rank.setdefault(hit.chunk.doc_id, rank)
        read = list(first_rank)[:_HEADING_DOCUMENTS]
        spans = [(doc_id, span) for doc_id in read for span in heading_articles(analysis.answer_kind, documents[doc_id])]
        if analysis.answer_kind == "definition":
            terms = named_terms(analysis.text, analysis.noun_phrases, definition_names())
            spans += defining_documents(terms, documents, first=read)[:_HEADING_DOCUMENTS]
        extra = []
        for doc_id, (start, end) in dict.fromkeys(spans):
            doc = documents[doc_id]
            extra.append((SearchHit(chunk=Chunk(doc_id, start, end, doc.text[start:end]), title=doc.title,
                                    score=0.0, dense_score=None, bm25_score=None), first_rank.get(doc_id, len(hits))))
        return extra

    def _scored(self, analysis: QuestionAnalysis, sentences: list[Sentence],
                matching: Matching) -> Iterator[tuple[Candidate, Sentence, Features]]:
        """Each candidate that can answer, with its sentence and features, in evidence order."""
        for sentence in sentences:
            for candidate in sentence.candidates:
                features = candidate_features(analysis, candidate, sentence, matching, self.config.shape)
                if features is not None:
                    yield candidate, sentence, features

    def _rank(self, analysis: QuestionAnalysis, sentences: list[Sentence],
              matching: Matching) -> tuple[Ranked | None, dict[int, float]]:
        """The best-scoring candidate (the first of equals) and each sentence's best score
        by ``id(sentence)``: the runner-up sentences are cited after the answer's own."""
        best: Ranked | None = None
        rivals: dict[int, float] = {}
        for candidate, sentence, features in self._scored(analysis, sentences, matching):
            score = self.ranker.score(features)
            rivals[id(sentence)] = max(rivals.get(id(sentence), score), score)
            if best is None or score > best.score:
                best = Ranked(score, features, candidate, sentence)
        return best, rivals
