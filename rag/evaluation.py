"""Retrieval evaluation: recall@k and MRR for the dense, BM25 and hybrid retrievers.

An evaluation set is JSONL, one ``{"id", "question", "answers": [...], "answerable"}``
per line. A retrieved chunk is relevant when it contains one of the gold answers.
Each set may have a small TOML config beside it (``eval/<set>.toml``) with the
thresholds that ``rag eval`` enforces.
"""

from __future__ import annotations

import statistics
import time
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from rag.jsonl import read_jsonl
from rag.retrieval import Mode, SearchHit

MODES: tuple[Mode, ...] = ("dense", "bm25", "hybrid")


@dataclass(frozen=True)
class EvalQuestion:
    """One question of an evaluation set."""

    id: str
    question: str
    answers: tuple[str, ...]
    answerable: bool


@dataclass
class EvalConfig:
    """Per-set settings read from ``eval/<set>.toml``."""

    thresholds: dict[str, float] = field(default_factory=dict)
    needs_extra_corpus: bool = False


def load_eval_set(path: Path) -> list[EvalQuestion]:
    """Read a JSONL evaluation set; a malformed line raises ``ValueError`` naming it."""
    questions = []
    for number, row in read_jsonl(path):
        try:
            questions.append(
                EvalQuestion(
                    id=str(row["id"]),
                    question=row["question"],
                    answers=tuple(row.get("answers") or ()),
                    answerable=bool(row.get("answerable", bool(row.get("answers")))),
                )
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not an evaluation row (missing {error})") from None
    return questions


def load_eval_config(set_path: Path) -> EvalConfig:
    """The config beside ``set_path`` (same stem, ``.toml``), or an empty one."""
    config_path = set_path.with_suffix(".toml")
    if not config_path.exists():
        return EvalConfig()
    data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    return EvalConfig(
        thresholds={k: float(v) for k, v in data.get("thresholds", {}).items()},
        needs_extra_corpus=bool(data.get("needs_extra_corpus", False)),
    )


def _fold(text: str) -> str:
    """Compare answers and chunks ignoring Unicode form and whitespace differences."""
    return "".join(unicodedata.normalize("NFC", text).split())


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether ``text`` holds any of ``answers`` (whitespace-insensitive)."""
    folded = _fold(text)
    return any(_fold(a) and _fold(a) in folded for a in answers)


def first_relevant_rank(
    hits: Sequence[SearchHit], is_relevant: Callable[[SearchHit], bool], by_document: bool = False
) -> int | None:
    """1-based rank of the first relevant hit, or ``None``.

    With ``by_document`` hits from a document already seen are skipped, so ranks count
    documents (paragraph retrieval) rather than chunks.
    """
    seen: set[str] = set()
    rank = 0
    for hit in hits:
        if by_document:
            if hit.chunk.doc_id in seen:
                continue
            seen.add(hit.chunk.doc_id)
        rank += 1
        if is_relevant(hit):
            return rank
    return None


def summarize_ranks(ranks: Sequence[int | None], ks: Sequence[int]) -> dict[str, float]:
    """recall@k for each k and mean reciprocal rank over ``ranks`` (``None`` = miss)."""
    n = len(ranks) or 1
    metrics = {f"recall@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in ks}
    metrics["mrr"] = sum(1.0 / r for r in ranks if r is not None) / n
    return metrics


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


@dataclass
class RetrievalReport:
    """Metrics per retriever plus hybrid query latency."""

    questions: int
    metrics: dict[str, dict[str, float]]
    latency_ms: dict[str, float]
    misses: list[str]

    def to_dict(self) -> dict:
        return {"questions": self.questions, "metrics": self.metrics, "latency_ms": self.latency_ms, "misses": self.misses}


def evaluate_retrieval(
    search: Callable[[str, int, Mode], list[SearchHit]],
    items: Sequence[tuple[str, str, Callable[[SearchHit], bool]]],
    ks: Sequence[int] = (1, 5, 10),
    by_document: bool = False,
    progress: Callable[[int], None] | None = None,
) -> RetrievalReport:
    """Run every ``(id, question, is_relevant)`` item through each retriever.

    ``search(question, depth, mode)`` is typically ``Pipeline.search``. Latency is the
    wall time of the hybrid search, which includes embedding the question.
    """
    depth = max(ks) * (4 if by_document else 1)
    ranks: dict[str, list[int | None]] = {mode: [] for mode in MODES}
    latencies = []
    misses = []
    for n, (item_id, question, is_relevant) in enumerate(items, start=1):
        for mode in MODES:
            started = time.perf_counter()
            hits = search(question, depth, mode)
            if mode == "hybrid":
                latencies.append((time.perf_counter() - started) * 1000)
            rank = first_relevant_rank(hits, is_relevant, by_document)
            ranks[mode].append(rank)
            if mode == "hybrid" and (rank is None or rank > 5):
                misses.append(item_id)
        if progress:
            progress(n)
    return RetrievalReport(
        questions=len(items),
        metrics={mode: summarize_ranks(r, ks) for mode, r in ranks.items()},
        latency_ms={
            "median": statistics.median(latencies) if latencies else 0.0,
            "p95": percentile(latencies, 95),
        },
        misses=misses,
    )


def check_thresholds(metrics: dict[str, dict[str, float]], thresholds: dict[str, float]) -> list[str]:
    """Failures as readable lines; keys look like ``hybrid.recall@5``."""
    failures = []
    for key, minimum in sorted(thresholds.items()):
        mode, _, name = key.partition(".")
        value = metrics.get(mode, {}).get(name)
        if value is None:
            failures.append(f"{key}: no such metric")
        elif value < minimum:
            failures.append(f"{key} = {value:.3f} < {minimum:.3f}")
    return failures
