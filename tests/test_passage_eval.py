"""Per-kind scoring of passage sets: key phrases, exact short answers, sections, abstention."""

from __future__ import annotations

import json

import pytest

from rag.answer.models import Answer, Citation
from rag.evaluation import EvalQuestion
from rag.passage_eval import PassageGold, load_passage_gold, reliability, score_kinds


def _answer(text, section="제2조제1항", doc_id="act"):
    if text is None:
        return Answer(question="q", answer=None, answer_type="other", abstained=True, confidence=0.1, citations=[])
    citation = Citation(doc_id=doc_id, title="t", start=0, end=len(text), quote=text, section=section, score=1.0)
    return Answer(question="q", answer=text, answer_type="other", abstained=False, confidence=0.9,
                  citations=[citation])


GOLD = {
    "d1": PassageGold("definition", "act", "제2조", ("정보를 처리하는", "체계를 말한다")),
    "d2": PassageGold("definition", "act", "제2조", ("정보를 처리하는", "체계를 말한다")),
    "s1": PassageGold("short", "act", "제5조제1항"),
    "u1": PassageGold("unanswerable"),
}
QUESTIONS = [EvalQuestion(id="d1", question="q", answers=(), answerable=True),
             EvalQuestion(id="d2", question="q", answers=(), answerable=True),
             EvalQuestion(id="s1", question="q", answers=("3년",), answerable=True),
             EvalQuestion(id="u1", question="q", answers=(), answerable=False)]


def test_each_kind_is_scored_by_what_it_asks_for():
    answers = [_answer("“정보체계”란 정보를  처리하는 체계를 말한다"),  # whitespace-insensitive phrases
               _answer("정보", section="제3조"),  # a fragment elsewhere: answered, wrong
               _answer("3년", section="제5조제1항"), _answer(None)]
    kinds = score_kinds(QUESTIONS, answers, GOLD)
    assert kinds["definition"] == {"questions": 2, "answered": 1.0, "key_phrases": 0.5, "section_hit": 0.5,
                                   "false_refusals": 0.0, "answer_chars": pytest.approx((25 + 2) / 2),
                                   # Both at confidence 0.9, one right: |0.9 - 0.5|.
                                   "ece": pytest.approx(0.4)}
    assert kinds["short"]["exact_match"] == 1.0 and "key_phrases" not in kinds["short"]
    assert kinds["unanswerable"] == {"questions": 1, "answered": 0.0, "abstention_recall": 1.0}
    assert kinds["all"]["questions"] == 4 and kinds["all"]["section_hit"] == pytest.approx(2 / 3)


def test_the_reliability_table_bins_the_answers_given_by_confidence():
    answers = [_answer("“정보체계”란 정보를  처리하는 체계를 말한다"), _answer("정보", section="제3조"),
               _answer("3년", section="제5조제1항"), _answer(None)]
    table = reliability(QUESTIONS, answers, GOLD)
    assert table == [{"from": 0.9, "to": 1.0, "answers": 3, "confidence": pytest.approx(0.9),
                      "right": pytest.approx(2 / 3)}]


def test_a_refusal_scores_nothing_and_counts_as_a_false_refusal():
    kinds = score_kinds(QUESTIONS[:1], [_answer(None)], GOLD)
    assert kinds["definition"]["key_phrases"] == 0.0 and kinds["definition"]["false_refusals"] == 1.0


def test_gold_loads_from_rows_with_kinds_only(tmp_path):
    rows = [{"id": "a", "question": "q", "kind": "purpose", "answerable": True, "answers": [],
             "gold": {"doc_id": "act", "section": "제1조", "key_phrases": ["목적으로 한다"]}},
            {"id": "b", "question": "q", "kind": "unanswerable", "answerable": False, "answers": [], "gold": None}]
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    gold = load_passage_gold(path)
    assert gold["a"].article == ("act", "제1조") and gold["a"].key_phrases == ("목적으로 한다",)
    assert gold["b"] == PassageGold("unanswerable") and gold["b"].article is None
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps({"id": "x", "question": "q", "answers": ["y"], "answerable": True}) + "\n")
    assert load_passage_gold(plain) is None
