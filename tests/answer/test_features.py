"""Features: one named vector per candidate, each feature documented in the module's table."""

from __future__ import annotations

import dataclasses
import re

from rag.answer import features as features_module
from rag.answer import layout
from rag.answer.evidence import Evidence
from rag.answer.features import FEATURES, FeatureShape, Features, candidate_features
from rag.answer.matching import Matching
from rag.answer.question import analyze_question
from rag.documents import Chunk, Document, Section
from rag.retrieval import SearchHit


def _table_names(doc: str) -> list[str]:
    """The first column of the reStructuredText table in ``doc``, one name a row."""
    rule = re.compile(r"^=+ +=+ +=+$")
    lines = doc.splitlines()
    rules = [i for i, line in enumerate(lines) if rule.match(line)]
    assert len(rules) == 3, "one table: top rule, header rule, bottom rule"
    body = lines[rules[1] + 1:rules[2]]
    width = len(lines[rules[0]].split()[0])
    return [line[:width].strip() for line in body if line[:width].strip()]


def test_the_docstring_table_lists_exactly_the_features_in_vector_order():
    assert _table_names(features_module.__doc__) == list(FEATURES)
    assert FEATURES == Features._fields and len(set(FEATURES)) == len(FEATURES)


DOC = Document(doc_id="d", title="재단 소식", text="서울디지털재단은 2016년 설립되었다. 재단은 2019년 서울로 이전했다.")


def _vectors(question: str, shape: FeatureShape = FeatureShape(), doc: Document = DOC) -> dict[str, Features | None]:
    hits = [SearchHit(chunk=Chunk(doc.doc_id, 0, len(doc.text), doc.text), title=doc.title, score=1.0,
                      dense_score=None, bm25_score=None)]
    analysis = analyze_question(question)
    reader = Evidence()
    sentences = reader.sentences(hits, {doc.doc_id: doc})
    matching = Matching.build(analysis, sentences, frozenset(), reader.context, shape.absent_verb)
    return {c.text: candidate_features(analysis, c, s, matching, shape) for s in sentences for c in s.candidates}


def test_a_date_before_the_asked_verb_beats_another_date():
    vectors = _vectors("재단은 몇 년에 설립되었나?")
    founded, moved = vectors["2016년"], vectors["2019년"]
    assert founded.type_fit == moved.type_fit == 1.0 and founded.type_shortfall == 0.0
    assert founded.predicate_near > 0.9 and moved.predicate_near == 0.0
    assert founded.overlap > moved.overlap
    assert founded.numeric_length == len("2016년") and vectors["서울디지털재단"] is None  # no date: no vector


def test_a_bare_value_gets_no_vector_when_the_question_asks_what_something_is():
    vectors = _vectors("재단이 서울로 옮긴 것은 무엇인가?")
    assert vectors["2019년"] is None and vectors["2016년"] is None
    assert vectors["서울디지털재단"] is not None


def test_a_span_of_the_question_s_own_words_gets_no_vector():
    vectors = _vectors("재단은 어디로 이전했나?")
    assert vectors["재단"] is None
    assert vectors["서울"] is not None and vectors["서울"].type_fit == 1.0


def test_the_shape_constants_reach_the_features():
    near = _vectors("재단은 몇 년에 설립되었나?")["2016년"]
    far = _vectors("재단은 몇 년에 설립되었나?", dataclasses.replace(FeatureShape(), proximity_scale=2.0))["2016년"]
    assert far.predicate_near < near.predicate_near and far.proximity < near.proximity


def test_a_one_syllable_prefix_makes_another_thing_of_the_asked_head():
    # 부위원장 is another office than the 위원장 asked about; 과학기술정보통신부장관 is a 장관
    # and answers "어느 장관".
    doc = Document(doc_id="c", title="위원회 규정", text="위원회의 위원장은 대통령이 되고, 부위원장은 "
                   "위원 중에서 과학기술정보통신부장관이 추천한 사람이 된다.")
    vectors = _vectors("위원회의 위원장은 누구인가?", doc=doc)
    assert vectors["부위원장"].head_match == 0.0
    assert vectors["대통령"].type_fit == vectors["부위원장"].type_fit  # both offices: only the head tells them apart
    assert _vectors("어느 장관이 추천하나?", doc=doc)["과학기술정보통신부장관"].head_match == 1.0


def test_a_supplements_sentence_answers_only_a_question_about_what_a_supplement_lays_down():
    text = "마을 지원법\n\n부칙 <제100호,2025.1.1>\n\n이 법은 2026년 1월 1일부터 시행한다."
    doc = Document(doc_id="m", title="마을 지원법", kind="statute", text=text,
                   sections=(Section(text.index("부칙"), len(text), "부칙", "부칙", "제100호"),))
    assert _vectors("마을 지원 사업은 언제부터 해?", doc=doc)["2026년 1월 1일"] is None
    assert _vectors("마을 지원법은 언제부터 시행돼?", doc=doc)["2026년 1월 1일"] is not None


def test_each_word_of_a_question_about_a_supplement_is_one_content_morpheme():
    # The gate compares them with a question's content morphemes: a word Kiwi would split never matches.
    words = layout._supplement_words()
    assert words and all(analyze_question(f"{word}에 대해 알려줘").content_tokens[:1] == (word,) for word in words)


def test_a_noun_with_its_owner_fits_no_question_that_names_the_owner():
    doc = Document(doc_id="s", title="천사", text="천사들은 하느님의 도구로 심판을 주도한다.")
    assert _vectors("천사들은 하느님의 무엇으로 심판을 주도하나?", doc=doc)["하느님의 도구"] is None
    assert _vectors("천사들은 무엇으로 심판을 주도하나?", doc=doc)["하느님의 도구"] is not None


def test_a_pair_fits_a_question_asking_for_two_better_than_either_item_and_fits_others_less():
    doc = Document(doc_id="w", title="정성공", text="정성공은 1646년 과주와 전장을 함락시켰다.")
    two = _vectors("정성공이 1646년에 어디와 어디를 함락시켰나?", doc=doc)
    one = _vectors("정성공이 1646년에 함락시킨 곳은?", doc=doc)
    assert two["과주와 전장"].type_fit > two["과주"].type_fit
    assert one["과주와 전장"].type_fit < one["과주"].type_fit
    assert _vectors("천사들은 어떤 도구로 심판을 주도하나?", doc=doc).get("하느님의 도구") is None


def test_a_statute_name_answers_no_question_asking_who_or_where():
    doc = Document(doc_id="l", title="정보문화", text="장관은 「유아교육법」에 따른 유치원의 교육과정에 반영되도록 국가교육위원회와 협의한다.")
    where = _vectors("장관이 협의하는 곳은 어디야?", doc=doc)
    assert where["유아교육법"] is None and where["국가교육위원회"] is not None
    assert _vectors("유치원은 어느 법에 따른 것인가?", doc=doc)["유아교육법"] is not None
