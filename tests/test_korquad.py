"""KorQuAD as an open-domain benchmark: loading, splits, answering and failure kinds."""

from __future__ import annotations

import json

import pytest

from rag.answer.models import Answer, Citation
from rag.documents import Chunk, Document
from rag.korquad import (FAILURE_KINDS, CandidateRecall, KorQuADQuestion, answer_questions, failure_kind,
                         load_korquad, produced_type, summarize_answers)
from rag.retrieval import SearchHit
from rag.pipeline import Pipeline
from rag.settings import Settings

from conftest import shared_dir


def _write_dataset(path, articles):
    """A file in the KorQuAD 1.0 layout: articles of paragraphs of (question, answer) pairs."""
    data = [{"title": title, "paragraphs": [
        {"context": context, "qas": [{"id": f"{title}-{i}-{j}", "question": q, "answers": [{"text": a, "answer_start": context.index(a)}]}
                                     for j, (q, a) in enumerate(qas)]}
        for i, (context, qas) in enumerate(paragraphs)]} for title, paragraphs in articles]
    path.write_text(json.dumps({"version": "KorQuAD_v1.0_dev", "data": data}, ensure_ascii=False), encoding="utf-8")
    return path


ARTICLES = [
    ("공장", [("이 공장은 1987년 문을 열었다. 공장장은 김영수이다.",
              [("공장은 몇 년에 문을 열었나?", "1987년"), ("공장장은 누구인가?", "김영수")])]),
    ("다리", [("한강 다리는 2001년 완공되었다.", [("한강 다리는 언제 완공되었나?", "2001년")])]),
]


def test_every_paragraph_is_a_document_whatever_the_split(tmp_path):
    path = _write_dataset(tmp_path / "k.json", ARTICLES)
    documents, questions = load_korquad(path, "dev")
    assert [d.doc_id for d in documents] == ["korquad-000-00", "korquad-001-00"]
    assert [q.doc_id for q in questions] == ["korquad-000-00", "korquad-000-00", "korquad-001-00"]
    _, test_questions = load_korquad(path, "test")
    assert test_questions == []  # articles 70–139


def test_missing_data_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="--data"):
        load_korquad(tmp_path / "absent.json")


def test_answering_scores_both_settings_and_names_each_failure(tmp_path, fake_embedder):
    documents, questions = load_korquad(_write_dataset(tmp_path / "k.json", ARTICLES), "all")
    pipeline = Pipeline(Settings(index_dir=tmp_path / "index", answer_threshold=0.0, reader="rules"), fake_embedder)
    pipeline.add_documents(documents)
    records = answer_questions(pipeline, questions)
    assert len(records) == 2 * len(questions)
    assert {r.setting for r in records} == {"open", "reader"}
    assert all(r.kind in FAILURE_KINDS + ("correct",) for r in records)
    reader = {r.id: r for r in records if r.setting == "reader"}
    assert reader["공장-0-0"].answer == "1987년" and reader["공장-0-0"].em == 1.0
    summary = summarize_answers(records)
    assert summary["reader"]["questions"] == 3 and 0.0 <= summary["open"]["f1"] <= 1.0
    assert set(summary["reader"]["failures"]) == set(FAILURE_KINDS)


def _answer(text, doc_id="p", start=0, end=0, quote=""):
    citations = [Citation(doc_id=doc_id, title="t", start=start, end=end, quote=quote, score=1.0)] if text else []
    return Answer(question="q", answer=text, answer_type="date", abstained=text is None, confidence=0.9,
                  citations=citations)


PARAGRAPH = Document(doc_id="p", title="t", text="이 공장은 1987년 문을 열었다. 공장장은 김영수이다.")
QUESTION = KorQuADQuestion(id="q", question="공장은 몇 년에 문을 열었나?", answers=("1987년",), doc_id="p", article=0)
DOCUMENTS = {"p": PARAGRAPH, "o": Document(doc_id="o", title="o", text="다른 문단 2020년")}


@pytest.mark.parametrize(
    ("answer", "retrieved", "abstained", "kind"),
    [
        (_answer("1987년", quote="이 공장은 1987년 문을 열었다."), {"p"}, False, "correct"),
        (_answer("1987년", quote="이 공장은 1987년 문을 열었다."), {"p"}, True, "false_abstention"),
        (_answer("2020년", doc_id="o", start=6, end=11, quote="2020년"), {"o"}, False, "retrieval_miss"),
        (_answer("1987", start=0, end=17, quote="이 공장은 1987년 문을 열었다."), {"p"}, False, "boundary"),
        (_answer("김영수", start=18, end=30, quote="공장장은 김영수이다."), {"p"}, False, "wrong_type"),
        (_answer("2020년", doc_id="o", start=0, end=11, quote="다른 문단 2020년"), {"p", "o"}, False, "wrong_span"),
        (_answer(None), {"p"}, True, "no_answer"),
    ],
)
def test_failure_kinds(answer, retrieved, abstained, kind):
    assert failure_kind(answer, QUESTION, DOCUMENTS, retrieved, abstained) == kind


def test_a_gold_answer_no_candidate_can_be_is_out_of_reach():
    question = KorQuADQuestion(id="q", question="무엇을 열었나?", answers=("을 열",), doc_id="p", article=0)
    assert failure_kind(_answer("공장"), question, DOCUMENTS, {"p"}, False) == "no_candidate"


@pytest.mark.parametrize(
    ("answer", "produced"),
    [
        (_answer("1987년", quote="이 공장은 1987년 문을 열었다."), "date"),  # the type asked
        (_answer("김영수", start=18, end=30, quote="공장장은 김영수이다."), "other"),  # asked a date
        (_answer("공장은 1987", start=0, end=17, quote="이 공장은 1987년 문을 열었다."), "untyped"),
        (_answer(None), "none"),
    ],
)
def test_produced_type_is_the_type_of_the_cited_span(answer, produced):
    assert produced_type(answer, DOCUMENTS) == produced


def _hit(doc_id):
    text = DOCUMENTS[doc_id].text
    return SearchHit(Chunk(doc_id=doc_id, start=0, end=len(text), text=text), "t", 1.0, None, None)


def test_candidate_recall_counts_spans_equal_to_a_gold_answer_with_or_without_particles():
    recall = CandidateRecall()
    assert recall([_hit("p")], DOCUMENTS, ("1987년",)) == "exact"
    assert recall([_hit("o")], DOCUMENTS, ("1987년",)) == "none"  # the evidence read lacks it
    assert recall([_hit("p")], DOCUMENTS, ("1987년에",)) == "stripped"  # gold with a particle the span lacks
    assert recall([_hit("p")], DOCUMENTS, ("1987년 문",)) == "none"  # a longer gold is no particle away
    # KorQuAD's scoring drops quotes and punctuation: chosen, the span would be an exact match.
    assert recall([_hit("p")], DOCUMENTS, ("‘1987년’",)) == "exact"
    assert recall([_hit("p")], DOCUMENTS, ("‘1987년 문’",)) == "none"


def test_summary_reports_candidate_recall_and_the_type_confusion(tmp_path, fake_embedder):
    documents, questions = load_korquad(_write_dataset(tmp_path / "k.json", ARTICLES), "all")
    pipeline = Pipeline(Settings(index_dir=tmp_path / "index", answer_threshold=0.0, reader="rules"), fake_embedder)
    pipeline.add_documents(documents)
    summary = summarize_answers(answer_questions(pipeline, questions))["reader"]
    assert summary["candidate_recall"] == {"exact": 1.0, "stripped": 1.0}
    assert summary["type_confusion"]["date"] == {"date": 2}
    assert sum(summary["type_confusion"]["person"].values()) == 1  # one row per type asked, all questions counted


def test_the_shared_data_splits_articles_0_69_and_70_139():
    path = shared_dir() / "data" / "korquad" / "KorQuAD_v1.0_dev.json"
    if not path.exists():
        pytest.skip(f"KorQuAD not found at {path}; set RAG_SHARED_DIR to the shared data folder")
    documents, dev = load_korquad(path, "dev")
    _, test = load_korquad(path, "test")
    assert len(documents) == 964
    assert {q.article for q in dev} == set(range(70)) and {q.article for q in test} == set(range(70, 140))
    assert len(dev) + len(test) == 5774
