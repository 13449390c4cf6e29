"""Scoring conversations (rag/dialogue_eval.py) with a stand-in for the pipeline's ask."""

from __future__ import annotations

import json

import pytest

from rag.answer.models import Answer, Citation
from rag.dialogue_eval import evaluate_dialogues, is_dialogue_set, load_dialogues
from rag.documents import Document

TEXT = "제7조(위원회) ② 위원회는 위원장 1명을 포함한 60명 이내의 위원으로 구성한다. ③ 위원장은 대통령이 된다."
DOCS = {"act": Document(doc_id="act", title="인공지능기본법", text=TEXT, kind="statute")}
SET = [
    {"id": "d1", "part": "report", "turns": [
        {"question": "위원회는 몇 명으로 구성되나?", "follow_up": False, "kind": "short", "answerable": True,
         "answers": ["60명 이내"], "gold": {"doc_id": "act", "section": "제7조제2항", "key_phrases": []}},
        {"question": "그럼 위원장은?", "follow_up": True, "kind": "short", "answerable": True,
         "answers": ["대통령"], "gold": {"doc_id": "act", "section": "제7조제3항", "key_phrases": []}},
        {"question": "위원장 연봉은?", "follow_up": True, "kind": "short", "answerable": False,
         "answers": [], "gold": None},
    ]},
]


def _answer(question: str, span: str | None) -> Answer:
    if span is None:
        return Answer(question=question, answer=None, answer_type="other", abstained=True, confidence=0.1)
    start = TEXT.index(span)
    quote = Citation(doc_id="act", title="인공지능기본법", start=start, end=start + len(span), quote=span,
                     section=None, score=1.0)
    return Answer(question=question, answer=span, answer_type="other", abstained=False, confidence=0.9,
                  citations=[quote])


@pytest.fixture
def set_path(tmp_path):
    path = tmp_path / "dialogue.jsonl"
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in SET) + "\n", encoding="utf-8")
    return path


def test_a_dialogue_set_is_told_from_a_question_set(set_path, tmp_path):
    questions = tmp_path / "questions.jsonl"
    questions.write_text('{"id": "q", "question": "?", "answers": []}\n', encoding="utf-8")
    assert is_dialogue_set(set_path) and not is_dialogue_set(questions)


def test_follow_ups_are_scored_with_and_without_their_history(set_path):
    asked = []

    def ask(question, history):
        asked.append((question, len(history)))
        if question.startswith("위원회는"):
            return _answer(question, "60명 이내")
        if question == "그럼 위원장은?":
            return _answer(question, "대통령" if history else "60명 이내")
        return _answer(question, None)

    report = evaluate_dialogues(ask, load_dialogues(set_path), DOCS)
    # Each turn gets the earlier turns; the answerable follow-up is asked once more alone.
    assert asked == [("위원회는 몇 명으로 구성되나?", 0), ("그럼 위원장은?", 1), ("그럼 위원장은?", 0),
                     ("위원장 연봉은?", 2)]
    assert report.metrics["follow_up"] == {"turns": 1, "with_history": 1.0, "without_history": 0.0, "gain": 1.0,
                                           "abstention_recall": 1.0}
    assert report.metrics["opening"] == {"turns": 1, "right": 1.0}
    assert report.metrics["answer"] == {"invariant_violations": 0} and report.missed == []


def test_a_wrong_follow_up_is_listed_and_a_broken_citation_counted(set_path):
    def ask(question, history):
        answer = _answer(question, "60명 이내")
        broken = answer.citations[0].model_copy(update={"quote": "60명 이외"})
        return answer.model_copy(update={"citations": [broken]})

    report = evaluate_dialogues(ask, load_dialogues(set_path), DOCS)
    assert report.missed == ["d1.2"] and report.metrics["follow_up"]["abstention_recall"] == 0.0
    assert report.metrics["answer"]["invariant_violations"] == 3


def test_a_conversation_without_turns_is_refused(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "d", "turns": []}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="needs turns"):
        load_dialogues(path)


def test_the_shipped_set_follows_its_rule_of_halves_and_its_gold_is_in_the_documents():
    from rag.dialogue_eval import part_mismatches
    from rag.loaders import load_path

    from conftest import ROOT

    path = ROOT / "eval" / "dialogue_dev.jsonl"
    assert part_mismatches(path) == []
    documents = {doc.doc_id: doc for doc in load_path(ROOT / "corpus")}
    conversations = load_dialogues(path)
    assert len(conversations) >= 40 and all(2 <= len(c.turns) <= 4 for c in conversations)
    for conversation in conversations:
        assert not conversation.turns[0].follow_up, conversation.id
        for turn in conversation.turns:
            if turn.gold.doc_id is None:
                continue
            text = documents[turn.gold.doc_id].text
            for span in (*turn.question.answers, *turn.gold.key_phrases):
                assert span in text, (turn.question.id, span)


def test_the_benchmarks_read_the_questions_of_every_set_the_turns_of_conversations_included():
    from bench.questions import eval_questions
    from rag.dialogue_eval import questions_of

    from conftest import ROOT

    dialogue = questions_of(ROOT / "eval" / "dialogue_dev.jsonl")
    assert len(dialogue) == sum(len(c.turns) for c in load_dialogues(ROOT / "eval" / "dialogue_dev.jsonl"))
    everything = eval_questions(ROOT / "eval")
    expected = [q for path in sorted((ROOT / "eval").glob("*.jsonl")) for q in questions_of(path)]
    assert everything == expected and set(dialogue) <= set(everything)
