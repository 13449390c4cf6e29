"""Answers from the neural reader and the rule answerer together, chosen by learned weights.

For a question and its retrieved hits: the rule answerer (:mod:`rag.answer`) proposes
its best typed candidate, the reader (:mod:`rag.reader.infer`) reads the windows of the
hits that share most of the question's word pieces and proposes its best span, and the
learned :class:`~rag.reader.chooser.Chooser` gives each proposal the probability that it
is an exact answer and the probability that it is mostly right. The likelier exact one is
the answer when its probability of being mostly right (its confidence) clears the
threshold learned with the chooser; the answer is still an exact span of a document,
cited by the sentence that holds it.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from rag.answer.answerer import Answerer
from rag.answer.definitions import read_question
from rag.answer.kinds import PASSAGE_KINDS
from rag.answer.models import Answer, Citation, Timings
from rag.answer.question import QuestionAnalysis
from rag.answer.ranker import logit
from rag.documents import Document
from rag.mentions import Mentions
from rag.reader.chooser import Chooser, Proposal, features
from rag.reader.infer import Passage, Reader, Span, best_spans
from rag.reader.model import CHOOSER_FILE, DELTA_FILE, META_FILE, WEIGHTS_DIR, ensure_reader
from rag.retrieval import SearchHit

#: A sentence ends at one of these before white space; statute lines end at the line break.
_SENTENCE_END = re.compile(r"[.?!。](?=\s)")


@dataclass(frozen=True)
class ReaderAnswerConfig:
    """How much the reader reads per question, and the abstention threshold.

    ``windows`` windows of ``window_tokens`` word pieces (overlapping by half) are read,
    chosen among all windows of the first ``hits`` hits by the question pieces they share;
    fewer, shorter windows answer faster (onnxruntime's time grows with the tokens read).
    The likeliest window is read first, and the others only when the answer chosen from it
    (and the rules' answer) has a confidence under ``stop_confidence``; at 1 or more every
    window is read at once. Nothing is read when the chooser's gate gives the rule answer a
    probability of being exact of at least ``rules_alone`` (``None``: the level learned with
    the gate; above 1: always read).
    """

    hits: int = 5
    windows: int = 3
    window_tokens: int = 128
    stop_confidence: float = 0.5  # see rag.settings.Settings.reader_stop_confidence
    threshold: float | None = None  # None: the chooser's learned threshold
    rules_alone: float | None = None  # None: the chooser's learned level
    reader_spans: int = 5


@dataclass(frozen=True)
class Choice:
    """What the chooser saw and picked for one question (for evaluation and training): each
    proposal with its features and its probability of being exact; the most probable one and
    its probability of being mostly right."""

    proposals: list[tuple[Proposal, list[float], float]]
    best: Proposal | None
    confidence: float
    read_ms: float = 0.0
    #: When the reader read its windows in two steps: the choice after the first one alone.
    first: Choice | None = None


def reader_installed(weights_dir: Path = WEIGHTS_DIR) -> bool:
    """Whether trained reader weights and chooser weights are both there."""
    return all((weights_dir / name).is_file() for name in (DELTA_FILE, META_FILE, CHOOSER_FILE))


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence of ``text`` holding ``[start, end)``: within its line, from the end of
    the sentence before to the end of its own, without surrounding white space."""
    left = text.rfind("\n", 0, start) + 1
    right = text.find("\n", end)
    right = len(text) if right < 0 else right
    for match in _SENTENCE_END.finditer(text, left, start):
        left = match.end()
    found = _SENTENCE_END.search(text, end, right)
    right = found.end() if found else right
    while left < start and text[left].isspace():
        left += 1
    while right > end and text[right - 1].isspace():
        right -= 1
    return left, right


def cite(doc: Document, start: int, end: int, score: float) -> Citation:
    """The sentence of ``doc`` holding ``[start, end)`` as a citation."""
    s, e = sentence_bounds(doc.text, start, end)
    section = doc.section_at(s)
    return Citation(doc_id=doc.doc_id, title=doc.title, start=s, end=e, quote=doc.text[s:e],
                    section=section.label if section else None, score=round(score, 4))


class ReaderAnswerer:
    """Rule answerer + neural reader + learned chooser; same inputs and output as :class:`Answerer`."""

    def __init__(self, rules: Answerer, reader: Reader, chooser: Chooser, config: ReaderAnswerConfig):
        # Every rule answer is a proposal; the paragraph analyses are the index's, as before.
        self.rules = Answerer(dataclasses.replace(rules.config, threshold=0.0), rules.analyses)
        self.reader = reader
        self.chooser = chooser
        # Without a threshold of its own, the answerer abstains where the chooser learned to,
        # and answers unread where it learned the rules alone do as well.
        if config.threshold is None:
            config = dataclasses.replace(config, threshold=chooser.threshold)
        if config.rules_alone is None:
            config = dataclasses.replace(config, rules_alone=chooser.rules_alone)
        self.config = config

    @classmethod
    def load(cls, rules: Answerer, config: ReaderAnswerConfig, weights_dir: Path = WEIGHTS_DIR,
             threads: int | None = None) -> ReaderAnswerer:
        """The installed reader (assembled into the user cache on first use) on ``threads``
        threads (default every available CPU), and its chooser."""
        if not reader_installed(weights_dir):
            raise ValueError(f"no trained reader in {weights_dir}: train it (`rag train reader`, `rag train chooser`) "
                             "or set RAG_READER=rules")
        return cls(rules, Reader.shared(ensure_reader(weights_dir), threads), Chooser.load(weights_dir / CHOOSER_FILE), config)

    def passages(self, hits: list[SearchHit], documents: Mapping[str, Document]) -> tuple[list[Passage], list[str], list[int]]:
        """The hits as reader passages, with their documents' ids and their ranks."""
        passages, doc_ids, ranks = [], [], []
        for rank, hit in enumerate(hits):
            doc = documents.get(hit.chunk.doc_id)
            if doc is not None:
                passages.append(Passage(doc.text, hit.chunk.start, hit.chunk.end))
                doc_ids.append(doc.doc_id)
                ranks.append(rank)
        return passages, doc_ids, ranks

    def choose(self, question: str, hits: list[SearchHit], documents: Mapping[str, Document],
               mentions: Mentions = Mentions(), whole: bool = False,
               analysis: QuestionAnalysis | None = None, both_steps: bool = False,
               rule: Answer | None = None) -> tuple[Choice, Answer]:
        """Both proposals with their features and probabilities, the chosen one, and the
        rule answer. ``whole`` reads every window of the hits at the trained length (a
        reader-only evaluation on a given paragraph) instead of the best few short ones;
        ``analysis`` is the question's, when the caller has it already; ``both_steps`` reads
        the later windows whatever the first one's confidence (to learn from both readings);
        ``rule`` is the rule answer, when the caller has it already."""
        analysis = analysis or read_question(question, documents, mentions)
        passages, doc_ids, ranks = self.passages(hits, documents)
        config = self.config
        if whole:
            plan = self.reader.plan(question, passages)
        else:
            plan = self.reader.plan(question, passages, window=config.window_tokens, stride=config.window_tokens // 2,
                                    limit=config.windows)
        steps = not whole and len(plan.windows) > 1 and (both_steps or config.stop_confidence < 1)
        spans, read_ms = _timed(self.reader.read_windows, plan, 0, 1 if steps else None, config.reader_spans)
        if rule is None:
            rule = self.rules.answer(question, hits, documents, hits_read=len(hits), mentions=mentions, analysis=analysis)
        proposing = _Proposing.of(rule, passages, doc_ids, ranks, len(hits), documents, analysis.answer_type != "other")
        choice = proposing.choice(self.chooser, spans, read_ms)
        if steps and (both_steps or choice.confidence < config.stop_confidence):
            more, more_ms = _timed(self.reader.read_windows, plan, 1, None, config.reader_spans)
            choice = dataclasses.replace(
                proposing.choice(self.chooser, best_spans(spans + more, config.reader_spans), read_ms + more_ms),
                first=choice)
        return choice, rule

    def answer(self, question: str, hits: list[SearchHit], documents: Mapping[str, Document],
               question_id: str | None = None, hits_read: int | None = None, mentions: Mentions = Mentions(),
               threshold: float | None = None, whole: bool = False,
               analysis: QuestionAnalysis | None = None) -> Answer:
        """Answer ``question`` from the first ``hits_read`` hits, or abstain under ``threshold``.

        A question asking for a passage (a definition, a purpose, a list …:
        :mod:`rag.answer.kinds`) gets the rule answerer's cited passage: the reader was
        trained for short spans, and reading costs time such an answer does not need. So
        does a short question whose rule answer the chooser's gate trusts enough
        (``config.rules_alone``): it is given with the gate's probability as its confidence.
        ``analysis`` is the question's, when the caller has it already.
        """
        started = time.perf_counter()
        analysis = analysis or read_question(question, documents, mentions)
        if analysis.answer_kind in PASSAGE_KINDS:
            return self.rules.answer(question, hits, documents, question_id=question_id, hits_read=hits_read,
                                     mentions=mentions, threshold=threshold, analysis=analysis)
        hits = hits[: hits_read or self.config.hits]
        rule = self.rules.answer(question, hits, documents, question_id=question_id, hits_read=len(hits),
                                 mentions=mentions, analysis=analysis)
        threshold = self.config.threshold if threshold is None else threshold
        unread = self._unread(rule, hits, documents, analysis.answer_type != "other", threshold)
        if unread is not None:
            return unread
        choice, rule = self.choose(question, hits, documents, mentions, whole, analysis, rule=rule)
        answered = choice.best is not None and choice.confidence >= threshold
        citations: list[Citation] = []
        if answered:
            best = choice.best
            if best.from_reader:
                citations.append(cite(documents[best.doc_id], best.start, best.end, logit(choice.confidence)))
                citations += [c for c in rule.citations if (c.doc_id, c.start) != (best.doc_id, citations[0].start)]
            else:
                citations = list(rule.citations)
            citations = citations[: self.rules.config.max_citations]
        elapsed = (time.perf_counter() - started) * 1000
        result = Answer(
            id=question_id, question=question, answer=choice.best.text if answered else None,
            answer_type=rule.answer_type, abstained=not answered, confidence=round(choice.confidence, 4),
            citations=citations, timings_ms=Timings(answer=round(elapsed, 3), total=round(elapsed, 3), read=round(choice.read_ms, 3)),
        )
        assert result.answer is None or result.answer in result.citations[0].quote
        return result

    def _unread(self, rule: Answer, hits: list[SearchHit], documents: Mapping[str, Document],
                typed: bool, threshold: float) -> Answer | None:
        """The rule answer, with the gate's probability that it is exact as its confidence,
        when that reaches ``config.rules_alone`` and the abstention ``threshold``; ``None``
        when the reader is to read."""
        level = self.config.rules_alone
        if rule.answer is None or level is None:
            return None
        level = max(level, threshold)  # an answer given unread is never one the threshold refuses
        passages, doc_ids, ranks = self.passages(hits, documents)
        proposal = _Proposing.of(rule, passages, doc_ids, ranks, len(hits), documents, typed).rules_proposal
        row = features(proposal, [], proposal, rule.confidence, typed, len(documents[proposal.doc_id].text))
        probability = self.chooser.gate_probability(row)
        if probability is None or probability < level:
            return None
        return rule.model_copy(update={"confidence": round(probability, 4)})


@dataclass(frozen=True)
class _Proposing:
    """One question's rule proposal and the passages the reader reads: turns the reader's
    spans into the chooser's proposals and choice (after each step of reading)."""

    rules_proposal: Proposal | None
    rules_confidence: float
    passages: list[Passage]
    doc_ids: list[str]
    ranks: list[int]
    documents: Mapping[str, Document]
    typed: bool

    @classmethod
    def of(cls, rule: Answer, passages: list[Passage], doc_ids: list[str], ranks: list[int], hits: int,
           documents: Mapping[str, Document], typed: bool) -> _Proposing:
        """The rule answer as a proposal at its place in the document, ranked as its hit."""
        rules_proposal = None
        if rule.answer is not None:
            cited = rule.citations[0]
            at = cited.start + cited.quote.index(rule.answer)
            rank = next((r for d, r in zip(doc_ids, ranks) if d == cited.doc_id), hits)
            rules_proposal = Proposal(cited.doc_id, at, at + len(rule.answer), rule.answer, False, rank)
        return cls(rules_proposal, rule.confidence, passages, doc_ids, ranks, documents, typed)

    def choice(self, chooser: Chooser, spans: list[Span], read_ms: float) -> Choice:
        reader_spans = [(Proposal(self.doc_ids[s.passage], s.start, s.end,
                                  self.passages[s.passage].text[s.start:s.end], True, self.ranks[s.passage]), s.margin)
                        for s in spans]
        rules_proposal = self.rules_proposal
        candidates = ([reader_spans[0][0]] if reader_spans else []) + ([rules_proposal] if rules_proposal else [])
        rows = [features(proposal, reader_spans, rules_proposal, self.rules_confidence, self.typed,
                         len(self.documents[proposal.doc_id].text))
                for proposal in candidates]
        proposals = list(zip(candidates, rows, chooser.probabilities(rows)))
        if not proposals:
            return Choice([], None, 0.0, read_ms)
        best = max(range(len(proposals)), key=lambda i: proposals[i][2])
        return Choice(proposals, candidates[best], chooser.confidences([rows[best]])[0], read_ms)


def _timed(read, *args, **kwargs) -> tuple[list, float]:
    """``read(*args, **kwargs)`` and the milliseconds it took."""
    started = time.perf_counter()
    spans = read(*args, **kwargs)
    return spans, (time.perf_counter() - started) * 1000

