"""Follow-ups read against the topic of the conversation (rag/conversation.py), with the real Kiwi."""

from __future__ import annotations

import pytest

from rag.conversation import Resolution, Turn, resolve, turn_topic
from rag.documents import Document
from rag.mentions import DocumentNames

ACT = Document(doc_id="act", title="인공지능 발전과 신뢰 기반 조성 등에 관한 기본법", text="…",
               metadata={"법령명약칭": "인공지능기본법"})
PRIVACY = Document(doc_id="privacy", title="개인정보 보호법", text="…")
NEWS = Document(doc_id="news", title="서울디지털재단, ‘서울AI재단’으로 새출발", text="…")
NAMES = DocumentNames({d.doc_id: d for d in (ACT, PRIVACY, NEWS)})

COMMITTEE = (Turn("국가인공지능전략위원회는 몇 명으로 구성되나?", "60명 이내"),)


def test_without_history_the_question_is_read_as_asked():
    assert resolve("그럼 위원장은 누가 맡나?", (), NAMES) == Resolution(("그럼 위원장은 누가 맡나?",))


@pytest.mark.parametrize("follow_up, reading", [
    ("그럼 위원장은 누가 맡나?", "국가인공지능전략위원회 위원장은 누가 맡나?"),  # a connective goes
    ("그 위원회 위원장은 누가 맡아?", "국가인공지능전략위원회 위원장은 누가 맡아?"),  # 그 + the topic's class
    ("거기 위원장은 누구야?", "국가인공지능전략위원회 위원장은 누구야?"),  # a pronoun becomes the topic
    # 그중 ("among them", a noun to Kiwi) and 그 중 point back too, however long the name after them.
    ("그중 민간위원 위촉 기준은 뭐야?", "국가인공지능전략위원회 민간위원 위촉 기준은 뭐야?"),
    ("그중에 위원장은 누구야?", "국가인공지능전략위원회 중에 위원장은 누구야?"),
    ("그 중 위원장은 누구야?", "국가인공지능전략위원회 중 위원장은 누구야?"),
])
def test_a_follow_up_that_points_back_is_read_only_with_the_topic(follow_up, reading):
    assert resolve(follow_up, COMMITTEE, NAMES) == Resolution((reading,), "국가인공지능전략위원회")


def test_a_follow_up_without_a_subject_is_read_only_with_the_topic():
    # Alone, 임기는? would be answered from whichever document says most about 임기.
    assert resolve("임기는?", COMMITTEE, NAMES).readings == ("국가인공지능전략위원회 임기는?",)


def test_a_question_with_a_long_name_of_its_own_is_read_as_asked_first():
    assert resolve("고영향 인공지능이란?", COMMITTEE, NAMES).readings == (
        "고영향 인공지능이란?", "국가인공지능전략위원회 고영향 인공지능이란?")


def test_a_question_naming_a_document_or_repeating_the_topic_ignores_the_history():
    assert resolve("개인정보 보호법에서 민감정보란?", COMMITTEE, NAMES) == Resolution(("개인정보 보호법에서 민감정보란?",))
    assert resolve("국가인공지능전략위원회 위원장은?", COMMITTEE, NAMES).topic is None


def test_a_named_statute_is_the_topic_with_the_term_asked_about_but_not_the_aspect():
    privacy = (Turn("개인정보 보호법에서 민감정보란 뭐야?", None),)
    # The pronoun's particle follows the topic's last syllable (보 is open: 는).
    assert resolve("그건 어떤 경우에 처리할 수 있어?", privacy, NAMES).readings == (
        "개인정보 보호법 민감정보는 어떤 경우에 처리할 수 있어?",)
    purpose = (Turn("인공지능기본법의 목적은?", "제1조(목적) …"),)
    assert resolve("이 법은 언제부터 시행돼?", purpose, NAMES).readings == ("인공지능기본법은 언제부터 시행돼?",)


@pytest.mark.parametrize(("opening", "topic"), [
    # The office asked about (위원장) is an aspect of the committee, not the topic of the next turns.
    ("인공지능기본법에서 국가인공지능전략위원회 위원장은 누가 맡아?", "인공지능기본법 국가인공지능전략위원회"),
    ("개인정보 보호법상 개인정보 분쟁조정위원회 위원은 몇 명이야?", "개인정보 보호법 개인정보 분쟁조정위원회"),
    # A short first word is a modifier of the term, which stays whole.
    ("인공지능기본법에서 고영향 인공지능이란?", "인공지능기본법 고영향 인공지능"),
])
def test_the_last_short_word_of_a_named_term_is_the_aspect_asked(opening, topic):
    assert resolve("임기는?", (Turn(opening, None),), NAMES).topic == topic


def test_the_topic_carries_over_the_turns_after_it_and_changes_with_a_named_document():
    history = (Turn("서울디지털재단은 몇 년에 설립되었나?", "2016년"), Turn("근데 출범식은 어디서 했어?", "대한상공회의소"),
               Turn("출범식 장소는 어디야?", "대한상공회의소"))
    # A later turn's own noun phrase (출범식 장소) is the aspect it asked about, not a new topic.
    assert resolve("거기 대표는 누구야?", history, NAMES).topic == "서울디지털재단"
    switched = (*history, Turn("개인정보 보호법의 목적은?", "제1조(목적) …"))
    assert resolve("과태료는?", switched, NAMES).topic == "개인정보 보호법"


def test_earlier_turns_are_analysed_once_per_index_names():
    history = (Turn("국가인공지능전략위원회는 몇 명으로 구성되나?", "60명 이내"), Turn("위원장은 누구야?", "대통령"))
    turn_topic.cache_clear()
    first = resolve("그 위원회 임기는?", history, NAMES)
    again = resolve("그럼 간사는?", history, NAMES)
    assert first.topic == again.topic == "국가인공지능전략위원회"
    # Two earlier turns, each analysed once; the second question found both in the memo.
    assert turn_topic.cache_info().misses == 2 and turn_topic.cache_info().hits == 2
    other = DocumentNames({d.doc_id: d for d in (ACT, PRIVACY)})
    # Another index's names are another key: its documents may name other things.
    resolve("그 위원회 임기는?", history, other)
    assert turn_topic.cache_info().misses == 4


def test_a_determiner_before_another_noun_keeps_the_noun():
    assert resolve("해당 사업자는 뭘 해야 해?", COMMITTEE, NAMES).readings == (
        "국가인공지능전략위원회 사업자는 뭘 해야 해?",)
