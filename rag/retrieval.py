"""Hybrid retrieval: dense (FAISS) and lexical (BM25) rankings fused by reciprocal rank.

Dense retrieval finds paraphrases ("문을 연 해" for "설립"); BM25 nails rare exact terms
(names, numbers, 제7조). Reciprocal-rank fusion combines the two rankings without
having to calibrate their incomparable scores against each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from rag.article_encoder import ArticleQueries
from rag.articles import ARTICLE_WEIGHTS_FILE, ArticleHit, ArticleRanker, Candidates, default_article_weights
from rag.documents import Chunk
from rag.index import Index
from rag.lexical import expand_query, tokenize

Mode = Literal["hybrid", "dense", "bm25"]


class QueryEncoder(Protocol):
    def encode_query(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class SearchHit:
    """One ranked chunk. Scores of a retriever that did not return the chunk are ``None``."""

    chunk: Chunk
    title: str
    score: float
    dense_score: float | None
    bm25_score: float | None


@dataclass(frozen=True)
class FusionConfig:
    """Candidate depths of each retriever, the RRF constant and BM25's weight in the fusion."""

    dense_candidates: int = 50
    bm25_candidates: int = 50
    rrf_k: int = 5
    bm25_weight: float = 2.0


def reciprocal_rank_fusion(
    rankings: list[list[int]], rrf_k: int, weights: list[float] | None = None
) -> list[tuple[int, float]]:
    """Fuse ranked id lists: ``score(id) = sum(weight / (rrf_k + rank))`` with ranks from 1.

    Ties keep the order in which ids were first seen, so the result is deterministic.
    """
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (rrf_k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


class Retriever:
    """Searches one :class:`Index` generation."""

    def __init__(self, index: Index, encoder: QueryEncoder, config: FusionConfig | None = None,
                 articles: ArticleRanker | None = None, adapter: ArticleQueries | None = None):
        self.index = index
        self.encoder = encoder
        self.config = config or FusionConfig()
        self._articles = articles
        #: The second query vector of article retrieval only (:mod:`rag.article_encoder`: the fine-tuned
        #: encoder's or the adapter's); None: no adapted list.
        self.adapter = adapter

    @property
    def articles(self) -> ArticleRanker:
        """The article ranker (its shipped weights, read on first use)."""
        if self._articles is None:
            # Each second vector's list has its own weights, learned with it.
            weights = ARTICLE_WEIGHTS_FILE if self.adapter is None else self.adapter.article_weights
            self._articles = ArticleRanker(default_article_weights(weights))
        return self._articles

    def candidates(self, query: str, depth: int, query_vector: np.ndarray | None = None) -> Candidates:
        """The ``depth`` best chunks of dense and of BM25 search (and of the second query vector's
        dense search, :mod:`rag.article_encoder`, with one), and the cosine of each to each vector."""
        vector = self.encoder.encode_query(query) if query_vector is None else query_vector
        ids, scores = self.index.dense_search(vector, depth)
        dense = list(zip(ids.tolist(), scores.tolist()))
        ids, scores = self.index.lexical.search(expand_query(tokenize(query)), depth)
        bm25 = list(zip(ids.tolist(), scores.tolist()))
        adapted: list[tuple[int, float]] = []
        if self.adapter is not None:
            moved = self.adapter.vector(query, vector)
            ids, scores = self.index.dense_search(moved, depth)
            adapted = list(zip(ids.tolist(), scores.tolist()))
        # A chunk one list missed still has a similarity to each vector: the article ranker compares them.
        cosine = self._cosines(dict(dense), [row for row, _ in bm25 + adapted], vector)
        adapted_cosine = self._cosines(dict(adapted), [row for row, _ in dense + bm25], moved) if adapted else {}
        return Candidates(dense, bm25, depth, cosine, adapted, adapted_cosine)

    def _cosines(self, known: dict[int, float], rows: list[int], vector: np.ndarray) -> dict[int, float]:
        """``known`` completed with the cosine of ``vector`` to each of ``rows`` it lacks."""
        missing = list(dict.fromkeys(row for row in rows if row not in known))
        if missing:
            known.update(zip(missing, (self.index.vectors_of(missing) @ np.asarray(vector, dtype=np.float32)).tolist()))
        return known

    def search_articles(self, query: str, k: int | None = 10, depth: int = 100) -> list[ArticleHit]:
        """The ``k`` best article units (:mod:`rag.articles`; all of them for ``None``) of both
        retrievers' ``depth`` best chunks."""
        return self.articles.run(self.candidates(query, depth), self._chunk_of, k)

    def search_by_articles(self, query: str, k: int = 10, depth: int = 100) -> list[SearchHit]:
        """The ``k`` first chunks of the best article units, unit by unit; a hit's score is its unit's."""
        candidates = self.candidates(query, depth)
        units = self.articles.run(candidates, self._chunk_of, None)
        dense, bm25 = dict(candidates.dense), dict(candidates.bm25)
        return [self._hit(row, unit.score, dense.get(row), bm25.get(row)) for unit in units for row in unit.rows][:k]

    def search(self, query: str, k: int = 10, mode: Mode = "hybrid", query_vector: np.ndarray | None = None) -> list[SearchHit]:
        """The ``k`` best chunks for ``query``.

        ``query_vector`` lets a caller that runs several modes embed the query once.
        """
        dense: dict[int, float] = {}
        lexical: dict[int, float] = {}
        dense_ranking: list[int] = []
        bm25_ranking: list[int] = []
        if mode in ("hybrid", "dense"):
            vector = self.encoder.encode_query(query) if query_vector is None else query_vector
            depth = self.config.dense_candidates if mode == "hybrid" else k
            ids, scores = self.index.dense_search(vector, max(depth, k))
            dense = dict(zip(ids.tolist(), scores.tolist()))
            dense_ranking = ids.tolist()
        if mode in ("hybrid", "bm25"):
            depth = self.config.bm25_candidates if mode == "hybrid" else k
            ids, scores = self.index.lexical.search(expand_query(tokenize(query)), max(depth, k))
            lexical = dict(zip(ids.tolist(), scores.tolist()))
            bm25_ranking = ids.tolist()

        if mode == "dense":
            ranked = [(i, dense[i]) for i in dense_ranking]
        elif mode == "bm25":
            ranked = [(i, lexical[i]) for i in bm25_ranking]
        else:
            ranked = reciprocal_rank_fusion(
                [dense_ranking, bm25_ranking], self.config.rrf_k, [1.0, self.config.bm25_weight]
            )
        return [self._hit(i, score, dense.get(i), lexical.get(i)) for i, score in ranked[:k]]

    def _chunk_of(self, row: int) -> Chunk:
        return self.index.chunks[row].chunk

    def _hit(self, row: int, score: float, dense_score: float | None, bm25_score: float | None) -> SearchHit:
        chunk = self.index.chunks[row].chunk
        return SearchHit(
            chunk=chunk,
            title=self.index.documents[chunk.doc_id].title,
            score=float(score),
            dense_score=dense_score,
            bm25_score=bm25_score,
        )
