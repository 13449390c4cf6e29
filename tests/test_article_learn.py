"""Learning the article ranker: labelled rows in, weights that rank the gold unit first out."""

from __future__ import annotations

import numpy as np
import pytest

from rag import article_learn
from rag.articles import ARTICLE_FEATURES, ArticleFeatures, ArticleRanker, ArticleWeights, Candidates
from rag.documents import Chunk


def _features(rng, right: bool) -> ArticleFeatures:
    values = dict.fromkeys(ARTICLE_FEATURES, 0.0) | {name: float(rng.random()) for name in ARTICLE_FEATURES}
    # The right unit comes closer to the best similarity; the reciprocal ranks say nothing.
    values["similarity_gap"] = -0.02 * rng.random() if right else -0.05 - 0.1 * rng.random()
    return ArticleFeatures(**values)


def _asked(n: int, seed: int = 1) -> list[tuple[str, str, frozenset]]:
    rng = np.random.default_rng(seed)
    questions = {}
    for q in range(n):
        gold_at = int(rng.integers(0, 6))
        units = [("act", f"제{i + 1}조") for i in range(6)]
        questions[f"q{q}"] = (units, [_features(rng, i == gold_at) for i in range(6)], frozenset({units[gold_at]}))
    return questions


def test_collect_labels_the_gold_units_and_skips_questions_without_units():
    data = _asked(3)
    data["empty"] = ([], [], frozenset({("act", "제1조")}))
    asked = article_learn.collect(lambda text: data[text][:2], [(qid, qid, data[qid][2]) for qid in data])
    assert [a.question_id for a in asked] == ["q0", "q1", "q2"]
    assert all(a.y.sum() == 1 and a.x.shape == (6, len(ARTICLE_FEATURES)) for a in asked)


def test_learned_weights_rank_the_gold_unit_first_out_of_fold_and_are_reproducible():
    data = _asked(40)
    asked = article_learn.collect(lambda text: data[text][:2], [(qid, qid, data[qid][2]) for qid in data])
    weights = article_learn.learn(asked, seed=0, meta={"command": "test"})
    again = article_learn.learn(asked, seed=0, meta={"command": "test"})
    assert weights.coef == again.coef and weights.intercept == again.intercept
    figures = weights.meta["figures"]
    assert figures["questions"] == 40 and figures["cv_folds"] == 5
    assert figures["cv_learned"]["recall@1"] >= 0.9 > figures["cv_fused"]["recall@1"]
    assert weights.coef.similarity_gap > 0 and weights.source == "learned"
    # The stored weights are in the features' own units: the ranker serves them as they are.
    units, features, gold = data["q0"]
    scores = np.asarray(features) @ np.asarray(weights.coef) + weights.intercept
    assert units[int(np.argmax(scores))] in gold


def test_learning_needs_questions():
    with pytest.raises(ValueError, match="no question"):
        article_learn.learn([], seed=0, meta={})


def test_ranker_serves_learned_weights_on_candidates():
    weights = ArticleWeights(ArticleFeatures(**dict.fromkeys(ARTICLE_FEATURES, 0.0) | {"dense_reciprocal": 1.0}), 0.0,
                             "learned")
    chunks = [Chunk("act", 0, 5, "x", section="제1조"), Chunk("act", 5, 9, "y", section="제9조")]
    hits = ArticleRanker(weights).run(Candidates([(1, 0.9), (0, 0.8)], [(0, 2.0)], 10, {0: 0.8, 1: 0.9}),
                                      chunks.__getitem__, 2)
    assert [h.article for h in hits] == ["제9조", "제1조"]


def test_a_refolded_cross_validation_scores_each_fold_on_its_own_search():
    data = _asked(40)
    asked = article_learn.collect(lambda text: data[text][:2], [(qid, qid, data[qid][2]) for qid in data])
    held_sets = []
    # Searched again without the held questions: here their gold unit loses what told it apart.
    blurred = [article_learn.Asked(a.question_id, a.units, np.where(a.y[:, None] == 1, a.x - 1.0, a.x), a.y)
               for a in asked]

    def without(held):
        held_sets.append(tuple(held))
        return [blurred[n] if n in held else asked[n] for n in range(len(asked))]

    plain = article_learn.learn(asked, seed=0, meta={})
    refolded = article_learn.learn(asked, seed=0, meta={}, refold=without)
    # One search per fold, the folds together every question once.
    assert len(held_sets) == article_learn.FOLDS
    assert sorted(n for held in held_sets for n in held) == list(range(len(asked)))
    # The final weights learn from the served search alone; the figures come from each fold's.
    assert refolded.coef == plain.coef and refolded.intercept == plain.intercept
    assert refolded.meta["figures"]["cv_refolded"] and not plain.meta["figures"]["cv_refolded"]
    assert refolded.meta["figures"]["cv_learned"]["recall@1"] < plain.meta["figures"]["cv_learned"]["recall@1"]
