"""The terms statutes define, found by the term itself rather than by search."""

from __future__ import annotations

from rag.answer.definitions import asking_what_a_defined_term_is, defined_terms, defining_documents, term_key
from rag.answer.evidence import Evidence
from rag.answer.matching import Matching
from rag.answer.passage_features import passage_features
from rag.answer.passages import passages
from rag.answer.question import analyze_question
from rag.documents import Chunk, Document, Section
from rag.retrieval import SearchHit


def _act(doc_id: str, definitions: str, supplement: str = "") -> Document:
    text = f"{doc_id} 법\n\n제1조(목적) 이 법은 마을을 돕는다.\n\n제2조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다.\n{definitions}"
    sections = [Section(text.index("제1조"), text.index("\n\n제2조"), "제1조", "제1조", "목적"),
                Section(text.index("제2조"), len(text), "제2조", "제2조", "정의")]
    if supplement:
        text += "\n\n부칙\n" + supplement
        sections.append(Section(text.index("부칙"), len(text), "부칙", "부칙", None))
    return Document(doc_id=doc_id, title=f"{doc_id} 법", text=text, kind="statute", sections=tuple(sections))


def test_every_quoted_defining_form_is_found_with_its_article():
    act = _act("a", '  1. "마을기업"이란 주민이 세운 기업을 말한다.\n'
                    '  2. "클라우드"(Cloud)이란 나누어 쓰는 자원을 말한다.\n'
                    '  3. 제1호의 "마을기업의 신용을 판단할 수 있는 정보"란 다음 각 목의 정보를 말한다.\n'
                    '  4. "지원기관"이라 함은 마을기업을 돕는 기관을 말한다.\n'
                    '  5. 주민(이하 "이웃"이라 한다)은 함께 산다.',
               supplement='"옛 마을기업"이란 종전의 기업을 말한다.')
    terms = defined_terms(act)
    article = next(s for s in act.sections if s.article == "제2조")
    assert set(terms) == {"마을기업", "클라우드", "마을기업의신용을판단할수있는정보", "지원기관"}
    assert all(span == (article.start, article.end) for span in terms.values())


def test_a_gloss_inside_the_quotes_is_no_part_of_the_term():
    assert term_key("상용(商用)소프트웨어") == "상용소프트웨어"
    assert "상용소프트웨어" in defined_terms(_act("b", '  1. "상용(商用)소프트웨어"란 파는 소프트웨어를 말한다.'))


def test_a_text_without_sections_defines_nothing():
    assert defined_terms(Document(doc_id="n", title="소식", text='소식\n\n"마을"이란 말은 오래되었다.')) == {}


def test_the_documents_defining_a_term_come_first_as_asked_then_by_id():
    docs = {d.doc_id: d for d in (_act("c", '  1. "마을"이란 사는 곳을 말한다.'),
                                  _act("b", '  1. "마을"이란 모여 사는 곳을 말한다.'),
                                  _act("a", '  1. "마을기업"이란 기업을 말한다.'),
                                  _act("d", '  1. "마을"이란 동네를 말한다.'))}
    assert [doc_id for doc_id, _ in defining_documents(["마을"], docs)] == ["b", "c", "d"]
    assert [doc_id for doc_id, _ in defining_documents(["마을"], docs, first=["d", "a"])] == ["d", "b", "c"]
    assert defining_documents([""], docs) == []


def test_what_x_is_asks_for_a_definition_when_a_statute_defines_x():
    # The form alone leans to a name for an organisation-like noun; a defined term is asked as a term.
    docs = {"a": _act("a", '  1. "행정기관"이란 국가의 사무를 맡는 기관을 말한다.')}
    asked = analyze_question("행정기관이 뭐예요?")
    assert asked.answer_kind == "short"
    assert asking_what_a_defined_term_is(asked, docs).answer_kind == "definition"
    assert asking_what_a_defined_term_is(asked, {"b": _act("b", '  1. "마을"이란 사는 곳을 말한다.')}) == asked
    # A value asked of something (its name), or another form, stays what the analysis says.
    named = analyze_question("행정기관 이름이 뭐야?")
    assert asking_what_a_defined_term_is(named, docs) == named
    who = analyze_question("행정기관은 누가 감독해?")
    assert asking_what_a_defined_term_is(who, docs) == who


def test_what_x_is_asks_for_a_definition_when_x_is_defined_though_it_ends_like_a_duty_or_task():
    # "…사업이 뭐야?" ends on a noun statutes head their articles with, which asks for a list of
    # tasks; the documents tell that 소프트웨어사업 is a term.
    docs = {"a": _act("a", '  1. "소프트웨어사업"이란 소프트웨어를 개발하는 사업을 말한다.')}
    asked = analyze_question("소프트웨어사업이 뭐야?")
    assert asked.answer_kind == "list"
    assert asking_what_a_defined_term_is(asked, docs).answer_kind == "definition"
    tasks = analyze_question("재단의 사업은?")
    assert asking_what_a_defined_term_is(tasks, docs) == tasks


def test_a_word_glossed_in_brackets_is_no_definition_form():
    act = _act("g", '  1. "게시판"이란 글을 올리는 곳을 말한다.\n'
                    '  2. 누리집에 게시판(「마을법」 제2조의 게시판을 말한다)을 둔다.')
    question = analyze_question("게시판이란?")
    evidence = Evidence()
    sentences = evidence.sentences([SearchHit(chunk=Chunk("g", 0, len(act.text), act.text), title=act.title,
                                              score=1.0, dense_score=None, bm25_score=None)], {"g": act})
    matching = Matching.build(question, sentences, frozenset(), evidence.context, 0.5)
    fits = {p.text[:12]: passage_features(question, p, matching).fits_kind for p in passages(sentences)}
    assert fits['"게시판"이란 글을 올'] == 1.0
    assert fits["누리집에 게시판(「마을"] == 0.0


def test_a_term_introduced_or_glossed_in_a_sentence_is_a_term_it_defines():
    act = _act("h", '  1. "마을"이란 주민이 함께 사는 곳을 말한다.\n\n'
                    '제3조(지원) ① 군수는 주민이 함께 세운 기업(이하 "마을기업"이라 한다)을 지원한다.\n'
                    '② 군수는 장부(마을기업의 수입과 지출을 적은 문서를 말한다. 이하 같다)를 둔다.')
    evidence = Evidence()
    sentences = evidence.sentences([SearchHit(chunk=Chunk("h", 0, len(act.text), act.text), title=act.title,
                                              score=1.0, dense_score=None, bm25_score=None)], {"h": act})

    def features(question: str) -> dict[str, tuple[float, float]]:
        analysis = analyze_question(question)
        matching = Matching.build(analysis, sentences, frozenset(), evidence.context, 0.5)
        return {p.text[:5]: (f.defines_asked, f.defines_other)
                for p in passages(sentences) for f in [passage_features(analysis, p, matching)]}

    introduced = features("마을기업이란 뭐야?")
    assert introduced["제3조(지"] == (1.0, 0.0) and introduced["② 군수는"] == (0.0, 1.0)
    glossed = features("장부란?")
    assert glossed["② 군수는"] == (1.0, 0.0) and glossed["제3조(지"] == (0.0, 1.0)
    assert glossed['"마을"이'] == (0.0, 1.0)
