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

from rag.answer.assemble import Ranked, assemble, citations
from rag.answer.candidates import Candidate
from rag.answer.evidence import Evidence, Sentence
from rag.answer.features import Features, FeatureShape, candidate_features
from rag.answer.matching import Matching
from rag.answer.models import Answer
from rag.answer.question import QuestionAnalysis, analyze_question
from rag.answer.ranker import Ranker, Weights, default_weights
from rag.documents import Document
from rag.mentions import Mentions
from rag.retrieval import SearchHit


@dataclass(frozen=True)
class AnswererConfig:
    """How much the answerer reads and cites, its weights, and the abstention threshold.

    ``hits`` retrieved chunks are read. ``threshold`` applies to the confidence
    (:meth:`rag.answer.ranker.Ranker.confidence`), calibrated on the dev sets (answerable
    against unanswerable questions). ``weights`` are the ranker's linear weights
    (``rag/answer/weights.json`` unless given), ``shape`` the features' non-linear
    constants. An answer cites ``max_citations`` sentences at most: its own, then the
    ``rival_citations`` sentences whose best candidates came next (the evidence it won
    against, for a reader to judge), then those that share most of the question's words.
    """

    hits: int = 5
    threshold: float = 0.5
    max_citations: int = 4
    rival_citations: int = 1
    shape: FeatureShape = FeatureShape()
    weights: Weights = field(default_factory=default_weights)


class Answerer:
    """Picks the best-supported span from the sentences of the top search hits."""

    def __init__(self, config: AnswererConfig | None = None):
        self.config = config or AnswererConfig()
        self.ranker = Ranker(self.config.weights)
        self._evidence = Evidence()

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
        analysis, sentences, matching = self._read(question, hits, documents, hits_read, mentions)
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

    def _read(self, question: str, hits: list[SearchHit], documents: Mapping[str, Document],
              hits_read: int | None, mentions: Mentions) -> tuple[QuestionAnalysis, list[Sentence], Matching]:
        """The first stages: the question's analysis, the evidence sentences and where its words are."""
        analysis = analyze_question(question)
        sentences = self._evidence.sentences(hits[: hits_read or self.config.hits], documents)
        matching = Matching.build(analysis, sentences, mentions.doc_ids, self._evidence.context,
                                  self.config.shape.absent_verb)
        return analysis, sentences, matching

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
