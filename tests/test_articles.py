"""Article units: chunks grouped by their 조, described by features, ranked by weights."""

from __future__ import annotations

import json
import math

import pytest

from rag.articles import (ARTICLE_FEATURES, ARTICLE_WEIGHTS_FILE, ArticleFeatures, ArticleRanker, ArticleWeights,
                          Candidates, default_article_weights, describe, unit_of)
from rag.documents import Chunk
from statutes import indexed_statute

CHUNKS = [
    Chunk("act", 0, 10, "a", section="제15조제1항"),
    Chunk("act", 10, 20, "b", section="제15조제2항"),
    Chunk("act", 20, 30, "c", section="제2조"),
    Chunk("news", 0, 50, "d"),
    Chunk("other", 0, 10, "e", section="제7조"),
]


def _candidates():
    # Dense finds 제15조 first, then the news; BM25 finds 제7조 of the other act first, then 제15조제2항.
    return Candidates(dense=[(0, 0.9), (3, 0.8)], bm25=[(4, 12.0), (1, 6.0), (2, 3.0)], depth=50,
                      cosine={0: 0.9, 3: 0.8, 4: 0.5, 1: 0.85, 2: 0.6})


def test_chunks_group_into_units_with_their_features():
    units, features, rows = describe(_candidates(), CHUNKS.__getitem__)
    assert units == [("act", "제15조"), ("news", "@0"), ("other", "제7조"), ("act", "제2조")]
    assert rows == [[0, 1], [3], [4], [2]]
    article = dict(zip(units, features))
    first = article[("act", "제15조")]
    assert first.dense_reciprocal == pytest.approx(1 / 6) and first.bm25_reciprocal == pytest.approx(1 / 7)
    assert first.dense_log_rank == 0.0 and first.bm25_log_rank == pytest.approx(math.log(2))
    assert first.similarity_gap == 0.0 and first.bm25_share == pytest.approx(0.5)
    assert first.chunks == pytest.approx(math.log(3)) and first.general == 0.0
    news = article[("news", "@0")]
    # Absent from BM25: no reciprocal rank, the rank one past the depth, no share of the best score.
    assert news.bm25_reciprocal == 0.0 and news.bm25_log_rank == pytest.approx(math.log(51)) and news.bm25_share == 0.0
    assert news.similarity_gap == pytest.approx(-0.1)
    assert article[("act", "제2조")].general == 1.0
    # "act" gets 1/6 (dense) + 2/7 + 2/8 (BM25) of the votes: the most, so its rank is 1.
    assert first.document_reciprocal == 1.0 and article[("other", "제7조")].document_reciprocal == 0.5
    assert sum({u[0]: f.document_share for u, f in article.items()}.values()) == pytest.approx(1.0)


def test_the_ranker_orders_units_by_their_weighted_features():
    weights = ArticleWeights(ArticleFeatures(**{name: 0.0 for name in ARTICLE_FEATURES} | {"bm25_share": 1.0}), 0.0, "test")
    hits = ArticleRanker(weights).run(_candidates(), CHUNKS.__getitem__, k=3)
    assert [h.unit for h in hits] == [("other", "제7조"), ("act", "제15조"), ("act", "제2조")]
    assert hits[1].rows == (0, 1) and hits[1].article == "제15조" and hits[1].doc_id == "act"
    untrained = ArticleRanker(ArticleWeights.untrained()).run(_candidates(), CHUNKS.__getitem__, k=10)
    # Equal scores keep the order of first appearance; a prose unit has no article.
    assert [h.unit for h in untrained] == [("act", "제15조"), ("news", "@0"), ("other", "제7조"), ("act", "제2조")]
    assert untrained[1].article is None
    assert ArticleRanker(weights).run(Candidates([], [], 50, {}), CHUNKS.__getitem__, k=3) == []


def test_weights_round_trip_and_reject_unknown_features(tmp_path):
    weights = ArticleWeights(ArticleFeatures(*range(len(ARTICLE_FEATURES))), -1.5, "learned", {"seed": 0})
    path = tmp_path / "w.json"
    weights.save(path)
    assert ArticleWeights.load(path) == weights
    data = json.loads(path.read_text(encoding="utf-8"))
    data["coef"]["no_such_feature"] = 1.0
    with pytest.raises(ValueError, match="no_such_feature"):
        ArticleWeights.from_dict(data)


def test_the_shipped_weights_are_learned_and_say_how():
    weights = default_article_weights()
    assert weights.source == "learned" and ARTICLE_WEIGHTS_FILE.is_file()
    assert weights.meta["command"].startswith("rag train articles")
    assert all(part.endswith("part tune") for part in weights.meta["data"])
    # Closer to the best similarity and agreed on by BM25: likelier the governing article.
    assert weights.coef.similarity_gap > 0 and weights.coef.bm25_share > 0


STATUTE = """# 시험법

##### 제1조 (목적)

이 법은 시험 제도를 정함을 목적으로 한다.

##### 제2조 (정의)

이 법에서 "응시자"란 시험을 보는 사람을 말한다.

##### 제3조 (응시료)

응시료는 만 원으로 한다. 응시자는 시험일 7일 전까지 응시료를 내야 한다.

##### 제4조 (합격)

합격자는 시험일부터 30일 안에 발표한다.
"""


def test_a_real_index_ranks_the_governing_article_first(tmp_path, fake_embedder):
    pipeline, document = indexed_statute(tmp_path, fake_embedder, STATUTE)
    hits = pipeline.search_articles("응시료는 언제까지 내야 하나요?", k=3)
    assert hits[0].unit == (document.doc_id, "제3조") and len(hits) == 3
    chunks = [pipeline.index.chunks[row].chunk for row in hits[0].rows]
    assert chunks and all(unit_of(c) == hits[0].unit for c in chunks)
    assert all(document.text[c.start:c.end] == c.text for c in chunks)
    with pytest.raises(ValueError, match="empty"):
        pipeline.search_articles("  ")


def test_answers_may_read_the_chunks_of_the_best_article_units(tmp_path, fake_embedder):
    pipeline, _ = indexed_statute(tmp_path, fake_embedder, STATUTE, article_units=True)
    question = "응시료는 언제까지 내야 하나요?"
    units = pipeline.search_articles(question, k=10)
    hits = pipeline.retrieve(question, k=10).hits
    # Unit by unit, each unit's chunks in its own order, scored by their unit.
    assert [h.chunk for h in hits] == [pipeline.index.chunks[row].chunk for unit in units for row in unit.rows]
    assert [h.score for h in hits] == [unit.score for unit in units for _ in unit.rows]
    assert hits[0].chunk.section.startswith("제3조")
    # Only hybrid search is replaced: a single retriever's ranking stays its own.
    assert pipeline.search(question, k=3, mode="bm25") == pipeline.retriever.search(question, 3, "bm25")


def test_by_default_the_answerer_reads_article_units_for_passage_questions_only(tmp_path, fake_embedder):
    pipeline, _ = indexed_statute(tmp_path, fake_embedder, STATUTE)
    assert pipeline.settings.article_units is None
    retriever = pipeline.retriever
    passage, short = "이 법의 목적은 무엇인가요?", "응시료는 얼마인가요?"
    for question in (passage, short):
        # The two rankings differ for both questions, so which one was taken shows.
        assert retriever.search_by_articles(question, 5) != retriever.search(question, 5, "hybrid")
    assert pipeline.retrieve(passage, k=5, answering=True).hits == retriever.search_by_articles(passage, 5)
    assert pipeline.retrieve(short, k=5, answering=True).hits == retriever.search(short, 5, "hybrid")
    # A search, or a retrieval not for the answerer, keeps the fused chunks.
    assert pipeline.retrieve(passage, k=5).hits == retriever.search(passage, 5, "hybrid")
    assert pipeline.search(passage, k=5) == retriever.search(passage, 5, "hybrid")


def _adapted_candidates():
    # The adapted query vector finds 제2조 first (no other list ranks it above 제15조), then 제15조.
    base = _candidates()
    return Candidates(base.dense, base.bm25, base.depth, base.cosine, adapted=[(2, 0.7), (0, 0.65)],
                      adapted_cosine={2: 0.7, 0: 0.65, 3: 0.4, 4: 0.3, 1: 0.6})


def test_the_adapted_list_adds_its_ranks_and_similarity_beside_the_others():
    units, features, _ = describe(_adapted_candidates(), CHUNKS.__getitem__)
    plain_units, plain, _ = describe(_candidates(), CHUNKS.__getitem__)
    assert units == plain_units
    article, before = dict(zip(units, features)), dict(zip(plain_units, plain))
    second = article[("act", "제2조")]
    assert second.adapted_reciprocal == pytest.approx(1 / 6) and second.adapted_log_rank == 0.0
    assert second.adapted_gap == 0.0
    first = article[("act", "제15조")]
    assert first.adapted_reciprocal == pytest.approx(1 / 7) and first.adapted_gap == pytest.approx(-0.05)
    news = article[("news", "@0")]
    assert news.adapted_reciprocal == 0.0 and news.adapted_log_rank == pytest.approx(math.log(51))
    assert news.adapted_gap == pytest.approx(-0.3)
    # The other features and the documents' shares are those of the dense and BM25 lists alone.
    for unit in units:
        assert article[unit][:10] == before[unit][:10]


def test_without_an_adapter_the_adapted_features_are_the_same_for_every_unit():
    _, features, _ = describe(_candidates(), CHUNKS.__getitem__)
    assert {(f.adapted_reciprocal, f.adapted_log_rank, f.adapted_gap) for f in features} == {(0.0, math.log(51), 0.0)}


def test_a_unit_only_the_adapted_list_found_joins_the_candidates():
    base = _candidates()
    candidates = Candidates(base.dense, base.bm25[:1], base.depth, {0: 0.9, 3: 0.8, 4: 0.5, 2: 0.6},
                            adapted=[(2, 0.7)], adapted_cosine={2: 0.7, 0: 0.5, 3: 0.4, 4: 0.3})
    units, features, rows = describe(candidates, CHUNKS.__getitem__)
    assert units[-1] == ("act", "제2조") and rows[-1] == [2]
    joined = features[-1]
    assert joined.dense_reciprocal == 0.0 and joined.bm25_reciprocal == 0.0 and joined.adapted_reciprocal == pytest.approx(1 / 6)


def test_the_retriever_searches_again_with_the_adapted_vector(tmp_path, fake_embedder):
    import numpy as np

    from rag.query_adapter import QueryAdapter

    pipeline, _ = indexed_statute(tmp_path, fake_embedder, STATUTE)
    retriever = pipeline.retriever
    question = "응시료는 언제까지 내야 하나요?"
    # A model other than the bundled one gets no adapter: no adapted list.
    assert retriever.adapter is None and retriever.candidates(question, 10).adapted == []
    dim = fake_embedder.dim
    retriever.adapter = QueryAdapter(np.zeros((dim, 2), np.float32), np.zeros((dim, 2), np.float32), "m")
    same = retriever.candidates(question, 10)
    # A zero adapter moves nothing: its list is the dense list, its cosines the plain ones.
    assert [row for row, _ in same.adapted] == [row for row, _ in same.dense]
    assert all(same.adapted_cosine[row] == pytest.approx(value, abs=1e-6) for row, value in same.cosine.items())
    rng = np.random.default_rng(0)
    retriever.adapter = QueryAdapter(rng.normal(size=(dim, 2)).astype(np.float32),
                                     rng.normal(size=(dim, 2)).astype(np.float32), "m")
    moved = retriever.candidates(question, 10)
    vector = retriever.adapter.apply(fake_embedder.encode_query(question))
    rows = [row for row, _ in moved.adapted]
    assert set(moved.adapted_cosine) >= set(rows) | {row for row, _ in moved.dense + moved.bm25}
    assert moved.adapted_cosine[rows[0]] == pytest.approx(float(pipeline.index.vectors_of([rows[0]])[0] @ vector), abs=1e-5)
