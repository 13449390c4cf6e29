"""The ranker: linear weights from weights.json, the score as weights · features, the confidence."""

from __future__ import annotations

import json
import math

import pytest

from rag.answer.answerer import Answerer, AnswererConfig
from rag.answer.features import FEATURES, Features
from rag.answer.ranker import WEIGHTS_FILE, Ranker, Weights, default_weights, dot
from rag.documents import Chunk, Document
from rag.retrieval import SearchHit

VECTOR = Features(*(0.1 * (i + 1) * (-1) ** i for i in range(len(FEATURES))))


def test_the_weights_file_is_hand_set_and_names_only_features():
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    # The score and evidence as set by hand; the confidence's logistic refitted by a command it names.
    assert data["source"] == "hand-set; confidence refitted: rag train answerer --seed 0 --recalibrate"
    assert set(data["score"]) | set(data["evidence"]) <= set(FEATURES)
    weights = default_weights()
    assert weights.score.overlap == data["score"]["overlap"] and weights.evidence.misfit == data["evidence"]["misfit"]
    assert weights.midpoint == data["confidence"]["midpoint"]


def test_the_weights_round_trip_through_json(tmp_path):
    weights = default_weights()
    path = tmp_path / "weights.json"
    weights.save(path)
    assert Weights.load(path) == weights
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))


def test_weights_for_an_unknown_feature_are_refused():
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    data["score"]["shoe_size"] = 1.0
    with pytest.raises(ValueError, match="shoe_size"):
        Weights.from_dict(data)


def test_the_score_and_the_evidence_are_weights_dot_features():
    ranker = Ranker(default_weights())
    by_name = VECTOR._asdict()
    for weights, value in ((ranker.weights.score, ranker.score(VECTOR)), (ranker.weights.evidence, ranker.evidence(VECTOR))):
        expected = sum(w * by_name[name] for name, w in weights._asdict().items())
        assert value == pytest.approx(expected, rel=1e-12)
    assert dot(Features(*[0.0] * len(FEATURES)), VECTOR) == 0.0


def test_the_confidence_is_a_logistic_of_the_evidence_and_decides_abstention():
    ranker = Ranker(default_weights())
    w = ranker.weights
    assert ranker.confidence(VECTOR) == pytest.approx(1 / (1 + math.exp(-w.steepness * (ranker.evidence(VECTOR) - w.midpoint))))
    at_midpoint = Features(**{**dict.fromkeys(FEATURES, 0.0), "overlap": w.midpoint / w.evidence.overlap})
    assert ranker.confidence(at_midpoint) == pytest.approx(0.5)
    assert ranker.decide(at_midpoint, 0.5 - 1e-9).answered and not ranker.decide(at_midpoint, 0.6).answered
    nothing = ranker.decide(None, 0.0)
    assert (nothing.confidence, nothing.answered) == (0.0, False)


DOC = Document(doc_id="d", title="재단 소식", text="재단은 2016년 설립되었다. 재단은 2019년 서울로 이전했다.")


def test_the_answerer_ranks_with_the_weights_it_is_given():
    hits = [SearchHit(chunk=Chunk("d", 0, len(DOC.text), DOC.text), title=DOC.title, score=1.0,
                      dense_score=None, bm25_score=None)]
    question = "재단은 몇 년에 설립되었나?"
    assert Answerer().answer(question, hits, {"d": DOC}).answer == "2016년"
    # The same weights but for one that now punishes the asked verb right after a span.
    data = default_weights().to_dict()
    data["score"]["predicate_near"] = -10.0
    answerer = Answerer(AnswererConfig(weights=Weights.from_dict(data), threshold=0.0))
    assert answerer.answer(question, hits, {"d": DOC}).answer == "2019년"
