"""Learning the passage ranker: a tiny synthetic set, fitted, saved, loaded and scored."""

from __future__ import annotations

import numpy as np
import pytest

from rag.answer.passage_features import PASSAGE_FEATURES, PassageFeatures
from rag.answer.passage_learn import Asked, PassageQuestion, learn
from rag.answer.passage_ranker import DESIGN, PassageRanker, PassageWeights, design

_FITS = PASSAGE_FEATURES.index("fits_kind")


def _asked(seed: int = 0, questions: int = 40) -> list[Asked]:
    """Questions of six passages each; the right one (if any) has the kind's form, and so
    do some wrong ones: the form helps without deciding alone."""
    rng = np.random.default_rng(seed)
    out = []
    for n in range(questions):
        x = rng.random((6, len(PASSAGE_FEATURES))) * 0.2
        y = np.zeros(6, dtype=np.int8)
        x[rng.integers(6), _FITS] = 1.0
        if n % 5:
            right = rng.integers(6)
            y[right], x[right, _FITS] = 1, 1.0
        article = frozenset({("act", "제1조")}) if n % 5 else frozenset()
        out.append(Asked(PassageQuestion(str(n), "질문", article), design(x, "definition"), y))
    return out


def test_the_learned_ranker_prefers_the_feature_that_marks_right_passages(tmp_path):
    weights = learn(_asked(), seed=0)
    assert weights.weight("fits_kind") > 0 and weights.weight("fits_kind|definition") > 0
    assert weights.source == "learned" and len(weights.coef) == len(DESIGN)
    assert 0.0 <= weights.threshold <= 1.0
    figures = weights.meta["figures"]
    assert figures["questions"] == 40 and figures["answerable"] == 32

    path = tmp_path / "passage-weights.json"
    weights.save(path)
    loaded = PassageWeights.load(path)
    assert loaded.to_dict() == weights.to_dict()

    ranker = PassageRanker(loaded)
    plain = PassageFeatures(*(0.1 for _ in PASSAGE_FEATURES))
    formed = plain._replace(fits_kind=1.0)
    plain_score, formed_score = ranker.scores([plain, formed], "definition")
    assert formed_score > plain_score
    assert 0.0 < ranker.confidence(plain_score) < ranker.confidence(formed_score) < 1.0


def test_the_same_seed_learns_the_same_weights():
    assert learn(_asked(), seed=3).to_dict() == learn(_asked(), seed=3).to_dict()


def test_weights_naming_an_unknown_feature_are_refused():
    data = PassageWeights.untrained().to_dict()
    data["coef"]["no_such_feature"] = 1.0
    with pytest.raises(ValueError, match="no_such_feature"):
        PassageWeights.from_dict(data)


def test_the_design_holds_the_features_their_distance_to_the_best_and_the_asked_kinds_block():
    x = np.asarray([[0.2] * len(PASSAGE_FEATURES), [0.5] * len(PASSAGE_FEATURES)])
    rows = design(x, "list")
    width = len(PASSAGE_FEATURES)
    assert rows.shape == (2, len(DESIGN))
    assert rows[:, :width].tolist() == x.tolist()
    assert rows[0, width:2 * width] == pytest.approx([-0.3] * width) and not rows[1, width:2 * width].any()
    at = DESIGN.index("overlap|list")
    assert rows[:, at:at + width].tolist() == x.tolist()
    assert np.count_nonzero(rows[:, 2 * width:]) == x.size  # the other kinds' blocks are zero
    assert not design(x, "short")[:, 2 * width:].any()


def test_weights_of_the_base_features_alone_still_load():
    data = PassageWeights.untrained().to_dict()
    data["coef"] = {"fits_kind": 2.0}
    weights = PassageWeights.from_dict(data)
    assert weights.weight("fits_kind") == 2.0 and weights.weight("overlap|list") == 0.0
