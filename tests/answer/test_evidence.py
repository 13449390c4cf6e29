"""Evidence: sentences of the hits, analysed once, with their section heading and list lead."""

from __future__ import annotations

from rag.answer import evidence
from rag.answer.evidence import Evidence
from rag.documents import Chunk, Document, Section
from rag.retrieval import SearchHit

_LEAD = "② 다음 각 호의 어느 하나에 해당하는 자에게는 3천만원 이하의 과태료를 부과한다."
_ITEMS = ["1. 영향평가를 하지 아니한 자", "2. 표시 의무를 위반한 자"]
_TEXT = "마을 지원법\n\n제43조(과태료) " + _LEAD + "\n" + "\n".join(_ITEMS)
_START = _TEXT.index("제43조")
ACT = Document(doc_id="act", title="마을 지원법", text=_TEXT,
               sections=(Section(_START, len(_TEXT), "제43조", "제43조", "과태료"),), kind="statute")


def _hits(doc: Document, start: int, end: int) -> list[SearchHit]:
    return [SearchHit(chunk=Chunk(doc.doc_id, start, end, doc.text[start:end]), title=doc.title, score=1.0,
                      dense_score=None, bm25_score=None)]


def _by_text(sentences) -> dict[str, evidence.Sentence]:
    return {s.span.text: s for s in sentences}


def test_a_list_lead_carries_its_items_and_an_item_its_lead():
    sentences = _by_text(Evidence().sentences(_hits(ACT, _START, len(_TEXT)), {"act": ACT}))
    lead = next(s for text, s in sentences.items() if "다음 각 호" in text)
    assert [item.text for item in lead.items] == _ITEMS
    item = sentences[_ITEMS[0]]
    assert item.items == ()
    # The item is about what its lead says: the lead's words frame it.
    assert {"과태료", "부과"} <= item.context
    assert "과태료" not in {m.form for m in item.span.morphemes}


def test_a_sentence_knows_its_article_and_heading_words():
    sentences = Evidence().sentences(_hits(ACT, _START, len(_TEXT)), {"act": ACT})
    assert sentences and all(s.article == "제43조" for s in sentences)
    assert all(s.heading == frozenset({"과태료"}) for s in sentences)
    assert all({"마을", "지원법"} & s.context for s in sentences)  # the document's title frames every sentence


def test_sentences_keep_their_best_hit_rank_and_appear_once():
    hits = _hits(ACT, _START, len(_TEXT)) * 2
    sentences = Evidence().sentences(hits, {"act": ACT})
    assert len({s.span.start for s in sentences}) == len(sentences)
    assert {s.rank for s in sentences} == {0}


def test_a_paragraph_is_analysed_once_however_often_it_is_read(monkeypatch):
    calls = []
    extract = evidence.extract_candidates
    monkeypatch.setattr(evidence, "extract_candidates", lambda span: calls.append(span.start) or extract(span))
    reader = Evidence()
    first = reader.sentences(_hits(ACT, _START, len(_TEXT)), {"act": ACT})
    analysed = len(calls)
    second = reader.sentences(_hits(ACT, _START, len(_TEXT)), {"act": ACT})
    assert analysed > 0 and len(calls) == analysed
    assert [s.candidates for s in first] == [s.candidates for s in second]
    assert Evidence().sentences(_hits(ACT, _START, len(_TEXT)), {}) == []  # a hit of an unknown document


def test_a_statute_names_no_person_where_kiwi_sees_a_name():
    # Kiwi tags 고영향 (of 고영향 인공지능) as a proper noun that starts like a surname; statutes
    # name offices, never people, so there it is a term, while the same words in a news story
    # keep the name reading.
    text = "국가기관등이 고영향 인공지능을 이용하려는 경우에는 과학기술정보통신부장관과 협의하여야 한다."
    statute = Document(doc_id="law", title="인공지능법", text=text, kind="statute")
    story = Document(doc_id="news", title="소식", text=text)

    def types(doc: Document) -> dict[str, frozenset[str]]:
        sentences = Evidence().sentences(_hits(doc, 0, len(text)), {doc.doc_id: doc})
        return {c.text: c.types for s in sentences for c in s.candidates}

    assert "person" in types(story)["고영향"]  # the misreading the statute rule corrects
    in_statute = types(statute)
    assert "person" not in in_statute["고영향"] and "name" not in in_statute["고영향"]
    assert "person" in in_statute["과학기술정보통신부장관"]  # a title is still a person
