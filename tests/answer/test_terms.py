"""The terms a question names and how much of one a defined term is (rag/answer/terms.py)."""

from __future__ import annotations

import pytest

from rag.answer.question import analyze_question
from rag.answer.terms import asked_share, unnamed_runs


def share(term: str, question: str, names: tuple[str, ...] = ("정의", "뜻")) -> float:
    return asked_share(term, question, analyze_question(question).noun_phrases, names)


@pytest.mark.parametrize(("term", "question", "expected"), [
    ("고영향인공지능", "고영향 인공지능이란?", 1.0),
    ("인공지능", "고영향 인공지능이란?", 4 / 7),         # a head of the term asked, not the term
    ("고영향인공지능", "고영향 AI란?", 1.0),              # AI is written 인공지능
    ("인공지능", "인공지능 정의는?", 1.0),                # 정의 names the kind, not the term
    ("공개", "정보공개법에서 말하는 '공개'는 뭘 의미해?", 1.0),  # quoted
    ("인공지능사업자", "인공지능이란?", 0.0),             # a longer term the question does not name
    ("이용자", "클라우드컴퓨팅법에서 이용자란?", 1.0),    # Kiwi reads a question's final 란 as a noun
    ("신용정보주체", "신용정보법상 신용정보주체란?", 1.0),  # a statute's name ends a run
    ("개인정보", "개인정보보호법 개인정보란?", 1.0),
])
def test_how_much_of_what_a_question_names_a_term_is(term, question, expected):
    assert share(term, question) == pytest.approx(expected)


def test_the_words_of_a_named_documents_title_are_no_term_asked():
    question = "공공기관의 정보공개에 관한 법률에서 정보란?"
    runs = analyze_question(question).noun_phrases
    assert "공공기관" in runs and "정보" in runs
    unnamed = question.replace("공공기관의 정보공개에 관한 법률", " " * len("공공기관의 정보공개에 관한 법률"))
    assert unnamed_runs(runs, unnamed) == ("정보",)
    assert unnamed_runs(runs, question) == runs
