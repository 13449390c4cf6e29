"""BM25 over postings kept in parts (index segments), scored with statistics of all of them.

An index that stores each term's score already multiplied by its IDF and normalised by the
average length (as bm25s does) scores a part written alone with that part's statistics,
and adding one document would mean scoring the whole corpus again. Here each
part keeps only raw term counts (:class:`Postings`, written once with its segment), and
:class:`BM25` computes the document frequency and average length over the live rows of
every part at query time. Scores are therefore the same however the rows are split into
parts, and they are those of bm25s's default (Lucene's variant, k1 = 1.5, b = 0.75):

    score(d, q) = sum over tokens t of q:  idf(t) * tf(t, d) / (tf(t, d) + k1 * (1 - b + b * |d| / avgdl))
    idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

A query token that repeats counts each time; tokens no row holds are ignored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy import sparse

K1 = 1.5
B = 0.75


@dataclass(eq=False)
class Postings:
    """The term counts of one part's rows: ``counts[row, terms[t]]`` is how often ``t`` occurs in ``row``."""

    terms: dict[str, int]
    counts: sparse.csc_matrix
    lengths: np.ndarray

    @classmethod
    def of(cls, token_lists: Sequence[Sequence[str]]) -> Postings:
        """Postings of rows given as token lists (row ``i`` = ``token_lists[i]``)."""
        terms: dict[str, int] = {}
        rows, columns, values = [], [], []
        for row, tokens in enumerate(token_lists):
            for term, count in Counter(tokens).items():
                rows.append(row)
                columns.append(terms.setdefault(term, len(terms)))
                values.append(count)
        counts = sparse.csc_matrix(
            (np.asarray(values, np.float32), (np.asarray(rows, np.int64), np.asarray(columns, np.int64))),
            shape=(len(token_lists), len(terms)),
        )
        lengths = np.fromiter((len(t) for t in token_lists), np.float32, len(token_lists))
        return cls(terms, counts, lengths)

    @property
    def rows(self) -> int:
        return len(self.lengths)

    def column(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The rows holding ``term`` and its count in each, or ``None`` when no row does."""
        column = self.terms.get(term)
        if column is None:
            return None
        start, end = self.counts.indptr[column], self.counts.indptr[column + 1]
        return self.counts.indices[start:end], self.counts.data[start:end]

    def save(self, path: Path) -> None:
        """Write to ``path`` (one ``.npz`` file, no pickled objects)."""
        with open(path, "wb") as out:
            np.savez(out, indptr=self.counts.indptr, indices=self.counts.indices, data=self.counts.data,
                     lengths=self.lengths, terms=np.asarray(list(self.terms), dtype=str))

    @classmethod
    def load(cls, path: Path) -> Postings:
        with np.load(path, allow_pickle=False) as saved:
            terms = {term: n for n, term in enumerate(saved["terms"].tolist())}
            lengths = saved["lengths"]
            counts = sparse.csc_matrix((saved["data"], saved["indices"], saved["indptr"]),
                                       shape=(len(lengths), len(terms)))
        return cls(terms, counts, lengths)


class BM25:
    """BM25 search over the rows of several :class:`Postings`, numbered together.

    ``parts`` pairs each postings with the number its rows have here (``-1``: the row is
    deleted and neither matches nor counts in the statistics).
    """

    def __init__(self, parts: Sequence[tuple[Postings, np.ndarray]]):
        live = [(postings, rows) for postings, rows in parts if postings.rows]
        self.size = sum(int((rows >= 0).sum()) for _, rows in live)
        total_length = sum(float(postings.lengths[rows >= 0].sum()) for postings, rows in live)
        average = total_length / self.size if self.size else 1.0
        # The length normalisation of each row, fixed for this set of parts.
        self._parts = [(postings, rows, K1 * (1 - B + B * postings.lengths / average)) for postings, rows in live]

    @classmethod
    def of(cls, token_lists: Sequence[Sequence[str]]) -> BM25:
        """BM25 over rows given as token lists, in one part."""
        return cls([(Postings.of(token_lists), np.arange(len(token_lists), dtype=np.int64))])

    def search(self, query_tokens: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers and scores of the best ``k`` rows sharing a token with the query, best
        first (equal scores: lower row first)."""
        k = min(k, self.size)
        if k == 0 or not query_tokens:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        scores = np.zeros(self.size, dtype=np.float32)
        for token in query_tokens:
            matches = []
            for postings, rows, norm in self._parts:
                column = postings.column(token)
                if column is not None:
                    local, tf = column
                    here = rows[local]
                    alive = here >= 0
                    matches.append((here[alive], tf[alive], norm[local[alive]]))
            frequency = sum(len(here) for here, _, _ in matches)
            if not frequency:
                continue
            idf = np.float32(np.log(1 + (self.size - frequency + 0.5) / (frequency + 0.5)))
            for here, tf, norm in matches:
                scores[here] += idf * tf / (tf + norm)
        hits = np.flatnonzero(scores > 0)
        best = hits[np.lexsort((hits, -scores[hits]))][:k]
        return best.astype(np.int64), scores[best]
