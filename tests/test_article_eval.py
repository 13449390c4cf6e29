"""Article-level evaluation: ranks count articles, gold files resolve to indexed ids."""

from __future__ import annotations

import math

import pytest

from rag.answer.models import Answer, Citation
from rag.article_eval import (article_metrics, article_of, evaluate_articles, expand_by_references, ranked_articles,
                              resolve_gold, first_citation_hit)
from rag.documents import Chunk
from rag.evaluation import EvalQuestion
from rag.loaders import load_file
from rag.retrieval import SearchHit
from statutes import indexed_statute


def _hit(doc_id, section, start=0):
    return SearchHit(Chunk(doc_id=doc_id, start=start, end=start + 1, text="x", section=section), "t", 1.0, None, None)


def test_article_of_a_section_label():
    assert article_of("제6조의3제1항") == "제6조의3"
    assert article_of("제15조") == "제15조"
    assert article_of(None) is None and article_of("부칙") is None


def test_chunks_of_one_article_are_one_result_and_prose_chunks_their_own():
    hits = [_hit("act", "제15조제1항"), _hit("act", "제15조제2항"), _hit("news", None, 0), _hit("news", None, 500),
            _hit("act", "제3조")]
    assert ranked_articles(hits) == [("act", "제15조"), ("news", "@0"), ("news", "@500"), ("act", "제3조")]


def test_metrics_count_the_first_gold_article_and_ndcg_all_of_them():
    ranking = [("a", "제1조"), ("a", "제2조"), ("a", "제3조")]
    metrics = article_metrics([ranking, ranking], [frozenset({("a", "제2조")}), frozenset({("b", "제9조")})], ks=(1, 5))
    assert metrics["recall@1"] == 0.0 and metrics["recall@5"] == 0.5
    assert metrics["mrr"] == pytest.approx(0.25)
    assert metrics["ndcg@10"] == pytest.approx((1 / math.log2(3)) / 2)
    both = article_metrics([ranking], [frozenset({("a", "제1조"), ("a", "제3조")})])
    assert both["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))


STATUTE = """# 시험법

##### 제1조 (목적)

이 법은 시험 제도를 정함을 목적으로 한다.

##### 제2조 (응시료)

응시료는 만 원으로 한다. 응시자는 시험일 7일 전까지 응시료를 내야 한다.
"""


def test_gold_resolves_to_the_ids_the_loader_gives_and_an_unknown_file_is_an_error(tmp_path):
    folder = tmp_path / "laws"
    folder.mkdir()
    (folder / "exam_act.md").write_text(STATUTE, encoding="utf-8")
    load = lambda path: load_file(path).doc_id  # noqa: E731 - the id the index would hold
    gold = resolve_gold({"q1": ("laws/exam_act.md#제2조",), "q2": ()}, [folder], load)
    assert gold == {"q1": frozenset({("exam-act", "제2조")}), "q2": frozenset()}
    with pytest.raises(FileNotFoundError, match="other/x.md"):
        resolve_gold({"q": ("other/x.md#제1조",)}, [folder], load)


def test_a_real_index_finds_the_governing_article(tmp_path, fake_embedder):
    pipeline, document = indexed_statute(tmp_path, fake_embedder, STATUTE)
    questions = [EvalQuestion(id="q", question="응시료는 언제까지 내야 하나요?", answers=(), answerable=True),
                 EvalQuestion(id="n", question="주차장은 몇 대까지 되나요?", answers=(), answerable=False)]
    gold = {"q": frozenset({(document.doc_id, "제2조")}), "n": frozenset()}
    report = evaluate_articles(pipeline.search, questions, gold)
    assert report.questions == 1 and report.metrics["bm25"]["recall@1"] == 1.0
    assert set(report.metrics) == {"dense", "bm25", "hybrid"} and report.misses == []
    with_units = evaluate_articles(pipeline.search, questions, gold, articles=pipeline.search_articles)
    assert set(with_units.metrics) == {"dense", "bm25", "hybrid", "articles"}
    assert with_units.metrics["articles"]["recall@5"] == 1.0
    expanded = evaluate_articles(pipeline.search, questions, gold, articles=pipeline.search_articles,
                                 graph=pipeline.index.references)
    assert set(expanded.metrics) == {"dense", "bm25", "hybrid", "articles", "graph"}
    assert expanded.metrics["graph"]["recall@5"] == 1.0


def test_expansion_pulls_in_what_the_first_articles_reference_below_them():
    from rag.references import ReferenceGraph

    # 제1조 of the act cites 제9조; 제3조 of the decree implements the act's 제1조; 제5조 cites 제8조
    # but ranks fourth, too low to pull anything in.
    graph = ReferenceGraph(cites={("act", "제1조"): frozenset({("act", "제9조")}),
                                  ("decree", "제3조"): frozenset({("act", "제1조")}),
                                  ("act", "제5조"): frozenset({("act", "제8조")})},
                           cited_by={("act", "제9조"): frozenset({("act", "제1조")}),
                                     ("act", "제1조"): frozenset({("decree", "제3조")}),
                                     ("act", "제8조"): frozenset({("act", "제5조")})})
    ranking = [("act", "제1조"), ("act", "제2조"), ("act", "제4조"), ("act", "제5조"), ("act", "제9조")]
    expanded = expand_by_references(ranking, graph)
    assert expanded[0] == ("act", "제1조")
    assert ("decree", "제3조") in expanded and ("act", "제8조") not in expanded
    # Found and pulled in: 제9조 rises above the articles found alone that it ranked under.
    assert expanded.index(("act", "제9조")) < expanded.index(("act", "제5조"))
    assert expand_by_references(ranking, ReferenceGraph()) == ranking


def _answer(abstained, doc_id="a", section=None):
    citations = [] if abstained else [Citation(doc_id=doc_id, title="t", start=0, end=1, quote="x", section=section,
                                               score=1.0)]
    return Answer(question="q", answer=None if abstained else "x", answer_type="other", abstained=abstained,
                  confidence=0.0 if abstained else 0.9, citations=citations)


def test_first_citation_hit_counts_answers_cited_in_a_gold_article_and_abstentions_as_misses():
    questions = [EvalQuestion(id=i, question="q", answers=(), answerable=a)
                 for i, a in (("hit", True), ("miss", True), ("refused", True), ("none", False))]
    gold = {"hit": frozenset({("a", "제2조")}), "miss": frozenset({("a", "제2조")}),
            "refused": frozenset({("a", "제2조")}), "none": frozenset()}
    answers = [_answer(False, section="제2조제1항"), _answer(False, section="제3조"), _answer(True),
               _answer(False, section="제2조")]
    assert first_citation_hit(questions, answers, gold) == pytest.approx(1 / 3)
