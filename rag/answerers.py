"""Which answerer answers: the rule answerer, or the neural reader's answerer around it (``RAG_READER``)."""

from __future__ import annotations

from rag.answer.analysis import AnalysisStore
from rag.answer.answerer import Answerer, AnswererConfig
from rag.answer.ranker import Weights, default_weights
from rag.reader.answerer import ReaderAnswerConfig, ReaderAnswerer, reader_installed
from rag.settings import Settings


def answerer_mode(settings: Settings) -> str:
    """``"neural"`` or ``"rules"``: what ``settings.reader`` asks for, ``auto`` resolved by
    whether the reader's weights are installed."""
    if settings.reader == "auto":
        return "neural" if reader_installed() else "rules"
    return settings.reader


def build_answerer(settings: Settings, analyses: AnalysisStore | None = None) -> Answerer | ReaderAnswerer:
    """The rule answerer (reading ``analyses``, the index's stored paragraph analyses), or
    with ``settings.reader`` neural (or auto, weights installed) the reader's answerer
    around it; ``ValueError`` when neural is asked and not installed."""
    weights = default_weights() if settings.answer_weights is None else Weights.load(settings.answer_weights)
    rules = Answerer(AnswererConfig(hits=settings.answer_hits, threshold=settings.answer_threshold, weights=weights),
                     analyses)
    if answerer_mode(settings) == "rules":
        return rules
    return ReaderAnswerer.load(rules, ReaderAnswerConfig(
        hits=settings.answer_hits, windows=settings.reader_windows, window_tokens=settings.reader_window_tokens,
        stop_confidence=settings.reader_stop_confidence,
        threshold=settings.reader_threshold, rules_alone=settings.reader_rules_alone), threads=settings.threads)
