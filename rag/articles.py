"""Article units: a statute question is answered by an article (조), not by a chunk.

Dense and BM25 search each return their best chunks; the chunks are grouped by the
article they lie in (a chunk outside any article, prose or a preamble, is a unit of its
own) and each unit is described by the numbers below. A logistic model learned from the
``tune`` halves of the dev sets whose gold is an article (``rag train articles``,
:mod:`rag.article_learn`) turns them into a score; units are returned best first, each
with its chunks. Hand-set fusion (reciprocal ranks, BM25 counted twice) ranks a long
citizen's question's governing article first less often than the learned weights do,
because what tells the right article apart is the combination: how close its best chunk
comes to the best similarity of all, whether BM25 agrees, whether its statute is the one
most of the other hits come from.

=====================  ===========================================================
feature                what it measures for one article unit
=====================  ===========================================================
``dense_reciprocal``   ``1 / (5 + r)``, ``r`` the rank of its best chunk in the dense list
``bm25_reciprocal``    the same in the BM25 list
``dense_log_rank``     ``log r`` of the dense rank (``depth + 1`` when absent)
``bm25_log_rank``      the same for BM25
``similarity_gap``     cosine of its best chunk minus the best cosine of any chunk
``bm25_share``         its best chunk's BM25 score over the query's best (0 when absent)
``document_share``     share of the fused reciprocal ranks of all hits in its document
``document_reciprocal`` ``1 / rank`` of its document by that share
``chunks``             ``log(1 + n)``, ``n`` its chunks among the hits
``general``            it is 제1조 or 제2조 (purpose, definitions: near every question)
``adapted_reciprocal`` ``1 / (5 + r)`` in the dense list of article search's second query vector
                       (:mod:`rag.article_encoder`: the adapter's, or the plain vector's sum with
                       the fine-tuned encoder's; 0 without one)
``adapted_log_rank``   ``log r`` in that list (``depth + 1`` when absent or without one)
``adapted_gap``        the second vector's cosine to its best chunk minus its best cosine to
                       any chunk (0 without one)
=====================  ===========================================================

The adapted list adds the units only it found; the document shares count the dense and BM25
lists alone, as before it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np

from rag.documents import Chunk

#: The weights :class:`ArticleRanker` uses unless it is given others.
ARTICLE_WEIGHTS_FILE = Path(__file__).with_name("article-weights.json")
#: The weights learned with the article encoder's list as the second one (:mod:`rag.article_encoder`).
ENCODER_WEIGHTS_FILE = Path(__file__).with_name("article-weights-encoder.json")
#: The 조 of a section label: 제15조 of 제15조제2항, 제6조의3 of 제6조의3제1항.
_ARTICLE = re.compile(r"제\d+조(?:의\d+)?")
#: The reciprocal-rank constant of the rank features and of the document share.
RANK_K = 5
#: Articles of purpose and definitions: they share words with every question about their statute.
_GENERAL = frozenset({"제1조", "제2조"})


class ArticleFeatures(NamedTuple):
    """One unit's numbers; the module docstring says what each measures."""

    dense_reciprocal: float
    bm25_reciprocal: float
    dense_log_rank: float
    bm25_log_rank: float
    similarity_gap: float
    bm25_share: float
    document_share: float
    document_reciprocal: float
    chunks: float
    general: float
    adapted_reciprocal: float
    adapted_log_rank: float
    adapted_gap: float


ARTICLE_FEATURES: tuple[str, ...] = ArticleFeatures._fields


def article_of(section: str | None) -> str | None:
    """The article (조) of a section label, or None outside any article."""
    found = _ARTICLE.match(section or "")
    return found.group(0) if found else None


def unit_of(chunk: Chunk) -> tuple[str, str]:
    """The unit a chunk belongs to: ``(doc_id, 조)``, or ``(doc_id, "@start")`` outside any article."""
    return chunk.doc_id, article_of(chunk.section) or f"@{chunk.start}"


@dataclass(frozen=True)
class Candidates:
    """What both retrievers returned for one query: chunk rows with their scores, best
    first, the depth asked for, and the cosine of every row either list holds; the second
    query vector's dense list and its cosine to every row of the three lists."""

    dense: list[tuple[int, float]]
    bm25: list[tuple[int, float]]
    depth: int
    cosine: dict[int, float]
    adapted: list[tuple[int, float]] = field(default_factory=list)
    adapted_cosine: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ArticleHit:
    """One ranked unit (:func:`unit_of`), its score and its chunk rows among the hits
    (dense list first, each best first)."""

    unit: tuple[str, str]
    score: float
    rows: tuple[int, ...]
    features: ArticleFeatures

    @property
    def doc_id(self) -> str:
        return self.unit[0]

    @property
    def article(self) -> str | None:
        """The unit's 조, ``None`` for a chunk outside any article."""
        return None if self.unit[1].startswith("@") else self.unit[1]


def describe(candidates: Candidates, chunk_of: Callable[[int], Chunk]
             ) -> tuple[list[tuple[str, str]], list[ArticleFeatures], list[list[int]]]:
    """The units the candidate chunks fall in, in order of first appearance (dense list
    first), their features and their chunk rows."""
    dense_rank: dict[tuple[str, str], int] = {}
    bm25_rank: dict[tuple[str, str], int] = {}
    best_bm25: dict[tuple[str, str], float] = {}
    best_cosine: dict[tuple[str, str], float] = {}
    rows: dict[tuple[str, str], list[int]] = {}
    adapted_rank: dict[tuple[str, str], int] = {}
    best_adapted: dict[tuple[str, str], float] = {}
    document_votes: dict[str, float] = {}
    lists = ((candidates.dense, dense_rank, 1.0), (candidates.bm25, bm25_rank, 2.0), (candidates.adapted, adapted_rank, 0.0))
    for listing, ranks, weight in lists:
        for rank, (row, score) in enumerate(listing, start=1):
            unit = unit_of(chunk_of(row))
            ranks.setdefault(unit, rank)
            if listing is candidates.bm25:
                best_bm25[unit] = max(best_bm25.get(unit, 0.0), score)
            best_cosine[unit] = max(best_cosine.get(unit, -1.0), candidates.cosine[row])
            if candidates.adapted:
                best_adapted[unit] = max(best_adapted.get(unit, -1.0), candidates.adapted_cosine[row])
            if row not in rows.setdefault(unit, []):
                rows[unit].append(row)
            # BM25 counts twice, as in the served fusion (rag.retrieval.FusionConfig).
            if weight:
                document_votes[unit[0]] = document_votes.get(unit[0], 0.0) + weight / (RANK_K + rank)
    total = sum(document_votes.values()) or 1.0
    document_order = {doc: n for n, (doc, _) in enumerate(sorted(document_votes.items(), key=lambda p: -p[1]), 1)}
    top_cosine = max(candidates.cosine.values(), default=0.0)
    top_adapted = max(candidates.adapted_cosine.values(), default=0.0)
    top_bm25 = max((score for _, score in candidates.bm25), default=0.0) or 1.0
    absent = candidates.depth + 1
    units = list(rows)
    features = []
    for unit in units:
        d, b, a = dense_rank.get(unit, absent), bm25_rank.get(unit, absent), adapted_rank.get(unit, absent)
        features.append(ArticleFeatures(
            dense_reciprocal=1.0 / (RANK_K + d) if unit in dense_rank else 0.0,
            bm25_reciprocal=1.0 / (RANK_K + b) if unit in bm25_rank else 0.0,
            dense_log_rank=math.log(d), bm25_log_rank=math.log(b),
            similarity_gap=best_cosine[unit] - top_cosine,
            bm25_share=best_bm25.get(unit, 0.0) / top_bm25,
            document_share=document_votes.get(unit[0], 0.0) / total,
            document_reciprocal=1.0 / document_order[unit[0]] if unit[0] in document_order else 0.0,
            chunks=math.log1p(len(rows[unit])),
            general=float(unit[1] in _GENERAL),
            adapted_reciprocal=1.0 / (RANK_K + a) if unit in adapted_rank else 0.0,
            adapted_log_rank=math.log(a),
            adapted_gap=best_adapted[unit] - top_adapted if unit in best_adapted else 0.0,
        ))
    return units, features, [rows[unit] for unit in units]


@dataclass(frozen=True)
class ArticleWeights:
    """A weight per feature and the intercept (in the features' own units), and where they
    come from (``source``; ``meta``: data, seed, cross-validation figures)."""

    coef: ArticleFeatures
    intercept: float
    source: str
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def untrained(cls) -> ArticleWeights:
        """All-zero weights: every unit scores the same and keeps its order of first appearance."""
        return cls(ArticleFeatures(*(0.0 for _ in ARTICLE_FEATURES)), 0.0, "untrained")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArticleWeights:
        """Weights from their JSON form; a weight for a feature that does not exist is an error."""
        unknown = set(data["coef"]) - set(ARTICLE_FEATURES)
        if unknown:
            raise ValueError(f"article weights name no feature: {', '.join(sorted(unknown))}")
        coef = ArticleFeatures(**{name: float(data["coef"].get(name, 0.0)) for name in ARTICLE_FEATURES})
        return cls(coef, float(data["intercept"]), str(data["source"]), dict(data.get("meta", {})))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"source": self.source, "coef": {k: round(v, 6) for k, v in self.coef._asdict().items()},
                "intercept": round(self.intercept, 6), "meta": self.meta}

    def save(self, path: Path) -> None:
        """Write the weights as JSON."""
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ArticleWeights:
        """Read weights written by :meth:`save`."""
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=2)
def default_article_weights(path: Path = ARTICLE_WEIGHTS_FILE) -> ArticleWeights:
    """Shipped weights, read once: ``article-weights.json``, or those learned with the article encoder."""
    return ArticleWeights.load(path)


class ArticleRanker:
    """Ranks the article units of a query's candidate chunks with :class:`ArticleWeights`."""

    def __init__(self, weights: ArticleWeights | None = None):
        self.weights = weights or default_article_weights()
        self._coef = np.asarray(self.weights.coef, dtype=np.float64)

    def run(self, candidates: Candidates, chunk_of: Callable[[int], Chunk], k: int | None) -> list[ArticleHit]:
        """The ``k`` best units (all for ``None``), best first (ties keep the order of first appearance);
        ``chunk_of(row)`` is the chunk of an index row."""
        units, features, rows = describe(candidates, chunk_of)
        if not units:
            return []
        scores = np.asarray(features, dtype=np.float64) @ self._coef + self.weights.intercept
        order = np.argsort(-scores, kind="stable")[:k]
        return [ArticleHit(units[i], float(scores[i]), tuple(rows[i]), features[i]) for i in order]
