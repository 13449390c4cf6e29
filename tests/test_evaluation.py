import json

import pytest

from rag.answer.models import Answer, Citation
from rag.documents import Chunk, Document
from rag.evaluation import (
    EvalQuestion, ask_all, calibrate, citation_violations, contains_answer, first_relevant_rank, load_eval_set,
    percentile, summarize_answers, summarize_ranks,
)
from rag.retrieval import SearchHit
from rag.splits import assign_parts, groups, mismatches, select_part, write_parts

from conftest import ROOT


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


def test_summaries():
    metrics = summarize_ranks([1, 3, None, 6], ks=(1, 5))
    assert metrics == {"recall@1": 0.25, "recall@5": 0.5, "mrr": pytest.approx((1 + 1 / 3 + 1 / 6) / 4)}
    assert percentile([5, 1, 3, 2, 4], 50) == 3 and percentile([], 95) == 0.0


def test_eval_set_loading(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"id": 1, "question": "q?", "answers": ["a"], "answerable": True}) + "\n\n"
                    + json.dumps({"id": "u", "question": "q2?", "answers": []}) + "\n", encoding="utf-8")
    questions = load_eval_set(path)
    assert [(q.id, q.answerable) for q in questions] == [("1", True), ("u", False)]
    path.write_text("{not json}\n")
    with pytest.raises(ValueError, match="s.jsonl:1"):
        load_eval_set(path)


# -- answers ---------------------------------------------------------------------------

DOC = Document(doc_id="d", title="재단 소식", text="재단 소식\n\n이 재단은 2016년 설립 이래 혁신에 기여했다.")
SENTENCE = (DOC.text.index("이 재단은"), len(DOC.text))


def _answer(text, confidence=0.9, qid="q", span=SENTENCE, abstained=None):
    citations = [] if text is None else [
        Citation(doc_id="d", title=DOC.title, start=span[0], end=span[1], quote=DOC.text[span[0]:span[1]], score=1.0)
    ]
    return Answer(id=qid, question="재단은 언제 설립되었나?", answer=text, answer_type="date",
                  abstained=text is None if abstained is None else abstained, confidence=confidence,
                  citations=citations)


def _question(qid, answers):
    return EvalQuestion(id=qid, question="?", answers=tuple(answers), answerable=bool(answers))


def test_a_sound_answer_and_an_abstention_break_no_invariant():
    assert citation_violations(_answer("2016년"), {"d": DOC}) == []
    assert citation_violations(_answer(None), {"d": DOC}) == []


def test_each_broken_citation_invariant_is_reported():
    shifted = _answer("2016년")
    shifted.citations[0].start += 1
    assert "is not d[" in " ".join(citation_violations(shifted, {"d": DOC}))
    assert "unknown document" in citation_violations(_answer("2016년"), {})[0]
    assert "not in the first citation" in citation_violations(_answer("2017년"), {"d": DOC})[0]
    assert "abstained=True" in citation_violations(_answer("2016년", abstained=True), {"d": DOC})[0]
    whole = _answer("2016년", span=(0, len(DOC.text)))
    assert "line break" in citation_violations(whole, {"d": DOC})[0]


def test_answer_metrics_count_exact_matches_citations_and_abstentions():
    questions = [_question("right", ["2016년"]), _question("close", ["2016년 설립"]), _question("refused", ["2016년"]),
                 _question("u1", []), _question("u2", [])]
    replies = {"right": _answer("2016년"), "close": _answer("2016년"), "refused": _answer(None),
               "u1": _answer(None), "u2": _answer("2016년")}
    outcomes = ask_all(lambda question, question_id: replies[question_id], questions)
    report = summarize_answers(outcomes, {"d": DOC})
    metrics = report.metrics
    assert metrics["exact_match"] == pytest.approx(1 / 3)
    assert metrics["f1"] == pytest.approx((1 + 10 / 12 + 0) / 3)  # "2016년" against "2016년 설립": P 1, R 5/7
    assert metrics["citation_hit"] == pytest.approx(2 / 3)  # the abstention cites nothing
    assert metrics["abstention_recall"] == 0.5 and metrics["false_refusals"] == pytest.approx(1 / 3)
    assert metrics["answered"] == 0.6 and metrics["precision"] == pytest.approx(1 / 3)
    assert metrics["invariant_violations"] == 0 and report.violations == []
    assert report.errors == {"wrong": ["close"], "refused": ["refused"], "answered_unanswerable": ["u2"]}
    assert set(report.latency_ms) == {"median", "p95"}


def test_calibration_picks_the_centre_of_the_widest_best_run():
    questions = [_question("a", ["2016년"]), _question("b", ["2016년"]), _question("u", [])]
    confidences = {"a": 0.9, "b": 0.3, "u": 0.5}
    outcomes = ask_all(lambda question, question_id: _answer("2016년", confidences[question_id]), questions)
    rows, best = calibrate(outcomes, thresholds=(0.0, 0.2, 0.4, 0.6, 0.8, 0.95))
    by_threshold = {row.threshold: row.metrics for row in rows}
    assert by_threshold[0.0]["answered"] == 1.0 and by_threshold[0.0]["abstention_recall"] == 0.0
    assert by_threshold[0.4]["false_refusals"] == 0.5 and by_threshold[0.4]["correct"] == pytest.approx(1 / 3)
    # Two runs get 2 of 3 right: 0.0–0.2 (a and b right, u answered) and 0.6–0.8 (a right, b and u refused);
    # of equally wide runs the higher one wins, and of an even run the higher centre.
    assert [row.threshold for row in rows if row.metrics["correct"] == pytest.approx(2 / 3)] == [0.0, 0.2, 0.6, 0.8]
    assert by_threshold[0.6]["precision"] == 1.0 and by_threshold[0.95]["answered"] == 0.0
    assert best.threshold == 0.8
    _, best = calibrate(outcomes, thresholds=(0.0, 0.4, 0.55, 0.7, 0.8, 0.95))
    assert best.threshold == 0.7  # the centre of the widest run, 0.55–0.8


# -- the tune/report split ---------------------------------------------------------------

DEV_SETS = ["article_dev", "statute_dev"]


def _rows(name):
    return [json.loads(line) for line in (ROOT / "eval" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("name", DEV_SETS)
def test_dev_set_parts_are_the_rules(name):
    assert mismatches(ROOT / "eval" / f"{name}.jsonl") == []


@pytest.mark.parametrize("name", DEV_SETS)
def test_dev_set_halves_keep_paraphrases_together_and_are_balanced(name):
    # Checked on the raw rows, not through rag.splits, so a wrong rule fails here too.
    rows = _rows(name)
    part_of_answer = {}
    for row in rows:
        for answer in (row["answers"] if row["answerable"] else []):
            key = "".join(answer.split())
            assert part_of_answer.setdefault(key, row["part"]) == row["part"], f"{row['id']} straddles on {answer!r}"
    for part in ("tune", "report"):
        half = [row for row in rows if row["part"] == part]
        assert len(half) >= 0.4 * len(rows), part
        assert sum(1 for row in half if not row["answerable"]) >= 4, part


def test_split_groups_shared_answers_transitively_and_alternates_each_kind():
    questions = [_question("a", ["x"]), _question("b", ["y", " x"]), _question("c", ["y"]), _question("d", ["z"]),
                 *(_question(f"u{n}", []) for n in range(4))]
    assert groups(questions) == [["a", "b", "c"], ["d"], ["u0"], ["u1"], ["u2"], ["u3"]]
    parts = assign_parts(questions)
    assert parts["a"] == parts["b"] == parts["c"] != parts["d"]
    assert sorted(parts[f"u{n}"] for n in range(4)) == ["report", "report", "tune", "tune"]
    # Each kind alternates on its own: unanswerable questions do not shift the answerable ones.
    assert assign_parts(questions[:4]) == {i: parts[i] for i in "abcd"}
    with pytest.raises(ValueError, match="duplicate"):
        groups([_question("a", ["x"]), _question("a", ["y"])])


def test_split_parts_are_recorded_and_selected(tmp_path):
    path = tmp_path / "s.jsonl"
    rows = [{"id": "a", "question": "q1?", "answers": ["x"], "answerable": True, "note": 1},
            {"id": "b", "question": "q2?", "answers": ["y"], "answerable": True},
            {"id": "u", "question": "q3?", "answers": [], "answerable": False}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    unsplit = load_eval_set(path)
    assert select_part(unsplit, "all") == unsplit
    with pytest.raises(ValueError, match="--part all"):
        select_part(unsplit, "report")
    assert len(mismatches(path)) == 3
    write_parts(path)
    written = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [{k: v for k, v in row.items() if k != "part"} for row in written] == rows
    assert mismatches(path) == []
    questions = load_eval_set(path)
    report = select_part(questions, "report")
    tune = select_part(questions, "tune")
    assert {q.id for q in report} | {q.id for q in tune} == {"a", "b", "u"} and not {q.id for q in report} & {q.id for q in tune}
    assert all(q.part == "report" for q in report)
    with pytest.raises(ValueError, match="part must be one of"):
        select_part(questions, "dev")
    path.write_text(json.dumps({**rows[0], "part": "test"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="s.jsonl:1: part must be"):
        load_eval_set(path)


# -- every dev-set answer, with the real model ---------------------------------------------


@pytest.fixture(scope="module")
def dev_pipeline(tmp_path_factory):
    """The bundled article and the AI statutes, in a real index on disk."""
    from rag.loaders import load_path
    from rag.pipeline import Pipeline
    from rag.settings import Settings

    pipeline = Pipeline.from_config(Settings(index_dir=tmp_path_factory.mktemp("dev") / "index"))
    pipeline.add_documents(load_path(ROOT / "corpus" / "news") + load_path(ROOT / "corpus" / "laws"))
    return pipeline


#: Answer types that are values, not names of things.
_VALUES = frozenset({"date", "time", "number", "quantity", "money", "law_reference"})


def _check_every_answer(pipeline, name: str) -> None:
    from rag.answer.fit import COMPATIBLE
    from rag.korquad import produced_type

    questions = load_eval_set(ROOT / "eval" / f"{name}.jsonl")
    outcomes = ask_all(pipeline.ask, questions)
    assert [o.answer.id for o in outcomes] == [q.id for q in questions]
    report = summarize_answers(outcomes, pipeline.index.documents)
    assert report.violations == [] and report.metrics["invariant_violations"] == 0
    # A short answer that is a value (a date, a count, 제1조) is one the question asked for.
    for outcome in outcomes:
        answer = outcome.answer
        if answer.answer_kind == "short" and not answer.abstained:
            produced = produced_type(answer, pipeline.index.documents)
            assert produced not in _VALUES or produced == answer.answer_type \
                or produced in COMPATIBLE.get(answer.answer_type, frozenset()), (answer.question, answer.answer, produced)


@pytest.mark.slow
def test_citation_invariants_hold_for_every_article_dev_answer(dev_pipeline):
    _check_every_answer(dev_pipeline, "article_dev")


@pytest.mark.slow
def test_citation_invariants_hold_for_every_statute_dev_answer(dev_pipeline):
    _check_every_answer(dev_pipeline, "statute_dev")


def test_a_list_answer_may_quote_its_item_lines_and_its_items_must_be_spans_of_that_quote():
    from rag.answer.models import Citation, Item

    text = "법\n\n기관은 다음 각 호의 조치를 하여야 한다.\n  1. 상담\n  2. 교육"
    doc = Document(doc_id="l", title="법", text=text)
    start = text.index("기관은")
    quote = text[start:]
    first = text.index("1. 상담")
    items = [Item(start=first, end=first + 5, text="1. 상담")]
    answer = Answer(question="?", answer=quote, answer_type="other", answer_kind="list", items=items,
                    abstained=False, confidence=0.5,
                    citations=[Citation(doc_id="l", title="법", start=start, end=len(text), quote=quote, score=1.0)])
    assert citation_violations(answer, {"l": doc}) == []
    wrong = answer.model_copy(update={"items": [Item(start=first + 1, end=first + 5, text="1. 상담")]})
    assert "item" in citation_violations(wrong, {"l": doc})[0]
    plain = answer.model_copy(update={"items": []})
    assert "line break" in citation_violations(plain, {"l": doc})[0]
