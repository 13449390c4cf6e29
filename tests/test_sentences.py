"""Sentence and clause spans with exact offsets into the document text."""

from __future__ import annotations

from rag.sentences import paragraph_bounds, split_sentences

ARTICLE = (
    "제목 줄\n\n"
    "서울AI재단은 21일 출범식을 가졌다. 이 재단은 2016년 설립 이래 성장했다.\n\n"
    "‘주제 1. 서울시 세션’에서는 김숙희 과장이 발표했다."
)
STATUTE = (
    "제7조(국가인공지능전략위원회)\n"
    "① 대통령 소속으로 위원회를 둔다.\n"
    "② 위원회는 60명 이내의 위원으로 구성한다. 이 경우 과반수가 되어야 한다.\n"
    "  1. 대통령령으로 정하는 관계 중앙행정기관의 장"
)


def test_offsets_are_exact_and_sentences_split():
    spans = split_sentences(ARTICLE)
    for span in spans:
        assert ARTICLE[span.start:span.end] == span.text
        assert span.text == span.text.strip()
    texts = [s.text for s in spans]
    assert "서울AI재단은 21일 출범식을 가졌다." in texts
    assert "이 재단은 2016년 설립 이래 성장했다." in texts


def test_a_period_inside_a_quoted_title_does_not_end_the_sentence():
    texts = [s.text for s in split_sentences(ARTICLE)]
    assert "‘주제 1. 서울시 세션’에서는 김숙희 과장이 발표했다." in texts


def test_statute_lines_are_clauses_of_their_own():
    texts = [s.text for s in split_sentences(STATUTE)]
    assert texts[0] == "제7조(국가인공지능전략위원회)"
    assert "① 대통령 소속으로 위원회를 둔다." in texts
    assert "② 위원회는 60명 이내의 위원으로 구성한다." in texts
    assert "1. 대통령령으로 정하는 관계 중앙행정기관의 장" in texts
    assert all("\n" not in t for t in texts)


def test_an_aside_that_ends_like_a_sentence_does_not_end_it():
    # Kiwi ends a "sentence" at the 말한다 inside the brackets; the statute's sentence goes on.
    line = ("③ 안전기능(위험을 방지하는 기능을 말한다) 미비 등으로 생길 수 있는 사고에 대비한다. "
            "정보처리장치(이하 \"컴퓨터\"라 한다) 내에서 쓰인다.")
    assert [s.text for s in split_sentences(line)] == [
        "③ 안전기능(위험을 방지하는 기능을 말한다) 미비 등으로 생길 수 있는 사고에 대비한다.",
        "정보처리장치(이하 \"컴퓨터\"라 한다) 내에서 쓰인다.",
    ]


def test_a_sentence_all_in_brackets_stays_one_of_its_own():
    texts = [s.text for s in split_sentences("(사진은 출범식 모습이다) 재단은 2016년 설립됐다.")]
    assert texts == ["(사진은 출범식 모습이다)", "재단은 2016년 설립됐다."]


def test_morphemes_carry_document_offsets():
    for span in split_sentences(STATUTE, STATUTE.index("②")):
        for m in span.morphemes:
            assert span.start <= m.start < m.end <= span.end


def test_a_range_is_widened_to_whole_lines():
    start = STATUTE.index("60명")
    left, right = paragraph_bounds(STATUTE, start, start + 3)
    assert STATUTE[left:right].startswith("② 위원회는") and STATUTE[left:right].endswith("되어야 한다.")
    spans = split_sentences(STATUTE, left, right)
    assert spans[0].start == left
