"""Learning the query adapter (:mod:`rag.query_adapter`) from questions and their governing articles.

The questions are those :mod:`rag.article_learn` learns from (the ``tune`` halves of the inquiry
and civic sets and the questions written to learn from only), each with the chunk rows of its
gold articles in an index of the bundled corpus and the statutes. The passage vectors stay as
indexed; only ``A`` and ``B`` of ``q → normalise((I + A Bᵀ) q)`` are learned, by a softmax over
every chunk of the index (the question should be closer to a chunk of its gold articles than to
any other chunk; several gold chunks share the probability), at temperature 0.05, with Adam.

Why so small a model (rank 8, three passes): a full 384 × 384 map learned the articles of its
questions and lost on questions about other articles (bench/results, "A query adapter"); at rank
8 the map moves a few directions, and cross-validation grouped by gold article (no fold ever
sees an article of its held-out questions) shows it finds other articles better too. PyTorch
does the fitting (a training-only dependency, as for the reader); serving needs numpy alone.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

from rag.article_learn import rank_figures
from rag.evaluation import EvalQuestion
from rag.query_adapter import QueryAdapter
from rag.splits import groups


@dataclass(frozen=True)
class AdapterConfig:
    """The adapter's rank and how it is fitted (chosen by grouped cross-validation, bench/results)."""

    rank: int = 8
    temperature: float = 0.05
    epochs: int = 3
    learning_rate: float = 1e-3
    batch_size: int = 32
    folds: int = 5


def fit(queries: np.ndarray, positives: np.ndarray, passages: np.ndarray, config: AdapterConfig, seed: int
        ) -> tuple[np.ndarray, np.ndarray]:
    """``A`` and ``B`` fitted on ``queries`` (n × dim), ``positives`` (n × m booleans: which of the
    ``passages`` (m × dim) are gold for each query). Same seed, same factors: one thread, a seeded
    generator for the start and the batch order."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        generator = torch.Generator().manual_seed(seed)
        q = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32))
        gold = torch.from_numpy(np.ascontiguousarray(positives, dtype=bool))
        vectors = torch.from_numpy(np.ascontiguousarray(passages, dtype=np.float32))
        dim = q.shape[1]
        a = torch.nn.Parameter(torch.randn(dim, config.rank, generator=generator) * 0.01)
        b = torch.nn.Parameter(torch.zeros(dim, config.rank))
        optimiser = torch.optim.Adam([a, b], lr=config.learning_rate)
        for _ in range(config.epochs):
            for batch in torch.randperm(len(q), generator=generator).split(config.batch_size):
                moved = torch.nn.functional.normalize(q[batch] + (q[batch] @ b) @ a.T, dim=1)
                logits = moved @ vectors.T / config.temperature
                right = torch.logsumexp(logits.masked_fill(~gold[batch], float("-inf")), dim=1)
                loss = (torch.logsumexp(logits, dim=1) - right).mean()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        return a.detach().numpy().copy(), b.detach().numpy().copy()
    finally:
        torch.set_num_threads(threads)


def article_ranks(queries: np.ndarray, positives: np.ndarray, passages: np.ndarray, units: Sequence[Any],
                  depth: int = 100) -> list[int | None]:
    """For each query, the rank of its first gold unit among the distinct units of its ``depth``
    nearest passages (a unit ranks by its best passage), or ``None`` beyond."""
    ranks: list[int | None] = []
    for vector, gold in zip(queries, positives):
        order = np.argsort(-(passages @ vector), kind="stable")[: depth * 4]
        seen: set[Any] = set()
        found = None
        for row in order.tolist():
            if units[row] in seen:
                continue
            seen.add(units[row])
            if gold[row]:
                found = len(seen)
                break
            if len(seen) == depth:
                break
        ranks.append(found)
    return ranks


def article_folds(golds: Sequence[frozenset], folds: int, seed: int) -> np.ndarray:
    """Each question's fold, questions sharing a gold article (as :func:`rag.splits.groups` joins
    them) always in the same one: a held-out fold holds no article its training folds saw."""
    ids = [str(n) for n in range(len(golds))]
    joined = groups([EvalQuestion(id=i, question="", answers=(), answerable=True) for i in ids],
                    {i: sorted(map(str, gold)) for i, gold in zip(ids, golds)})
    order = list(range(len(joined)))
    np.random.default_rng(seed).shuffle(order)
    out = np.empty(len(golds), dtype=int)
    for n, members in zip(order, joined):
        out[[int(i) for i in members]] = n % folds
    return out


def cross_validate(queries: np.ndarray, positives: np.ndarray, passages: np.ndarray, units: Sequence[Any],
                   golds: Sequence[frozenset], config: AdapterConfig, seed: int) -> dict[str, Any]:
    """Dense article ranks out of fold, folds grouped by gold article (questions sharing one, as
    :func:`rag.splits.groups` joins them, never straddle folds): without and with the adapter."""
    folds = article_folds(golds, config.folds, seed)
    adapted: list[int | None] = [None] * len(queries)
    for fold in range(config.folds):
        train, held = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        if not len(train) or not len(held):
            continue
        a, b = fit(queries[train], positives[train], passages, config, seed)
        moved = QueryAdapter(a, b, "cv").apply(queries[held])
        for i, rank in zip(held.tolist(), article_ranks(moved, positives[held], passages, units)):
            adapted[i] = rank
    return {"folds": config.folds, "grouped_by": "gold article",
            "plain": rank_figures(article_ranks(queries, positives, passages, units)), "adapted": rank_figures(adapted)}


def learn(queries: np.ndarray, positives: np.ndarray, passages: np.ndarray, units: Sequence[Any],
          golds: Sequence[frozenset], model: str, seed: int, meta: dict[str, Any] | None = None,
          config: AdapterConfig = AdapterConfig()) -> QueryAdapter:
    """The adapter fitted on every question, with cross-validated figures in its meta."""
    if not len(queries):
        raise ValueError("no question with a gold article in the index: nothing to learn from")
    cv = cross_validate(queries, positives, passages, units, golds, config, seed)
    a, b = fit(queries, positives, passages, config, seed)
    return QueryAdapter(a, b, model, {**(meta or {}), "seed": seed, "trained": datetime.date.today().isoformat(),
                                      "config": asdict(config), "questions": len(queries),
                                      "passages": len(passages), "cv": cv})
