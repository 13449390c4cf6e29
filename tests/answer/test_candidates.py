"""Typed candidate spans, one group of checks per answer type."""

from __future__ import annotations

import pytest

from rag.answer.candidates import ALIAS, DEFINITION, QUOTED, TERM, Candidate, extract_candidates, with_heads_of_bodies
from rag.answer.compounds import PAIRED
from rag.answer.phrases import NAME
from rag.sentences import split_sentences


def spans(text: str) -> dict[str, Candidate]:
    """Candidate text → candidate, for a one-line text."""
    return {c.text: c for sentence in split_sentences(text) for c in extract_candidates(sentence)}


def candidates(text: str, prefix: str = "") -> dict[str, set[str]]:
    """Candidate text → types, for a one-sentence text placed after ``prefix``."""
    full = prefix + text
    found: dict[str, set[str]] = {}
    for sentence in split_sentences(full, len(prefix)):
        for c in extract_candidates(sentence):
            assert full[c.start:c.end] == c.text
            found.setdefault(c.text, set()).update(c.types)
    return found


@pytest.mark.parametrize(
    ("text", "span", "answer_type"),
    [
        ("이 재단은 2016년 설립 이래 성장했다.", "2016년", "date"),
        ("법은 2025년 5월 21일 공포되었다.", "2025년 5월 21일", "date"),
        ("부칙 <제20676호,2025.1.21>", "2025.1.21", "date"),
        ("시장은 지난 2월 전략을 발표했다.", "지난 2월", "date"),
        ("이 법은 공포 후 1년이 경과한 날부터 시행한다.", "공포 후 1년이 경과한 날", "date"),
        ("출범식은 21일 오후 2시 열렸다.", "오후 2시", "time"),
        ("출범식은 21일 오후 2시 열렸다.", "21일", "date"),
        ("전문가 300여명이 참석했다.", "300여명", "number"),
        ("7대 핵심 전략을 발표했다.", "7대", "number"),
        ("위원회는 60명 이내의 위원으로 구성한다.", "60명 이내", "number"),
        ("기본계획은 3년마다 수립한다.", "3년마다", "quantity"),
        ("위원회는 5년간 존속한다.", "5년간", "quantity"),
        ("3천만원 이하의 과태료를 부과한다.", "3천만원 이하", "money"),
        ("3천만원 이하의 과태료를 부과한다.", "3천만원 이하의 과태료", "money"),
        ("3년 이하의 징역 또는 3천만원 이하의 벌금에 처한다.", "3년 이하의 징역 또는 3천만원 이하의 벌금", "money"),
        ("김유철 LG AI연구원 부문장이 발제를 진행했다.", "김유철", "person"),
        ("김만기 서울AI재단 이사장은 말했다.", "김만기 서울AI재단 이사장", "person"),
        ("[이데일리 박태진 기자] 재단이 이름을 바꿨다.", "박태진", "person"),
        ("김숙희 서울시 디지털정책과장이 발표했다.", "서울시 디지털정책과장", "person"),
        ("김성하 경기연구원 센터장이 발표했다.", "경기연구원", "organization"),
        ("서울디지털재단이 이름을 바꿨다.", "서울디지털재단", "organization"),
        ("기념촬영을 하고 있다. (사진=뉴스1)", "뉴스1", "organization"),
        ("국가인공지능전략위원회를 둔다.", "국가인공지능전략위원회", "organization"),
        # An affiliation names where a body belongs, even under an office.
        ("국무총리 소속으로 보호위원회를 둔다.", "국무총리 소속", "organization"),
        ("서울 중구에 있는 대한상공회의소에서 열렸다.", "중구", "place"),
        ("대한상공회의소 국제회의실에서 열렸다.", "국제회의실", "place"),
        ("그 내용을 관보 및 인터넷 홈페이지에 공고하여야 한다.", "인터넷 홈페이지", "place"),
        ("‘Urban AI’를 추진한다.", "Urban AI", "title"),
        ("「행정조사기본법」에서 정하는 바에 따른다.", "행정조사기본법", "title"),
        ("그는 “새로운 시작”이라고 말했다.", "새로운 시작", "title"),
        ('"학습용데이터"란 데이터를 말한다.', "학습용데이터", "title"),
        ("제31조(인공지능 투명성 확보 의무)", "제31조", "law_reference"),
        ("제7조제9항을 위반한 자", "제7조제9항", "law_reference"),
        ("「형법」 제127조 및 제129조부터 제132조까지를 적용한다.", "제127조 및 제129조부터 제132조까지", "law_reference"),
        ("청문을 하여야 한다.", "청문", "other"),
        ("생체인식정보(얼굴ㆍ지문ㆍ홍채 및 손바닥 정맥 등 신체적 특징)", "얼굴ㆍ지문ㆍ홍채 및 손바닥 정맥", "other"),
        ("국방 또는 국가안보 목적으로만 이용되는 인공지능", "국방 또는 국가안보 목적", "other"),
        ("출석위원 과반수의 찬성으로 의결한다.", "출석위원 과반수", "quantity"),
        ("재적의원 3분의 2 이상의 찬성이 필요하다.", "3분의 2 이상", "quantity"),
        # Measures with their range, approximation, units in words; ordinals and native numerals.
        ("종분화는 3-4천년 이내에 이루어져야 한다.", "3-4천년", "quantity"),
        ("1규빗은 약 45~46cm이다.", "약 45~46cm", "quantity"),
        ("1규빗은 약 45~46cm이다.", "45~46cm", "quantity"),
        ("그 경계는 19-20세기에 형성되었다.", "19-20세기", "date"),
        ("고원의 면적은 약 250만 평방 킬로미터이다.", "약 250만 평방 킬로미터", "quantity"),
        ("금강산의 총 면적은 530제곱킬로미터이다.", "530제곱킬로미터", "quantity"),
        ("폰이 8번째 랭크에 이르면 승격한다.", "8번째", "number"),
        ("지름의 1.25배에서 1.3배 정도가 알맞다.", "1.25배에서 1.3배", "quantity"),
        ("1 태양년은 약 365.2422일이다.", "약 365.2422일", "quantity"),
        ("목재는 5000년 전의 것이다.", "5000년 전", "quantity"),
        ("생물은 대략 870만(±120만)종에 달한다.", "870만", "number"),
        ("폰이 두칸 전진했을 때 잡을 수 있다.", "두칸", "number"),
        ("한국에는 두 곳이 있다.", "두 곳", "number"),
    ],
)
def test_candidate_of_each_type(text, span, answer_type):
    found = candidates(text)
    assert span in found, sorted(found)
    assert answer_type in found[span]


def test_offsets_point_into_the_document_text():
    prefix = "첫 줄입니다.\n\n"
    found = candidates("이 재단은 2016년 설립되었다.", prefix)
    assert "2016년" in found


def test_a_number_is_not_a_name_or_a_time_of_day():
    found = candidates("제2조제1호에 따른 3개 기관")
    assert not any("time" in types for types in found.values())
    assert "3개" in found and "number" in found["3개"]
    assert "2조" not in found


def test_a_place_word_with_a_title_is_a_person_not_a_place():
    found = candidates("위원회의 위원장은 대통령이 된다.")
    assert "person" in found["위원장"] and "place" not in found["위원장"]
    assert "person" in found["대통령"]


def test_a_statute_name_of_proper_nouns_is_no_body_or_place():
    found = candidates("「유아교육법」에 따른 유치원과 한국저작권위원회")
    assert "title" in found["유아교육법"]
    assert not {"organization", "place"} & found["유아교육법"]
    assert "organization" in found["한국저작권위원회"]


def test_no_candidate_cuts_into_a_quoted_title():
    found = candidates("재단은 ‘Urban AI’를 추진하고 ‘AI 3대 강국 도약’을 발표했다.")
    assert QUOTED in found["Urban AI"]
    assert "Urban" not in found and "AI" not in found
    assert "3대" in found  # typed shapes inside a title are still candidates


def test_particle_role_and_linked_noun_after_a_span():
    sentence = split_sentences("‘AI와 동행하는 대한민국’을 주제로 노터데임 대학교에서 열렸다.")[0]
    by_text = {c.text: c for c in extract_candidates(sentence)}
    quoted = by_text["AI와 동행하는 대한민국"]
    assert (quoted.role, quoted.next_noun) == ("object", "주제")
    assert by_text["노터데임 대학교"].role == "from"
    assert by_text["노터데임"].next_noun is None  # 대학교 continues the compound


@pytest.mark.parametrize(
    ("text", "name", "not_name"),
    [
        ("김숙희 서울시 디지털정책과장이 발표했다.", "김숙희", "서울시"),
        ("주성환 서울AI재단 본부장이 발표했다.", "주성환", "서울AI재단"),
        ("[이데일리 박태진 기자] 재단이 이름을 바꿨다.", "박태진", "이데일리"),
    ],
)
def test_names_before_a_title_and_places_that_look_like_names(text, name, not_name):
    found = candidates(text)
    assert NAME in found[name]
    assert NAME not in found.get(not_name, set())


def test_a_one_syllable_place_ending_needs_a_proper_noun():
    found = candidates("인천항에서 정책 연구를 하고 제2항을 고쳤다.")
    assert "place" in found["인천항"]
    assert "place" not in found["정책 연구"] and "place" not in found.get("제2항", set())


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("이 배는 엔진 4기를 싣고 다닌다.", "4기"),
        ("이 곡은 12마디로 이루어져 있다.", "12마디"),
        ("그 단지는 1200가구 규모다.", "1200가구"),
        ("공사비로 3천만 달러가 들었다.", "3천만 달러"),
        ("설치 파일은 256MB의 공간이 필요하다.", "256MB"),
        # Korean writes large numbers in groups of 만 and 억, each maybe approximate.
        ("공무원 숫자는 8만 1219명 늘어났다.", "8만 1219명"),
        ("관중은 15만 5천명이었다.", "15만 5천명"),
        ("그는 9억4000여만원을 받았다.", "9억4000여만원"),
        ("회사는 330여억원을 잃었다.", "330여억원"),
        ("예산 100만 캐나다 달러를 절감했다.", "100만 캐나다 달러"),
    ],
)
def test_counts_in_any_counter_and_amounts_in_any_currency(text, span):
    assert span in candidates(text)


def test_no_range_or_approximation_without_one():
    # 조약 ends in 약 without meaning "about"; 서울에서 is no low end of a range.
    assert not [span for span in candidates("조약 3개가 체결되었다.") if span.endswith("3개") and span != "3개"]
    assert not [span for span in candidates("서울에서 3명이 왔다.") if span.endswith("3명") and span != "3명"]
    # A native numeral only counts with its counter, which ends the word (개인 is no 개).
    found = candidates("두 개인이 만났다. 세계 각국이 모였다.")
    assert not [span for span, types in found.items() if span.startswith(("두", "세")) and "number" in types]
    assert "10년 전" not in candidates("10년 전국 대회가 열렸다.")


def test_a_reference_number_is_no_count():
    found = candidates("제3항에 따른 신고를 한다.")
    assert "3항" not in found


def test_an_items_number_is_no_count():
    # Kiwi reads the "1." of a numbered item as one numeral; 개인 after it counts nothing.
    found = candidates("  1. 개인신용평가업을 하려는 경우: 50억원 이상")
    assert not [span for span, types in found.items() if span.startswith("1") and "number" in types]
    assert "money" in found["50억원 이상"]


@pytest.mark.parametrize(("text", "word"), [
    ("저작자의 실명 또는 이명이 표시된 저작물", "이명"),  # another name, not two people
    ("해동검도 4단 보유자로 사범증을 갖고 있다.", "사범"),  # a master, not four of anything
    ("인도 제국의 아삼 주를 공격했다.", "삼 주"),  # a syllable of a name, not three weeks
    ("건곤일척의 승부를 벌였다.", "일척"),
    ("③ 이 영 시행 전에 종전의 「위원회 규정」에 따라 한 처분은 이 영에 따라 한 것으로 본다.", "영 시행"),  # the decree's
])
def test_a_numeral_inside_a_word_is_no_count(text, word):
    found = candidates(text)
    assert "number" not in found.get(word, frozenset())


@pytest.mark.parametrize(("text", "span"), [
    ("수천 명의 시위대가 모였다.", "수천 명"),
    ("몇십대 생산되었다.", "몇십대"),
    ("천만 장 이상 판매했다.", "천만 장"),
    ("이십 명이 참석했다.", "이십 명"),
    ("일인칭 시점의 게임이다.", "일인칭"),
    ("삼남매가 지분을 가졌다.", "삼남매"),
])
def test_a_count_in_hangul_numerals_stays_a_count(text, span):
    assert "number" in candidates(text)[span]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("구매수요 정보를 연 2회 이상 제출하여야 한다.", "연 2회 이상"),
        ("처리 결과를 6개월에 1회 이상 공표하여야 한다.", "6개월에 1회 이상"),
        ("안전조치 여부를 3년마다 1회 이상 조사한다.", "3년마다 1회 이상"),
        ("목록을 월 1회 점검한다.", "월 1회"),
    ],
)
def test_how_often_is_a_count_with_its_period(text, span):
    assert "number" in candidates(text)[span]


def test_a_statutes_range_of_sizes_and_the_end_of_a_month():
    found = candidates("위원장 1명을 포함하여 5명 이상 7명 이하의 위원으로 구성한다.")
    assert "number" in found["5명 이상 7명 이하"] and "7명 이하" in found
    assert "date" in candidates("매년 2월 말일까지 제출하여야 한다.")["2월 말일"]
    assert "date" in candidates("계획을 2월 말까지 통보한다.")["2월 말"]
    # 말씀 is no end of a month; 3명 이상이 … 2명 is no range.
    assert "2월 말" not in candidates("2월 말씀을 전했다.")
    assert not [span for span in candidates("3명 이상이 출석하고 2명이 찬성한다.") if span.startswith("3명") and span.endswith("2명")]


def test_a_notice_period_keeps_its_deadline():
    found = candidates("휴지하려는 날의 30일 전까지 가입자에게 알려야 한다.")
    assert "30일 전까지" in found and "30일" in found


def test_days_or_years_that_have_passed_are_a_span_of_time_not_a_date():
    found = candidates("청구 후 20일이 경과한 날부터 30일 이내에 신청한다. 설립하고 3년이 지나 2019년에 옮겼다.")
    assert "date" not in found["20일"] and "quantity" in found["20일"]
    assert "date" not in found["3년"] and "quantity" in found["3년"]
    assert "date" in found["2019년"] and "date" in found["청구 후 20일이 경과한 날"]


def test_the_year_and_month_of_a_full_date_are_candidates_of_their_own():
    found = candidates("공장은 1987년 4월 12일 문을 열었다.")
    assert {"1987년 4월 12일", "1987년 4월", "1987년"} <= set(found)
    assert all("date" in found[span] for span in ("1987년 4월 12일", "1987년 4월", "1987년"))


def test_the_article_of_a_finer_reference_is_a_candidate():
    found = candidates("법 제12조제2항에 따라 신고한다.")
    assert "law_reference" in found["제12조제2항"] and "law_reference" in found["제12조"]


@pytest.mark.parametrize(
    ("text", "stop"),
    [
        ("해당 경우에는 신고하지 아니한다.", "경우"),
        ("해당 사업자는 신고를 한다.", "해당"),
        ("나목에 해당하는 자를 말한다.", "나목"),
        ("그 당시 주민들은 떠났다.", "당시"),
        ("유출등이 되었음을 알게 되었을 때에는 보호위원회에 신고해야 한다.", "때"),
        ("재단은 2024년 개편 때 이름을 바꿨다.", "때"),
    ],
)
def test_framing_nouns_are_no_candidates(text, stop):
    found = candidates(text)
    assert stop not in found
    assert not any(span.startswith(stop + " ") or span.endswith(" " + stop) for span in found)


def test_a_statute_alias_is_marked_but_a_defined_term_is_not():
    found = candidates('시장은 도시데이터센터(이하 "센터"라 한다)를 둔다.')
    assert ALIAS in found["센터"]
    found = candidates('데이터를 가공한 결과(이하 "가공정보"라 한다)를 공개한다.')
    assert ALIAS not in found["가공정보"]
    # A short form keeps the name's letters in order, whether or not they stand together.
    found = candidates('장관은 정부통합데이터분석센터(이하 "통합분석센터"라 한다)와 개인정보침해 신고센터(이하 "신고센터"라 한다)를 둔다.')
    assert ALIAS in found["통합분석센터"] and ALIAS in found["신고센터"]


def test_pieces_of_a_statute_reference_are_no_noun_phrases():
    found = candidates("제36조제1항을 위반한 자")
    assert "제36조제1항" in found
    assert "제36" not in found and "제1항" not in found


def test_a_run_of_foreign_words_is_one_name():
    found = candidates("시민들은 Keep the Forest 운동을 벌였다.")
    assert "Keep the Forest" in found
    assert not {"Keep", "the", "Forest", "Keep the", "the Forest"} & set(found)


@pytest.mark.parametrize(
    ("text", "verbal", "noun"),
    [
        ("그 제도는 개편되면서 오래 쓰였다.", "개편", "제도"),
        ("주민들은 공사에 반대하는 모임을 꾸렸다.", "반대", "공사"),
    ],
)
def test_a_noun_made_a_verb_is_no_candidate(text, verbal, noun):
    found = candidates(text)
    assert verbal not in found and noun in found


@pytest.mark.parametrize(
    ("text", "gloss", "name"),
    [
        ("이 역법은 대통력(大統曆)이라 불렸다.", "大統曆", "대통력"),
        ("그는 한국개발연구소(KDI)에서 일했다.", "KDI", "한국개발연구소"),
    ],
)
def test_a_parenthesised_gloss_is_an_alias_of_the_name_before_it(text, gloss, name):
    found = candidates(text)
    assert ALIAS in found[gloss] and ALIAS not in found[name]


def test_a_decade_is_a_date():
    assert "date" in candidates("그 음악은 1960년대 후반에 유행했다.")["1960년대 후반"]
    assert "date" in candidates("그 음악은 60년대 초반에 유행했다.")["60년대 초반"]


def test_a_measure_with_what_qualifies_it_and_without():
    assert {"오전 4시 50분경", "오전 4시 50분"} <= set(candidates("사고는 오전 4시 50분경 일어났다."))
    assert {"향후 10년간", "10년간"} <= set(candidates("그는 향후 10년간 출마할 수 없다."))


def test_proper_nouns_before_a_title_name_a_person():
    found = candidates("회담에는 올라프 숄츠 독일 총리가 나왔다.")
    assert {"person", NAME} <= found["올라프 숄츠"]
    assert "person" not in found["올라프"] and "person" not in found["독일"]


def test_a_definition_gives_its_term_and_its_body_both_knowing_the_term():
    found = spans('  12. "학습용데이터"란 인공지능의 개발ㆍ활용 등에 사용되는 데이터를 말한다.')
    assert TERM in found["학습용데이터"].types
    body = found["인공지능의 개발ㆍ활용 등에 사용되는 데이터"]
    assert DEFINITION in body.types and body.term == "학습용데이터"


def test_a_definition_item_with_a_colon_is_a_definition_too():
    found = spans("    가. 인공지능개발사업자: 인공지능을 개발하여 제공하는 자")
    assert found["인공지능개발사업자"].term == "인공지능개발사업자"
    assert DEFINITION in found["인공지능을 개발하여 제공하는 자"].types


def test_a_part_of_a_date_or_amount_knows_the_whole_expression():
    found = spans("이 공장은 1987년 4월 12일 문을 열었다.")
    whole = found["1987년 4월 12일"]
    assert found["1987년"].extent == (whole.start, whole.end) == whole.extent
    assert found["공장"].extent is None


def test_coordinated_phrases_need_a_coordinator_between_them():
    found = candidates("재단은 연구를 하고 교육을 한다.")
    assert not any(" 및 " in text or "," in text for text in found)
    assert "연구, 교육" in candidates("재단은 연구, 교육 등을 추진한다.")


def test_phrases_joined_by_wa_are_a_pair_but_wa_meaning_with_joins_nothing():
    found = candidates("그는 상수도와 하수도를 구분하지 못했다.")
    assert PAIRED in found["상수도와 하수도"] and PAIRED not in found["하수도"]
    assert not any("김현식과" in text for text in candidates("그는 김현식과 함께 밴드를 결성했다."))
    found = candidates("그는 고수국민학교, 광주서중학교, 전남고등학교와 서울대학교를 졸업했다.")
    assert "고수국민학교, 광주서중학교, 전남고등학교" in found and PAIRED in found["고수국민학교, 광주서중학교, 전남고등학교와 서울대학교"]


def test_a_phrase_with_its_owner_before_the_genitive_is_a_candidate_too():
    found = candidates("마이크는 공기의 진동을 감지한다.")
    assert {"공기의 진동", "진동", "공기"} <= set(found) and not any(text.endswith("의") for text in found)
    assert "제1항의 기술영향평가" not in candidates("정부는 제1항의 기술영향평가를 실시한다.")
    # A name needs no owner, nor a phrase of several words.
    assert "베르사유의 프티 트리아농 궁전" not in candidates("그는 베르사유의 프티 트리아농 궁전을 선물했다.")


def test_a_statutes_note_on_its_own_history_holds_no_candidate():
    found = candidates("위원회는 20명 이내의 위원으로 구성한다. <개정 2016.1.6, 2020.6.9>")
    assert "20명 이내" in found and not any("2016" in text or "2020" in text for text in found)
    assert not any("2020" in text for text in candidates("  6. 삭제 <2020.2.4>"))
    # A 부칙's act number and date dates the act itself.
    assert "date" in candidates("부칙 <제20676호,2025.1.21>")["2025.1.21"]


def test_a_statutes_reference_to_its_items_starts_no_candidate():
    # Kiwi reads the 호의 of "다음 각 호의 행위" as one noun, "goodwill"; it is the list's items.
    found = spans("신용정보회사등은 다음 각 호의 행위를 하여서는 아니 된다.")
    assert "호의" not in found and "호의 행위" not in found and "행위" in found
    assert "목의 정보" not in spans("다음 각 목의 정보를 말한다.")
    assert "호의" in spans("그는 이웃에게 호의를 베풀었다.")  # goodwill, where it means it


def test_a_bodys_head_is_one_span_with_its_body():
    # "X의 장" is the office heading body X; 장 alone is a fragment, and a coordination it
    # begins starts at the body too. Where 장 is a place for something (소통의 장), nothing changes.
    sentence = split_sentences("이용자는 소관 공공기관의 장 또는 활용지원센터에 신청하여야 한다.")[0]
    found = {c.text: c.types for c in with_heads_of_bodies(sentence, tuple(extract_candidates(sentence)))}
    assert "person" in found["공공기관의 장"] and "person" in found["소관 공공기관의 장"]
    assert "공공기관의 장 또는 활용지원센터" in found and "장" not in found and "장 또는 활용지원센터" not in found
    forum = split_sentences("시민 소통의 장을 마련한다.")[0]
    assert with_heads_of_bodies(forum, tuple(extract_candidates(forum))) == tuple(extract_candidates(forum))
