"""``rag bench definitions``: questions made from the terms statutes define, and one real run (slow)."""

from __future__ import annotations

import pytest

from bench.definitions import FORMS, defines, question, terms_of
from conftest import bench_over_the_ai_laws
from rag.documents import Document, Section


def _act(definitions: str) -> Document:
    text = f"마을 지원법\n\n제2조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다.\n{definitions}"
    start = text.index("제2조")
    return Document(doc_id="a", title="마을 지원법", text=text, kind="statute",
                    sections=(Section(start, len(text), "제2조", "제2조", "정의"),))


def test_each_form_takes_the_particle_the_terms_last_syllable_needs():
    assert question("마을", "{t}이/가 뭐야?") == "마을이 뭐야?"
    assert question("마을기업", "{t}이/가 뭐야?") == "마을기업이 뭐야?"
    assert question("데이터", "{t}이/가 뭐야?") == "데이터가 뭐야?"
    assert question("데이터", "{t}이란?") == "데이터란?" and question("정보", "{t}은/는 무엇을 말하나요?") == "정보는 무엇을 말하나요?"
    assert question("정보", "{law}에서 {t}이란?", "마을 지원법") == "마을 지원법에서 정보란?"
    assert all("{t}" in form for form in FORMS)


def test_the_terms_asked_are_the_defined_ones_without_glosses_or_delegated_stubs():
    act = _act('  1. "클라우드"(Cloud)이란 자원을 말한다.\n  2. "상용(商用)소프트웨어"란 파는 것을 말한다.\n'
               '  3. "대통령령으로 정하는 자"란 제5조의 자를 말한다.\n'
               '  4. "마을기업의 신용도를 판단할 수 있는 정보"란 다음 각 목의 정보를 말한다.')
    assert terms_of({"a": act}) == {"클라우드": "클라우드", "상용소프트웨어": "상용소프트웨어"}


def test_an_answer_is_right_only_as_the_defining_clause_of_the_asked_term():
    assert defines('"마을기업"이란 주민이 세운 기업을 말한다.', "마을기업")
    assert not defines('"마을"이란 사는 곳을 말한다.', "마을기업")
    assert not defines("마을기업은 주민이 세운다.", "마을기업") and not defines(None, "마을기업")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_run_over_the_ai_laws_finds_most_definitions(tmp_path):
    figures = bench_over_the_ai_laws("definitions", tmp_path, "--limit", "8")
    assert figures["terms"] == 8 and figures["questions"] == 8 * len(FORMS)
    assert set(figures["right_per_form"]) == set(FORMS)
    assert figures["right"] >= 0.6, figures
