"""Which documents a question names, and where."""

from __future__ import annotations

from rag.documents import Document
from rag.mentions import DocumentNames, compact_name, short_names, statute_names

ACT = Document(doc_id="act", title="인공지능 발전과 신뢰 기반 조성 등에 관한 기본법", text="…",
               metadata={"법령명약칭": "인공지능기본법"})
DECREE = Document(doc_id="decree", title="인공지능 발전과 신뢰 기반 조성 등에 관한 기본법 시행령", text="…")
OTHER = Document(doc_id="other", title="지능정보화 기본법", text="…")
ARTICLE = Document(doc_id="news", title="서울AI재단 출범", text="…")
NAMES = DocumentNames({d.doc_id: d for d in (ACT, DECREE, OTHER, ARTICLE)})


def test_compact_names_ignore_spacing_brackets_and_the_spelling_of_ai():
    assert compact_name("「AI 기본법」") == compact_name("인공지능기본법")


def test_a_short_title_names_its_document():
    assert NAMES.mentions("인공지능기본법에서 기본계획을 세우는 사람은?").doc_ids == {"act"}
    assert NAMES.mentions("AI 기본법상 과태료는?").doc_ids == {"act"}


def test_the_longest_name_wins_so_the_decree_is_named_by_the_acts_name_plus_its_own_word():
    assert NAMES.mentions("인공지능기본법 시행령에 따른 기준은?").doc_ids == {"decree"}
    assert NAMES.mentions("인공지능 발전과 신뢰 기반 조성 등에 관한 기본법 시행령 제5조는?").doc_ids == {"decree"}


def test_a_question_naming_no_document_names_none():
    assert NAMES.mentions("재단은 언제 설립되었나?").doc_ids == frozenset()
    # a word of a title is not the title
    assert NAMES.mentions("기본법이란 무엇인가?").doc_ids == frozenset()


def test_the_names_can_be_blanked_out_of_the_question():
    question = "이 법의 목적은? (「지능정보화 기본법」)"
    mentions = NAMES.mentions(question)
    assert mentions.doc_ids == {"other"}
    stripped = mentions.without_names(question)
    assert len(stripped) == len(question) and "지능정보화" not in stripped and "목적" in stripped
    assert mentions.search_text(question) == stripped


def test_what_to_search_for_is_the_question_unless_its_names_are_all_it_says():
    assert NAMES.mentions("재단은 언제 설립되었나?").search_text("재단은 언제 설립되었나?") == "재단은 언제 설립되었나?"
    # Blanking the name would leave nothing to search for: the question stays whole.
    assert NAMES.mentions("「지능정보화 기본법」?").search_text("「지능정보화 기본법」?") == "「지능정보화 기본법」?"


NETWORK = Document(doc_id="network", title="정보통신망 이용촉진 및 정보보호 등에 관한 법률", text="…")
DISCLOSURE = Document(doc_id="disclosure", title="공공기관의 정보공개에 관한 법률", text="…")
PUBLIC_DATA = Document(doc_id="public", title="공공데이터의 제공 및 이용 활성화에 관한 법률", text="…")
DATA_ADMIN = Document(doc_id="admin", title="데이터기반행정 활성화에 관한 법률", text="…")
STATUTES = DocumentNames({d.doc_id: d for d in (ACT, NETWORK, DISCLOSURE, PUBLIC_DATA, DATA_ADMIN)})


def test_the_short_names_of_a_long_statute_title():
    assert short_names(NETWORK.title) == {"정보통신망법", "정보보호법"}
    assert short_names(DISCLOSURE.title) == {"공공기관법", "정보공개법"}
    assert short_names(ACT.title) == {"인공지능법", "인공지능기본법", "조성법", "조성기본법"}
    assert short_names("전자정부법") == set()


def test_a_short_name_people_make_names_its_statute_and_keeps_its_words():
    mentions = STATUTES.mentions("정보통신망법상 이용자란?")
    assert mentions.doc_ids == {"network"} and mentions.spans == ()
    assert mentions.without_names("정보통신망법상 이용자란?") == "정보통신망법상 이용자란?"
    assert STATUTES.mentions("정보공개법에서 공개란?").doc_ids == {"disclosure"}
    assert STATUTES.mentions("데이터기반행정법의 목적은?").doc_ids == {"admin"}
    # 활성화법 would be both the public data act and the data-based administration act: neither.
    assert STATUTES.mentions("활성화법의 목적은?").doc_ids == frozenset()
    # A name a source gives stays a name whose words are cut from the question.
    assert STATUTES.mentions("인공지능기본법의 목적은?").spans


def test_of_two_names_as_long_the_one_said_first_is_blanked_whatever_the_hash_seed():
    named = Document(doc_id="x", title="가나다라마법", text="…", metadata={"short_title": "바사아자차법"})
    names = DocumentNames({"x": named})
    for first, second in (("가나다라마법", "바사아자차법"), ("바사아자차법", "가나다라마법")):
        question = f"{first}과 {second}은 같은 법인가?"
        mentions = names.mentions(question)
        assert mentions.doc_ids == {"x"}
        assert [question[a:b] for a, b in mentions.spans] == [first]


def test_every_statute_in_force_is_known_by_its_compact_title():
    names = statute_names()
    assert len(names) > 1500
    assert names[compact_name("근로기준법")] == "근로기준법"
    assert names[compact_name("주택임대차보호법")] == "주택임대차보호법"
    # titles only: the short names made of long titles can be plain words (제정법)
    assert compact_name("제정법") not in names


def test_a_statute_the_index_does_not_hold_is_named_at_the_start_of_a_word_the_longest_winning():
    assert NAMES.mentions("근로기준법상 연차휴가는 며칠인가요?").unindexed == ("근로기준법",)
    assert NAMES.mentions("「민법」 제777조에 따른 친족은?").unindexed == ("민법",)
    # 난민법 holds 민법, and 이민법 is no statute: only whole names count
    assert NAMES.mentions("난민법상 난민이란?").unindexed == ("난민법",)
    assert NAMES.mentions("이민법 개정은 언제?").unindexed == ()
    # a statute the index holds is a document the question names, not an unindexed one
    indexed = NAMES.mentions("지능정보화 기본법 제2조는?")
    assert indexed.doc_ids == {"other"} and indexed.unindexed == ()
    assert NAMES.mentions("신고 방법은?").unindexed == ()


def test_a_question_only_about_unindexed_statutes_is_one_unless_the_evidence_names_them():
    about_labour = NAMES.mentions("근로기준법상 연차휴가는 며칠인가요?")
    assert about_labour.only_unindexed(["연차 보고서는 매년 제출한다."])
    assert not about_labour.only_unindexed(["「근로기준법」 제2조에 따른 근로자를 말한다."])
    # naming an indexed statute too, the question is about the documents
    both = NAMES.mentions("지능정보화 기본법과 민법의 관계는?")
    assert both.unindexed == ("민법",) and not both.only_unindexed(["관계없는 문장"])
