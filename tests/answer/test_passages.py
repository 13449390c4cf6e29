"""Passages: exact spans of a sentence, or of a list lead with its whole items, at most 600 characters."""

from __future__ import annotations

from rag.answer import passages
from rag.answer.evidence import Evidence
from rag.answer.passages import MAX_CHARS, passage_of
from rag.documents import Chunk, Document, Section
from rag.retrieval import SearchHit

_LEAD = "① 사업자는 다음 각 호의 조치를 하여야 한다."
_ITEMS = ["1. 위험관리방안의 수립", "2. 이용자 보호 방안의 수립", "3. 사람의 관리ㆍ감독"]
_DEFINITION = '  1. "공공데이터"란 공공기관이 관리하는 자료로서 다음 각 목의 어느 하나에 해당하는 것을 말한다.'
_SUBITEMS = ["    가. 행정정보", "    나. 전자기록물"]


def _doc(body: str) -> Document:
    text = "마을 지원법\n\n" + body
    start = text.index("제")
    return Document(doc_id="act", title="마을 지원법", text=text, kind="statute",
                    sections=(Section(start, len(text), "제34조제1항", "제34조", "조치"),))


def _sentences(doc: Document):
    start = doc.text.index("제")
    hit = SearchHit(chunk=Chunk(doc.doc_id, start, len(doc.text), doc.text[start:]), title=doc.title, score=1.0,
                    dense_score=None, bm25_score=None)
    return Evidence().sentences([hit], {doc.doc_id: doc})


def test_a_list_lead_passage_runs_through_its_items_as_one_exact_span():
    doc = _doc("제34조(조치) " + _LEAD + "\n" + "\n".join(_ITEMS))
    lead = next(s for s in _sentences(doc) if "다음 각 호" in s.span.text)
    passage = passage_of(lead)
    assert passage.text == doc.text[passage.start:passage.end]
    assert passage.text.startswith("제34조(조치) ① 사업자는") and passage.text.endswith(_ITEMS[-1])
    assert [item.text for item in passage.items] == _ITEMS
    assert all(doc.text[item.start:item.end] == item.text for item in passage.items)
    assert not passage.truncated


def test_a_definition_item_starts_after_its_number_and_keeps_its_sub_items():
    doc = _doc("제2조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다.\n" + _DEFINITION + "\n" + "\n".join(_SUBITEMS))
    item = next(s for s in _sentences(doc) if "공공데이터" in s.span.text)
    passage = passage_of(item)
    assert passage.text.startswith('"공공데이터"란')
    assert [i.text for i in passage.items] == [line.strip() for line in _SUBITEMS]


def test_a_long_list_keeps_its_lead_and_the_whole_items_that_fit():
    items = [f"{n}. " + "가" * 100 for n in range(1, 11)]
    doc = _doc("제34조(조치) " + _LEAD + "\n" + "\n".join(items))
    lead = next(s for s in _sentences(doc) if "다음 각 호" in s.span.text)
    passage = passage_of(lead)
    assert passage.truncated
    assert len(passage.text) <= MAX_CHARS
    assert passage.items and all(item.text in items for item in passage.items)
    assert passage.text.endswith(passage.items[-1].text)


def test_a_sentence_longer_than_the_limit_is_cut_at_a_word_boundary():
    doc = _doc("제34조(조치) " + " ".join(["사업자는"] * 200) + " 하여야 한다.")
    passage = passages.passages(_sentences(doc))[-1]
    assert passage.truncated and len(passage.text) <= MAX_CHARS
    assert doc.text[passage.end] == " "


def test_a_heading_alone_is_answered_with_the_article_it_heads():
    lines = ["① 사업자는 이용자를 보호하여야 한다.", "② 이용자는 건전한 이용에 노력하여야 한다."]
    doc = _doc("제3조(사업자 및 이용자의 책무)\n" + "\n".join(lines) + "\n\n제4조(다른 조) 다른 내용이다.")
    doc = Document(doc_id=doc.doc_id, title=doc.title, text=doc.text, kind="statute",
                   sections=(Section(doc.sections[0].start, doc.text.index("제4조"), "제3조", "제3조", "책무"),
                             Section(doc.text.index("제4조"), len(doc.text), "제4조", "제4조", "다른 조")))
    heading = next(s for s in _sentences(doc) if s.span.text.strip() == "제3조(사업자 및 이용자의 책무)")
    whole = passages.with_its_article(passage_of(heading))
    assert whole.text == doc.text[whole.start:whole.end]
    assert whole.text.startswith("제3조(사업자 및 이용자의 책무)") and whole.text.endswith(lines[-1])
    assert [item.text for item in whole.items] == lines and not whole.truncated
    # Any other passage stays as it is.
    body = next(s for s in _sentences(doc) if s.span.text.startswith("①"))
    assert passages.with_its_article(passage_of(body)) == passage_of(body)


def test_a_long_article_after_its_heading_keeps_the_whole_lines_that_fit():
    lines = [f"{n}. " + "가" * 150 for n in range(1, 6)]
    doc = _doc("제3조(사업)\n" + "\n".join(lines))
    heading = next(s for s in _sentences(doc) if s.span.text.strip() == "제3조(사업)")
    whole = passages.with_its_article(passage_of(heading))
    assert len(whole.text) <= MAX_CHARS and whole.truncated
    assert [item.text for item in whole.items] == lines[:3]
