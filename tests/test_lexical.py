import pytest

from rag.lexical import tokenize, tokenize_many


@pytest.mark.parametrize(
    "text, present, absent",
    [
        ("재단은 언제 설립되었나?", ["재단", "설립"], ["은", "언제", "었"]),
        ("서울AI재단이 출범식을 가졌다", ["서울", "ai", "재단", "출범식", "가지"], ["이", "을"]),
        ("2016년 설립 이래", ["2016", "설립"], ["년"]),
        ("제7조제2항에 따른 위원회", ["제7조", "제2항", "위원회"], ["7", "조", "에"]),
        ("제17조의2에 따라", ["제17조의2"], ["17", "2"]),
        ("제 22 조의 3을 위반한 자", ["제22조의3"], ["22"]),
        ("위원회(委員會)를 둔다", ["위원회", "委員會"], ["를"]),
    ],
)
def test_tokenize_keeps_content_morphemes_and_statute_references(text, present, absent):
    tokens = tokenize(text)
    for token in present:
        assert token in tokens, (token, tokens)
    for token in absent:
        assert token not in tokens, (token, tokens)


def test_tokenize_many_matches_single_calls():
    texts = ["재단은 2016년에 설립되었다.", "", "제3조(정의)"]
    assert tokenize_many(texts) == [tokenize(t) for t in texts]


def test_a_query_for_ai_also_looks_for_인공지능():
    from rag.lexical import expand_query

    assert expand_query(["ai", "전략"]) == ["ai", "전략", "인공", "지능"]
    assert expand_query(["인공", "지능"]) == ["인공", "지능", "ai"]
    assert expand_query(["재단"]) == ["재단"]


def test_one_question_is_analysed_once_and_as_a_batch_would_be():
    from rag.tokenizer import kiwi, tokens

    question = "개인정보 보호법 제15조에 따라 동의 없이 수집할 수 있는 경우는?"
    first = tokens(question)
    assert tokens(question) is first  # retrieval, question analysis and the follow-up reader share it
    batch = list(kiwi().tokenize([question]))[0]
    assert [(t.form, t.tag, t.start, t.len) for t in first] == [(t.form, t.tag, t.start, t.len) for t in batch]
    assert tokenize(question) == tokenize_many([question])[0]


def test_a_long_proper_noun_is_indexed_with_its_parts_so_either_spelling_finds_the_other():
    from rag.lexical import compound_parts

    # Kiwi's dictionary holds 개인정보보호위원회 whole; statutes write 개인정보 보호위원회.
    unspaced, spaced = tokenize("개인정보보호위원회는 위원"), tokenize("개인정보 보호위원회는 위원")
    assert "개인정보보호위원회" in unspaced
    assert set(spaced) <= set(unspaced)
    assert compound_parts("개인정보보호위원회") == ("개인", "정보", "보호", "위원회")
    # Short names are written whole; non-Hangul forms are not Kiwi compounds.
    assert compound_parts("대한민국") == () and compound_parts("OpenAI") == ()
