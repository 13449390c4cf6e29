import json

import pytest

from rag.documents import Chunk
from rag.evaluation import (
    check_thresholds, contains_answer, first_relevant_rank, load_eval_config, load_eval_set, percentile,
    summarize_ranks,
)
from rag.retrieval import SearchHit


def _hit(doc_id, text="x"):
    return SearchHit(Chunk(doc_id, 0, len(text), text), "t", 1.0, None, None)


def test_contains_answer_ignores_whitespace_and_unicode_form():
    assert contains_answer("AI 전문가 300여 명이 참석", ["300여명"])
    assert contains_answer("\u1109\u1165\u110b\u116e\u11af", ["서울"])  # decomposed jamo
    assert not contains_answer("2015년", ["2016년"])
    assert not contains_answer("anything", [""])


def test_ranks_by_chunk_and_by_document():
    hits = [_hit("a", "x"), _hit("a", "y"), _hit("b", "z")]
    assert first_relevant_rank(hits, lambda h: h.chunk.doc_id == "b") == 3
    assert first_relevant_rank(hits, lambda h: h.chunk.doc_id == "b", by_document=True) == 2
    assert first_relevant_rank(hits, lambda h: False) is None


def test_summaries_and_thresholds():
    metrics = summarize_ranks([1, 3, None, 6], ks=(1, 5))
    assert metrics == {"recall@1": 0.25, "recall@5": 0.5, "mrr": pytest.approx((1 + 1 / 3 + 1 / 6) / 4)}
    assert check_thresholds({"hybrid": metrics}, {"hybrid.recall@5": 0.5}) == []
    assert check_thresholds({"hybrid": metrics}, {"hybrid.recall@1": 0.9}) == ["hybrid.recall@1 = 0.250 < 0.900"]
    assert "no such metric" in check_thresholds({"hybrid": metrics}, {"hybrid.f1": 0.1})[0]
    assert percentile([5, 1, 3, 2, 4], 50) == 3 and percentile([], 95) == 0.0


def test_eval_set_and_config_loading(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"id": 1, "question": "q?", "answers": ["a"], "answerable": True}) + "\n\n"
                    + json.dumps({"id": "u", "question": "q2?", "answers": []}) + "\n", encoding="utf-8")
    questions = load_eval_set(path)
    assert [(q.id, q.answerable) for q in questions] == [("1", True), ("u", False)]
    (tmp_path / "s.toml").write_text("needs_extra_corpus = true\n[thresholds]\n\"hybrid.recall@5\" = 0.9\n")
    config = load_eval_config(path)
    assert config.needs_extra_corpus and config.thresholds == {"hybrid.recall@5": 0.9}
    path.write_text("{not json}\n")
    with pytest.raises(ValueError, match="s.jsonl:1"):
        load_eval_set(path)
