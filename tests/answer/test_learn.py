"""Learning the ranker's weights: examples, fitting, the weights file and RAG_ANSWER_WEIGHTS (fast)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pytest

from rag.answer.answerer import Answerer, AnswererConfig
from rag.answer.examples import Asked, Question, collect, label
from rag.answer.features import FEATURES, Features
from rag.answer.learn import (balance, best_index, calibration_rows, cross_validate, expected_calibration_error,
                              fit, recalibrate, refusal_threshold, weights_from)
from rag.answer.ranker import Ranker, Weights, default_weights
from rag.documents import Chunk, Document
from rag.mentions import Mentions
from rag.answerers import build_answerer
from rag.retrieval import SearchHit
from rag.settings import Settings

DOCS = {
    "a": Document(doc_id="a", title="재단 소식",
                  text="재단 소식\n\n이 재단은 2016년 설립 이래 혁신에 기여했다. 김만기 서울AI재단 이사장은 인사말을 했다."),
    "b": Document(doc_id="b", title="구청 소식",
                  text="구청 소식\n\n축제에는 주민 200여명이 참석했고 부스는 12곳이 운영됐다. 행사는 5일 오전 10시 시작했다."),
}
QUESTIONS = [
    Question("재단은 몇 년에 설립되었나?", ("2016년",), "g1", "korquad", gold_doc="a"),
    Question("서울AI재단 이사장은 누구인가?", ("김만기",), "g1", "korquad", gold_doc="a"),
    Question("축제에 참석한 주민은 몇 명인가?", ("200여명",), "g2", "korquad", gold_doc="b"),
    Question("부스는 몇 곳이 운영됐나?", ("12곳",), "g2", "korquad", gold_doc="b"),
    Question("행사는 며칠에 시작했나?", ("5일",), "g3", "korquad", gold_doc="b"),
    Question("재단의 예산은 얼마인가?", (), "g4", "article_dev"),
]


@dataclass
class _Retrieved:
    hits: list[SearchHit]
    documents: dict[str, Document]
    mentions: Mentions = field(default_factory=Mentions)


def _hit(doc: Document) -> SearchHit:
    return SearchHit(chunk=Chunk(doc.doc_id, 0, len(doc.text), doc.text), title=doc.title, score=1.0,
                     dense_score=None, bm25_score=None)


def _retrieve(question: str, k: int) -> _Retrieved:
    """Both documents, the one sharing more characters with the question first (a stand-in for retrieval)."""
    ranked = sorted(DOCS.values(), key=lambda d: -len(set(question) & set(d.text)))
    return _Retrieved([_hit(d) for d in ranked][:k], DOCS)


def test_candidates_are_what_answer_ranks():
    answerer = Answerer()
    question = "재단은 몇 년에 설립되었나?"
    retrieved = _retrieve(question, 5)
    pairs = answerer.candidates(question, retrieved.hits, DOCS)
    assert pairs, "the evidence has candidates"
    scores = [answerer.ranker.score(f) for _, f in pairs]
    best = pairs[scores.index(max(scores))][0]
    answer = answerer.answer(question, retrieved.hits, DOCS, threshold=0.0)
    assert answer.answer == best.text


def test_labels_compare_without_whitespace():
    assert label("2016 년", ("2016년",)) == 1
    assert label("2016", ("2016년",)) == 0
    assert label("무엇", ()) == 0


def test_collect_labels_candidates_and_asks_a_share_without_the_gold_document():
    examples = collect(_retrieve, Answerer(), QUESTIONS, withheld_share=1.0, seed=0)
    kept = [a for a in examples.asked if not a.withheld]
    assert len(kept) == len(QUESTIONS)
    assert examples.count(withheld=True) == sum(q.gold_doc is not None for q in QUESTIONS)
    first = kept[0]
    assert len(first.features) == len(first.labels) and sum(first.labels) >= 1
    assert not kept[-1].answerable  # no gold answer: every candidate is wrong
    for a in examples.asked:
        if a.withheld:
            # Without document "a", "2016년" and "김만기" are nowhere to be read.
            assert a.question.gold_doc != "a" or not a.answerable


def _rows(seed: int) -> list[Asked]:
    """Synthetic askings: the right candidate has more overlap and proximity, wrong ones more rank_prior."""
    rng = np.random.default_rng(seed)
    asked = []
    for q in range(40):
        features, labels = [], []
        for c in range(6):
            right = c == q % 6
            values = dict.fromkeys(FEATURES, 0.0)
            values.update(overlap=rng.uniform(0.6, 1.0) if right else rng.uniform(0.0, 0.5),
                          proximity=rng.uniform(0.3, 0.6) if right else rng.uniform(0.0, 0.4),
                          rank_prior=rng.uniform(0.0, 1.0), type_fit=1.0)
            features.append(Features(**values))
            labels.append(int(right and q % 5 != 0))  # every fifth question: the answer is not there
        asked.append(Asked(Question(f"q{q}", ("x",), f"g{q % 8}", "korquad"), features, labels))
    return asked


def test_fitting_twice_gives_identical_weights_and_ranks_the_positive_first():
    asked = _rows(0)
    first = weights_from(*fit(asked), "learned: test")
    second = weights_from(*fit(_rows(0)), "learned: test")
    assert first == second
    ranker = Ranker(first)
    assert first.score.overlap > 0 and first.steepness == 1.0
    for a in asked:
        if a.answerable:
            scores = [ranker.score(f) for f in a.features]
            assert a.labels[scores.index(max(scores))] == 1, a.question.text


def test_the_calibrator_is_the_confidence_and_is_calibrated_on_its_rows():
    asked = _rows(1)
    weights = weights_from(*fit(asked), "learned: test")
    ranker = Ranker(weights)
    best = [a.features[best_index(a.features, np.asarray(weights.score))] for a in asked]
    confidence = np.asarray([ranker.confidence(f) for f in best])
    truth = np.asarray([a.labels[best_index(a.features, np.asarray(weights.score))] for a in asked])
    # A logistic regression with an intercept matches the base rate on its own rows.
    assert confidence.mean() == pytest.approx(truth.mean(), abs=0.02)
    assert expected_calibration_error(confidence, truth) < 0.2


def test_weights_file_round_trips_with_its_metadata(tmp_path):
    asked = _rows(2)
    cv = cross_validate(asked, default_weights(), folds=4)
    weights = weights_from(*fit(asked), "learned: test", "a note", {"seed": 0, "cv": cv})
    path = tmp_path / "weights.json"
    weights.save(path)
    loaded = Weights.load(path)
    assert loaded == weights
    assert json.loads(path.read_text(encoding="utf-8"))["source"] == "learned: test"
    assert set(cv["top1"]) == {"all", "korquad"} and cv["top1"]["all"]["questions"] == len(asked)


def test_the_learned_threshold_refuses_few_right_answers_and_the_answerer_takes_it():
    confidence = np.asarray([0.05, 0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] + [0.95] * 29)
    right = np.asarray([0, 0, 0, 1, 0, 1] + [1] * 34)
    chosen = refusal_threshold(confidence, right, share=0.05)
    assert chosen == 0.4  # one of the 36 right answers (under 5 %) falls under it
    assert (confidence[right == 1] < chosen).mean() <= 0.05 and (confidence[right == 0] < chosen).all()
    asked = _rows(2)
    cv = cross_validate(asked, default_weights(), folds=4, keep_score=True)
    assert 0.0 <= cv["threshold"]["chosen"] <= 1.0 and cv["threshold"]["right_refused"] <= 0.05
    weights = weights_from(*fit(asked), "learned: test", threshold=cv["threshold"]["chosen"])
    assert AnswererConfig(weights=weights).threshold == weights.threshold == round(cv["threshold"]["chosen"], 6)
    assert AnswererConfig(weights=weights, threshold=0.9).threshold == 0.9
    assert AnswererConfig().threshold == default_weights().threshold  # the served file's own


def test_balance_gives_the_minority_its_share():
    questions = [Question("k", (), "g", "korquad")] * 90 + [Question("c", (), "h", "article_dev")] * 10
    weighted = balance(questions, share=0.2)
    civic = sum(q.weight for q in weighted if q.source != "korquad")
    assert civic / sum(q.weight for q in weighted) == pytest.approx(0.2)


def test_the_answer_weights_setting_is_honoured(tmp_path, monkeypatch):
    data = default_weights().to_dict()
    data["source"] = "test weights"
    data["confidence"]["midpoint"] = 1e6  # nothing is ever confident enough
    path = tmp_path / "w.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("RAG_ANSWER_WEIGHTS", str(path))
    settings = Settings(reader="rules")
    assert settings.answer_weights == path
    answerer = build_answerer(settings)
    assert answerer.config.weights.source == "test weights"
    question = "재단은 몇 년에 설립되었나?"
    assert answerer.answer(question, _retrieve(question, 5).hits, DOCS).abstained
    monkeypatch.delenv("RAG_ANSWER_WEIGHTS")
    default = build_answerer(Settings(reader="rules"))
    assert default.config.weights == default_weights()
    assert not default.answer(question, _retrieve(question, 5).hits, DOCS).abstained
    assert AnswererConfig().weights == default_weights()


def test_train_offers_the_chooser_and_the_answerer():
    from typer.testing import CliRunner

    from rag.cli import app

    result = CliRunner().invoke(app, ["train", "--help"])
    assert result.exit_code == 0
    assert "chooser" in result.output and "answerer" in result.output
    result = CliRunner().invoke(app, ["train", "answerer", "--korquad", "/nonexistent.json"])
    assert result.exit_code == 2
    # Refitting the confidence needs no KorQuAD: what it misses then is the corpus.
    result = CliRunner().invoke(app, ["train", "answerer", "--recalibrate", "--korquad", "/nonexistent.json",
                                      "--corpus", "/nonexistent-corpus"])
    assert result.exit_code == 2 and "documents not found" in result.output


def test_refitting_the_confidence_asks_the_civic_questions_without_a_korquad_index():
    from types import SimpleNamespace

    from rag.answer.training import WITHHELD_SHARE, ask_all

    civic = [q for q in QUESTIONS if q.source != "korquad"]
    pipeline = SimpleNamespace(retrieve=_retrieve, settings=Settings())
    asked = ask_all(None, pipeline, [], civic, seed=7).asked
    assert [a.question.text for a in asked] == [q.text for q in civic]
    assert asked == collect(_retrieve, Answerer(AnswererConfig(hits=Settings().answer_hits)), civic, WITHHELD_SHARE, 7).asked


def test_a_given_score_is_kept_and_only_the_calibrator_is_fitted():
    asked = _rows(3)
    kept = np.asarray(default_weights().score, dtype=float)
    score, evidence, intercept = fit(asked, kept)
    assert np.array_equal(score, kept)
    assert np.any(evidence != 0)
    cv = cross_validate(asked, default_weights(), folds=4, keep_score=True)
    assert cv["score"] == "baseline" and cv["top1"]["all"]["learned"] == cv["top1"]["all"]["hand"]


def test_collected_examples_fit_the_same_weights_twice_and_after_a_round_trip(tmp_path):
    from rag.answer.examples import load, save

    first = collect(_retrieve, Answerer(), QUESTIONS, withheld_share=0.5, seed=7)
    second = collect(_retrieve, Answerer(), QUESTIONS, withheld_share=0.5, seed=7)
    assert [a.labels for a in first.asked] == [a.labels for a in second.asked]
    path = tmp_path / "examples.npz"
    save(first, path)
    reloaded = load(path)
    assert [(a.question, a.features, a.labels, a.withheld) for a in reloaded.asked] == \
        [(a.question, a.features, a.labels, a.withheld) for a in first.asked]
    fitted = [weights_from(*fit(e.asked), "learned: test") for e in (first, second, reloaded)]
    assert fitted[0] == fitted[1] == fitted[2]


def _graded(seed: int, source: str = "civic_shorts") -> list[Asked]:
    """Synthetic askings whose best candidate (by overlap) is right with probability its overlap."""
    rng = np.random.default_rng(seed)
    asked = []
    for q in range(300):
        overlap = rng.uniform(0.0, 1.0)
        best = Features(**{**dict.fromkeys(FEATURES, 0.0), "overlap": overlap})
        other = Features(**{**dict.fromkeys(FEATURES, 0.0), "overlap": overlap / 2})
        asked.append(Asked(Question(f"q{q}", ("x",), f"g{q % 10}", source), [best, other],
                           [int(rng.uniform() < overlap), 0]))
    return asked


def _overconfident() -> Weights:
    """Weights that rank by overlap and answer with a steep logistic of it, as the hand-set ones do."""
    base = dict.fromkeys(FEATURES, 0.0)
    return Weights(score=Features(**{**base, "overlap": 1.0}), evidence=Features(**{**base, "overlap": 1.0}),
                   midpoint=0.3, steepness=40.0, source="hand-set", threshold=0.5)


def test_recalibrating_keeps_every_decision_and_makes_the_confidence_the_share_right():
    asked = _graded(4)
    before = _overconfident()
    after = recalibrate(asked, before)
    assert (after.score, after.evidence, after.source) == (before.score, before.evidence, before.source)
    x, truth, _ = calibration_rows(asked, np.asarray(before.score, dtype=float))
    old, new = Ranker(before), Ranker(after)
    best = [Features(*row) for row in x]
    assert [old.decide(f, before.threshold).answered for f in best] == \
        [new.decide(f, after.threshold).answered for f in best]
    assert any(not old.decide(f, before.threshold).answered for f in best)  # the cut is inside the rows
    ece = [expected_calibration_error(np.asarray([r.confidence(f) for f in best]), truth) for r in (old, new)]
    assert ece[1] < 0.5 * ece[0], ece
    assert recalibrate(asked, after).threshold == pytest.approx(after.threshold, abs=1e-5)  # refitting again moves nothing


def test_recalibrated_weights_name_their_source_and_cross_validated_figures():
    from rag.answer.examples import Examples
    from rag.answer.training import recalibrated

    civic, korquad = _graded(5), _graded(6, "korquad")
    weights = recalibrated(Examples(civic + korquad), _overconfident(), {"command": "rag train answerer --recalibrate"})
    assert weights.source == "hand-set; confidence refitted: rag train answerer --recalibrate"
    calibration = weights.meta["cv"]["calibration"]
    assert calibration["recalibrated"]["ece"] < calibration["hand"]["ece"]
    assert weights.meta["questions"] == {"civic_shorts": len(civic)}  # KorQuAD's are left out
    assert (weights.midpoint, weights.steepness) == (recalibrate(civic, _overconfident()).midpoint,
                                                     recalibrate(civic, _overconfident()).steepness)

