"""Article-level evaluation: does search find the article that governs a question?

For sets whose gold is the governing statute article rather than an answer string
(``eval/inquiry_dev.jsonl``: ``"gold": [{"doc": "civic-laws/x.md", "article": "제15조"}]``).
A statute question is answered by an article (조), so ranks count distinct articles in
the order search returns their chunks, not chunks: three chunks of 제15조 are one
result. A chunk outside any article (prose, a preamble) is a result of its own.

Reported per retriever (dense, bm25, hybrid), for the learned article units (``articles``)
and for those units expanded by the references between articles (``graph``,
:func:`expand_by_references`): article recall@k (a gold article among the first k
articles), MRR of the first gold article, and nDCG@10 over all gold articles (binary
relevance: a two-part question with two governing articles scores fully only when both
are near the top). The answer side: how often the first citation of the served answer
lies in a gold article.
"""

from __future__ import annotations

import math
import statistics
import time
from pathlib import Path
from typing import Callable, Mapping, Sequence

from rag.answer.models import Answer
from rag.articles import ArticleHit, article_of, unit_of
from rag.evaluation import MODES, EvalQuestion, RetrievalReport, percentile
from rag.references import ReferenceGraph, Unit
from rag.retrieval import FusionConfig, Mode, SearchHit, reciprocal_rank_fusion

#: Chunks read per question: deep enough that ten distinct articles are usually among them.
SEARCH_DEPTH = 60
NDCG_AT = 10
#: The name article units are reported under, beside the retrievers' modes.
ARTICLES = "articles"
#: The name the article units expanded by the references between articles are reported under.
GRAPH = "graph"
#: How many of the first article units pull in the articles they reference, and the weight of the
#: pulled-in list in the fusion: of a grid on the inquiry set's tune half (weights 0.1, 0.25, 0.5, 1;
#: every unit or the first three), the best nDCG@10 (0.650 against 0.640 unexpanded; bench/results).
GRAPH_SOURCES, GRAPH_WEIGHT = 3, 0.25


def expand_by_references(ranking: Sequence[Unit], graph: ReferenceGraph) -> list[Unit]:
    """``ranking`` (article units, best first) fused by reciprocal rank, as hybrid search fuses
    its retrievers, with the articles that its first :data:`GRAPH_SOURCES` units cite or are
    cited by (a decree article implementing one among them), in the order of the unit that
    pulls each in and at :data:`GRAPH_WEIGHT`: a neighbour of the first unit comes after it, and
    an article both found and pulled in rises."""
    pulled = list(dict.fromkeys(v for unit in ranking[:GRAPH_SOURCES] for v in sorted(graph.neighbours(unit))))
    fused = reciprocal_rank_fusion([list(ranking), pulled], FusionConfig().rrf_k, [1.0, GRAPH_WEIGHT])
    return [unit for unit, _ in fused]


def resolve_gold(gold: Mapping[str, Sequence[str]], folders: Sequence[Path],
                 load: Callable[[Path], str]) -> dict[str, frozenset[tuple[str, str]]]:
    """Gold keys ``folder/file#article`` (:func:`rag.splits.gold_articles`) as
    ``(doc_id, article)`` pairs of the index.

    ``folder`` is the name of one of the corpus ``folders`` the set was indexed from;
    ``load(path)`` gives the doc id the index holds for a file (the loader's), so a file
    that declares its own id is matched as indexed. A gold file found in none of the
    folders is an error that names it, not a silent miss.
    """
    by_name = {folder.name: folder for folder in folders}
    ids: dict[str, str] = {}
    resolved = {}
    for question_id, keys in gold.items():
        pairs = set()
        for key in keys:
            doc, _, article = key.rpartition("#")
            if doc not in ids:
                folder_name, _, file_name = doc.partition("/")
                if folder_name not in by_name or not (by_name[folder_name] / file_name).is_file():
                    raise FileNotFoundError(
                        f"gold document {doc} of {question_id} is in none of the corpus folders "
                        f"({', '.join(map(str, folders)) or 'none given'}); pass its folder with --extra-corpus")
                ids[doc] = load(by_name[folder_name] / file_name)
            pairs.add((ids[doc], article))
        resolved[question_id] = frozenset(pairs)
    return resolved


def ranked_articles(hits: Sequence[SearchHit]) -> list[tuple[str, str]]:
    """Distinct articles in the order their first chunk appears; a chunk outside any
    article is its own result (keyed by its offset)."""
    return list(dict.fromkeys(unit_of(hit.chunk) for hit in hits))


def article_metrics(rankings: Sequence[list[tuple[str, str]]], golds: Sequence[frozenset[tuple[str, str]]],
                    ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """recall@k, MRR and nDCG@10 of ranked articles against each question's gold set."""
    n = len(rankings) or 1
    firsts = [next((rank for rank, unit in enumerate(ranking, start=1) if unit in gold), None)
              for ranking, gold in zip(rankings, golds)]
    metrics = {f"recall@{k}": sum(1 for r in firsts if r is not None and r <= k) / n for k in ks}
    metrics["mrr"] = sum(1.0 / r for r in firsts if r is not None) / n
    total = 0.0
    for ranking, gold in zip(rankings, golds):
        dcg = sum(1 / math.log2(rank + 1) for rank, unit in enumerate(ranking[:NDCG_AT], start=1) if unit in gold)
        ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(gold), NDCG_AT) + 1))
        total += dcg / ideal if ideal else 0.0
    metrics[f"ndcg@{NDCG_AT}"] = total / n
    return metrics


def evaluate_articles(search: Callable[[str, int, Mode], list[SearchHit]], questions: Sequence[EvalQuestion],
                      gold: Mapping[str, frozenset[tuple[str, str]]], ks: Sequence[int] = (1, 5, 10),
                      progress: Callable[[int], None] | None = None,
                      articles: Callable[[str, int], list[ArticleHit]] | None = None,
                      graph: ReferenceGraph | None = None) -> RetrievalReport:
    """Article metrics of every retriever over the answerable ``questions``, and of the
    learned article units (:mod:`rag.articles`) as ``articles`` when ``articles`` searches
    them, expanded by ``graph`` as ``graph`` when it is given too; misses are the ids whose
    gold is not among hybrid's first 10 articles."""
    answerable = [q for q in questions if q.answerable]
    rankings: dict[str, list[list[tuple[str, str]]]] = {mode: [] for mode in MODES}
    if articles is not None:
        rankings[ARTICLES] = []
        if graph is not None:
            rankings[GRAPH] = []
    latencies, misses = [], []
    for n, question in enumerate(answerable, start=1):
        for mode in MODES:
            started = time.perf_counter()
            ranking = ranked_articles(search(question.question, SEARCH_DEPTH, mode))
            if mode == "hybrid":
                latencies.append((time.perf_counter() - started) * 1000)
                if not gold[question.id] & set(ranking[:10]):
                    misses.append(question.id)
            rankings[mode].append(ranking)
        if articles is not None:
            units = [hit.unit for hit in articles(question.question, SEARCH_DEPTH)]
            rankings[ARTICLES].append(units)
            if graph is not None:
                rankings[GRAPH].append(expand_by_references(units, graph))
        if progress:
            progress(n)
    golds = [gold[q.id] for q in answerable]
    return RetrievalReport(
        questions=len(answerable),
        metrics={mode: article_metrics(r, golds, ks) for mode, r in rankings.items()},
        latency_ms={"median": statistics.median(latencies) if latencies else 0.0, "p95": percentile(latencies, 95)},
        misses=misses,
    )


def first_citation_hit(questions: Sequence[EvalQuestion], answers: Sequence[Answer],
                       gold: Mapping[str, frozenset[tuple[str, str]]]) -> float:
    """Share of the answerable questions whose served answer's first citation lies in a
    gold article (an abstention is a miss): what a reader of the answer is pointed to."""
    answerable = [(q, a) for q, a in zip(questions, answers) if q.answerable]
    hits = sum(1 for q, a in answerable
               if not a.abstained and a.citations
               and (a.citations[0].doc_id, article_of(a.citations[0].section)) in gold[q.id])
    return hits / len(answerable) if answerable else 0.0
