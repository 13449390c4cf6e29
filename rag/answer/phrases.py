"""Noun phrases: how the words of a sentence group into phrases, and what a phrase names.

Kiwi morphemes are grouped into words (noun runs, :func:`noun_units`); a phrase of such
words is typed by its first and its head word (:func:`phrase_types`): a Korean name
(surname + given name), a title or role (…이사장), or a suffix of an organisation
(…재단) or a place (…구). Words that only frame or label (경우, 가목) name nothing
(:func:`is_stop`). :mod:`rag.answer.candidates` builds its noun-phrase spans on these.
"""

from __future__ import annotations

import re

from rag.sentences import Morpheme

_NOUNISH = frozenset({"NNG", "NNP", "NR", "SL", "SN", "SH", "XPN", "XSN", "XR"})
#: Units made only of these are numbers; the regular expressions type them instead.
NUMERIC = frozenset({"SN", "NR"})
_JOINERS = frozenset({"ㆍ", "·", "-", "&"})
#: Korean surnames: a Kiwi NNP of 2–4 syllables starting with one is taken for a name.
SURNAMES = frozenset(
    "김이박최정강조윤장임한오서신권황안송류유홍전고문양손배백허남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부"
)
_ROLE_SUFFIXES = (
    "대통령", "총리", "장관", "차관", "처장", "청장", "위원장", "부위원장", "이사장", "시장", "지사", "군수",
    "구청장", "소장", "원장", "회장", "사장", "대표", "과장", "국장", "실장", "본부장", "센터장", "부문장",
    "단장", "팀장", "부장", "차장", "기자", "의원", "비서관", "위원", "교수", "박사", "감독", "선수", "작가",
    "총장", "왕", "황제", "장군", "사령관", "주교", "간사",
)
_ORG_SUFFIXES = (
    "재단", "위원회", "협의회", "협회", "연구소", "연구원", "센터", "사업단", "지원단", "공단", "공사",
    "은행", "대학교", "대학", "학교", "학회", "그룹", "회사", "기업", "조합", "법인", "정부", "부", "청", "처",
    "원", "당", "군", "일보", "신문", "방송", "뉴스", "통신", "데일리", "기관", "단체", "기구", "부처",
)
_PLACE_SUFFIXES = (
    "특별시", "광역시", "시", "도", "군", "구", "동", "읍", "면", "리", "국", "주", "섬", "산", "강", "역",
    "공항", "항", "회의실", "홀", "광장", "도서관", "박물관", "미술관", "체육관", "경기장", "빌딩", "타워",
    "공원", "궁", "마을", "거리", "지역", "도시", "나라",
    # Where statutes have notices published (관보에 고시, 인터넷 홈페이지에 게시): they answer "어디에 공고하나".
    "홈페이지", "누리집", "게시판", "관보",
)
#: The noun that makes a phrase an affiliation (국무총리 소속, LG AI연구원 소속).
AFFILIATION = "소속"
#: Endings of place and organisation names that start like a surname (서울시, 남해군).
_NOT_NAME_ENDINGS = ("시", "군", "청", "도청", "구청", "공사", "공단", "대학", "은행")
#: Nouns that frame, bound or refer rather than name anything (경우, 해당, 이하, 당시,
#: 자신): a noun phrase never starts or ends with one, so none answers on its own.
_STOP_NOUNS = frozenset({
    "경우", "해당", "이하", "이상", "미만", "초과", "이내", "관련", "이후", "이전", "이외", "당시", "동안",
    "불구", "자신", "자기", "시작", "종류", "존재", "포함", "방법", "최초", "대상", "내용", "정도", "가운데",
    "사이", "과정", "결과", "부분", "일부", "전체", "대부분", "다음", "이러", "그러", "이것", "그것", "위반",
    "개정", "규정", "각", "등", "때문", "중", "후", "전", "외", "내", "간", "및", "또는", "여부", "사항",
    "때",  # "알게 되었을 때에는", "개편 때": when a clause or an event holds, as 경우 says if
})
_ITEM_LABEL = re.compile(r"[가-하]목|제?\d+호")

#: Extra marker among a candidate's types: the span starts with a personal name.
NAME = "name"


def is_name(unit: list[Morpheme], before_title: bool) -> bool:
    """Whether a word looks like a Korean personal name (surname + given name).

    Kiwi tags known names NNP; unknown ones it may cut into pieces (박/태/진), so
    a 2–4 syllable word beginning with a surname also counts when a title follows.
    """
    form = "".join(m.form for m in unit)
    if not (form[0] in SURNAMES and all("가" <= c <= "힣" for c in form)) or form.endswith(_NOT_NAME_ENDINGS) \
            or any(form.endswith(suffix) for suffix in _ORG_SUFFIXES if len(suffix) > 1):
        return False
    if before_title:
        # Kiwi cuts unknown names into syllables (주/성/환); before a title, a
        # three-syllable word of single syllables after a surname is still a name.
        pieces = len(unit) > 1 and all(len(m.form) == 1 for m in unit)
        return (2 <= len(form) <= 4 and unit[0].tag == "NNP") or (len(form) == 3 and pieces)
    return len(unit) == 1 and unit[0].tag == "NNP" and len(form) == 3


def is_affiliation(text: str) -> bool:
    """Whether a span names where something belongs (국무총리 소속): it answers "어디 소속" only."""
    return text.endswith(" " + AFFILIATION)


#: How a statute's name ends (「개인정보 보호법」, 「…에 관한 법률」, 「… 시행령」, 「서울특별시 … 조례」): it
#: names an act, never a person, a body or a place, even when every word of it is a proper noun.
_STATUTE_ENDINGS = ("법", "법률", "시행령", "대통령령", "총리령", "부령", "규칙", "조례")


def is_statute_name(text: str) -> bool:
    """Whether a span names an act (…법, …에 관한 법률, … 시행령, … 조례)."""
    return text.endswith(_STATUTE_ENDINGS)


def is_titled(text: str) -> bool:
    """Whether a span ends with a title or role (…이사장, …기자, 대통령)."""
    return text.endswith(_ROLE_SUFFIXES)


def is_title(unit: list[Morpheme]) -> bool:
    """Whether a word is a title or role (이사장, 기자)."""
    return is_titled("".join(m.form for m in unit))


def _ends_with(unit: list[Morpheme], suffixes: tuple[str, ...]) -> bool:
    """Whether a word ends with one of ``suffixes`` as a name ending, not by chance.

    A one-syllable ending (구, 항, 원) only counts on a proper noun (중구, 인천항) or
    as a suffix after one: 연구 and 제2항 are no places. A number after the ending
    is part of the name (뉴스1, 제2연구소 is not).
    """
    if len(unit) > 1 and unit[-1].tag == "SN":
        unit = unit[:-1]
    head = "".join(m.form for m in unit)
    for suffix in suffixes:
        if head.endswith(suffix):
            if len(suffix) > 1 or unit[-1].tag == "NNP" or (len(unit) > 1 and unit[-2].tag == "NNP"):
                return True
    return False


def phrase_types(units: list[list[Morpheme]], name_first: bool) -> frozenset[str]:
    """Types a noun phrase may stand for, judged by its first and its head (last) unit.

    A name alone, a name followed by its title (김만기 … 이사장) and a title alone
    (디지털정책과장) are persons; otherwise the head's suffix decides.
    """
    role = is_title(units[-1])
    types: set[str] = {"other"}
    if (len(units) == 1 and name_first) or role:
        types.add("person")
    if name_first and (len(units) == 1 or role):
        types.add(NAME)
    if not role and _ends_with(units[-1], _ORG_SUFFIXES):
        types.add("organization")
    if not role and len(units) > 1 and "".join(m.form for m in units[-1]) == AFFILIATION:
        # "국무총리 소속" names where a body belongs, which "어디 소속" asks for, even when
        # what it belongs to is an office: statutes place bodies under one (대통령 소속으로 둔다).
        types.add("organization")
    if not role and _ends_with(units[-1], _PLACE_SUFFIXES):
        types.add("place")
    if "person" not in types and all(m.tag in ("NNP", "SL", "SN") for unit in units for m in unit):
        statute = is_statute_name("".join(m.form for m in units[-1]))
        types.update(("title",) if statute else ("organization", "place", "title"))
    return frozenset(types)


def noun_units(morphemes: tuple[Morpheme, ...]) -> list[tuple[list[Morpheme], bool]]:
    """Noun runs, each with whether the phrase may continue into the next word.

    A run continues only when it fills its whole word (no particle or ending attached)
    and the next word starts right after one space.
    """
    runs: list[tuple[list[Morpheme], bool]] = []
    current: list[Morpheme] = []
    for i, m in enumerate(morphemes):
        nounish = m.tag in _NOUNISH and not (m.tag == "XSN" and not current)
        joiner = m.form in _JOINERS and current and i + 1 < len(morphemes) and \
            morphemes[i + 1].start == m.end and morphemes[i + 1].tag in _NOUNISH
        if (nounish or joiner) and (not current or current[-1].end == m.start):
            current.append(m)
            continue
        if current:
            open_ = nounish and current[-1].end + 1 == m.start
            runs.append((current, open_))
        current = [m] if nounish else []
    if current:
        runs.append((current, False))
    # A bare number breaks a phrase ("오후 2시 서울" is not one name); the patterns type it.
    kept: list[tuple[list[Morpheme], bool]] = []
    for unit, open_ in runs:
        if all(m.tag in NUMERIC for m in unit):
            if kept:
                kept[-1] = (kept[-1][0], False)
        else:
            kept.append((unit, open_))
    return kept


def is_stop(unit: list[Morpheme]) -> bool:
    """Whether a word only frames or labels (경우, 이하, 가목), naming nothing itself."""
    form = "".join(m.form for m in unit)
    return form in _STOP_NOUNS or bool(_ITEM_LABEL.fullmatch(form))

def is_foreign_name(part: list[list[Morpheme]], rest: list[list[Morpheme]]) -> bool:
    """Whether proper nouns before a title name a person: 올라프 숄츠 총리, 올라프 숄츠
    독일 총리 (a country or body may stand between name and title).

    Names without a Korean surname are only recognisable by the title after them.
    """
    proper = all(m.tag in ("NNP", "SL") for unit in part for m in unit)
    if not proper or not rest:
        return False
    if is_title(rest[0]):
        return len(part) > 1
    return len(rest) > 1 and is_title(rest[1]) and all(m.tag == "NNP" for m in rest[0])


def is_foreign(unit: list[Morpheme]) -> bool:
    """Whether a word is written in the Latin alphabet (Forest, AI)."""
    return all(m.tag == "SL" for m in unit)


#: The item a statute's "각 호의", "각 목의", "각 항의" refers to, as Kiwi reads it after 각
#: (호의 as one noun, "goodwill").
_ITEM_NOUN = re.compile(r"[호목항]의?")


def item_references(morphemes: tuple[Morpheme, ...]) -> set[int]:
    """Starts of the words that refer to a list's items after 각 (다음 각 호의 행위): the
    drafting formula names no thing, and Kiwi reads its 호의 as a noun, "goodwill"."""
    return {after.start for each, after in zip(morphemes, morphemes[1:])
            if each.form == "각" and each.tag == "MM" and _ITEM_NOUN.fullmatch(after.form)}
