"""Question analysis: what kind of answer a question expects, and which words to look for.

An extractive answerer needs two things from a question: the expected answer type
(a date for 언제, a count for 몇 명, an organisation for 어느 기관 …) and the content
words that should occur near the answer. Both come from Kiwi morphemes: the wh-word
(누구, 어디, 언제, 얼마, 몇, 무엇, 어느/어떤/무슨) and the noun it governs or that it
asks about (the *focus*: 기관 in "소속 기관은 어디인가", 조 in "몇 조인가") decide
the type; content morphemes other than the wh-phrase are the words to match.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal, Sequence, get_args

from rag.answer.kind_model import KindSignals
from rag.answer.kinds import AnswerKind, kind_of_question
from rag.answer.terms import noun_runs
from rag.lexical import CONTENT_TAGS, name_parts
from rag.tokenizer import tokens as kiwi_tokens

AnswerType = Literal[
    "date", "time", "number", "quantity", "money", "person", "organization", "place", "title",
    "law_reference", "other",
]
ANSWER_TYPES: tuple[str, ...] = get_args(AnswerType)
Precision = Literal["year", "month", "article", "act"]

_NOUN_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "SL", "XR"})
_WH_FORMS = frozenset({"누구", "어디", "언제", "얼마", "얼마나", "몇", "며칠", "무엇", "뭐", "무슨", "어느", "어떤", "웬"})
#: After a wh-word, a free-choice particle makes it "any…", asking nothing: 누구나, 어디든, 누구든지, 누구라도.
_FREE_CHOICE = frozenset({"나", "이나", "든", "든지", "라도"})
#: Determiners whose type comes from the noun right after them.
_DETERMINERS = frozenset({"몇", "어느", "어떤", "무슨", "웬"})

# Focus nouns, matched as suffixes of the noun so compounds inherit them (시행일 → 일).
_FOCUS_TYPES: tuple[tuple[AnswerType, tuple[str, ...]], ...] = (
    ("law_reference", ("조문", "조항", "조")),
    ("time", ("시각",)),
    ("money", ("금액", "예산", "비용", "가격", "과태료", "벌금", "수당", "수수료", "액수", "요금",
               "연봉", "보수", "처벌", "출연금", "상금", "액")),
    ("quantity", ("기간", "임기", "주기", "동안", "시간", "나이", "거리", "비율", "퍼센트", "규모",
                  "크기", "길이", "높이", "무게", "면적", "인원", "횟수", "개월")),
    ("date", ("날짜", "일자", "시기", "연도", "년도", "시점", "요일", "시행일", "공포일", "생일", "올해",
              "기념일", "날", "해", "때", "년", "월", "일", "시대", "연대")),
    ("person", ("사람", "인물", "직책", "직위", "직함", "수장", "발표자", "기자", "장관", "위원장",
                "이사장", "대표", "인사", "선수", "작가", "감독", "왕", "자", "실장", "과장", "국장", "부장",
                "본부장", "센터장", "원장", "회장", "사장", "총장", "대통령", "총리", "의원", "교수", "박사",
                "장군", "아내", "남편", "부인", "왕비", "황후", "후보", "배우", "가수", "건축가", "작곡가", "화가")),
    ("organization", ("기관", "단체", "기구", "조직", "매체", "언론사", "신문사", "방송사", "회사",
                      "기업", "협회", "위원회", "부처", "소속", "연구소", "연구원", "대학", "학교",
                      "팀", "정당", "모임", "구단", "재단")),
    ("place", ("장소", "곳", "지역", "도시", "나라", "국가", "위치", "주소", "공간", "건물", "동네",
               "지방", "대륙", "섬", "구", "도", "군")),
    # After the people whose titles end in 수 (선수, 교수).
    ("number", ("수", "개수", "갯수", "숫자")),
    ("title", ("제목", "주제", "이름", "명칭", "용어", "약칭", "약자", "슬로건", "표어", "작품",
               "책", "노래", "영화", "앨범", "별명", "호칭")),
)
#: Counters after 몇 and the type they ask for.
_COUNTER_TYPES: dict[str, AnswerType] = {
    "시": "time", "월": "date", "일": "date", "년도": "date", "연도": "date", "요일": "date", "조": "law_reference",
    "항": "law_reference", "호": "law_reference", "원": "money", "퍼센트": "quantity", "%": "quantity",
    "시간": "quantity", "분": "quantity", "초": "quantity", "개월": "quantity", "주": "quantity", "주일": "quantity",
    "살": "number", "세": "number",
}
#: Nouns naming the part of a date a question asks for (설립 연도 → 2016년, not a full date).
_DATE_PRECISION: dict[str, Precision] = {"연도": "year", "년도": "year", "해": "year", "년": "year", "월": "month"}
#: Nouns asking for a whole statute article (몇 조 → 제33조, not 제33조제1항).
_ARTICLE_NOUNS = frozenset({"조", "조문", "조항"})
#: Nouns naming a day, of which 며칠 asks the date (전자정부의 날은 며칠이야) rather than a count of days.
_DAY_NOUNS = ("날", "날짜", "일자")
#: Particles after 몇 년 that make it a point in time (몇 년에 세웠나) rather than a span.
_POINT_PARTICLES = frozenset({"에", "부터", "까지", "도", "생"})
#: Focus nouns that name a name: the answer ends with the noun before them, if anything.
NAMING_NOUNS = frozenset({"이름", "명칭", "용어", "약칭", "제목", "무엇", "것", "뭐"})
#: Words asking for another name of a thing: an abbreviation, a foreign or Hanja form.
_ALIAS_WORDS = ("약칭", "약자", "약어", "줄임말", "영문", "영어", "원어", "한자", "알파벳")
#: Nouns for a statute, whose 번호 is a reference (법률 제20000호).
_LAW_WORDS = frozenset({"법률", "법령", "법", "조례", "공포", "대통령령"})
#: Nouns naming a bound of what the noun before them measures (과태료의 상한).
_LIMIT_NOUNS = frozenset({"상한", "하한", "한도", "상한액", "최고액", "최대치", "최소치"})
#: Determiners that point back to what the text is about (이 기관, 그 재단, 해당 법인).
_ANAPHORS = frozenset({"이", "그", "저", "해당", "본"})
#: Nouns that classify the noun after them (어떤 종류의 암석): that noun is the asked one.
_KIND_NOUNS = frozenset({"유형", "종류", "형태", "형식", "모양", "부류", "성격"})
#: Nouns by which a question asks for a name (기관의 이름, 건축가의 이름, 위원장의 성함).
NAME_NOUNS = frozenset({"이름", "성함", "명칭"})
#: Words in a question and stems after 얼마 that make it ask for money (provenance in the file).
_MONEY = tomllib.loads(Path(__file__).with_name("money_words.toml").read_text(encoding="utf-8"))
_MONEY_WORDS, _PAID_STEMS = tuple(_MONEY["nouns"]), frozenset(_MONEY["paid"])
_DURATION_WORDS = frozenset({"동안", "간", "지나", "걸리", "경과", "만", "안", "이내"})
#: Content morphemes that only frame a question (기사, 이름) and say nothing about the answer.
_FRAME_WORDS = frozenset({"것", "수", "무엇", "누구", "어디", "언제", "얼마", "몇", "이름", "명칭",
                          "하", "되", "있", "이", "그", "대하", "관하", "따르", "말하", "알리",
                          "부르", "불리", "가리키"})
#: Focus nouns that only name the kind of answer (해는 언제, 장소는 어디): no sentence
#: states its answer with them, so they are no words to match.
_KIND_OF_ANSWER = frozenset({"날짜", "일자", "시기", "연도", "년도", "시점", "해", "날", "때", "시각", "장소",
                             "곳", "위치", "사람", "인물"})
#: A question asking what a term means (…는 어떻게 정의되나, …란 무엇인가, …의 뜻은).
_DEFINITION_CUE = re.compile(r"정의|의미하|뜻하|(?:이)?란\s?(?:무엇|뭐)|무엇을\s?(?:말하|뜻하|의미하)|의\s?뜻")
#: A question asking for the term a description defines (…를 무엇이라 부르나, …를 가리키는 용어는).
_TERM_CUE = re.compile(
    r"(?:무엇|뭐)(?:이)?라(?:고)?\s?(?:부르|하|일컫|칭하|이르)|(?:가리키|일컫|이르|뜻하)는\s?(?:용어|말|명칭|표현)"
    r"|(?:를|을)\s?(?:부르는|칭하는)\s?(?:용어|말|명칭)")
#: A question asking for the examples a text gives (…의 예로 든 것, 예시한 특징).
_EXAMPLES_CUE = re.compile(r"예(?:로|를|시|컨대)|사례로")
#: Nouns for "the number of" the noun before them (임직원 수, 회원 규모).
_COUNT_NOUNS = frozenset({"수", "개수", "갯수", "숫자", "인원", "규모", "총수"})
#: Words singling out the first or the last of a series (첫 회의, 초대 이사장, 마지막 경기):
#: a sentence without any word of the same family is about another member of it.
ORDINAL_FAMILIES: dict[str, frozenset[str]] = {
    "first": frozenset({"첫", "처음", "최초", "초대", "첫째", "시초"}),
    "last": frozenset({"마지막", "최후", "최종"}),
    # "몇 시에 끝났나": texts say when things start or are held, and when they end only in so many
    # words (끝났다, 종료, 4시까지).
    "end": frozenset({"끝", "마치", "마쳤", "종료", "폐막", "폐회", "마감", "만료", "종결", "까지"}),
}
#: Verb stems and verbal nouns asking about the end of something (끝났나, 종료되나).
_END_WORDS = frozenset({"끝나", "마치", "종료", "폐막", "폐회", "마감", "만료", "종결"})
#: Case particles grouped by the role they mark; the answer in the document tends to
#: carry the same role as the wh-word in the question (누구를 → 그를, 어디에서 → 서울에서).
PARTICLE_ROLES: dict[str, str] = {
    "이": "subject", "가": "subject", "은": "subject", "는": "subject", "께서": "subject", "을": "object",
    "를": "object", "의": "genitive", "에서": "from", "에게서": "from", "로부터": "from", "에": "at", "에게": "to",
    "한테": "to", "께": "to", "으로": "by", "로": "by", "와": "with", "과": "with", "랑": "with", "이랑": "with",
    "까지": "until", "부터": "since", "보다": "than", "처럼": "as",
}
#: Counter synonyms: the unit a document writes for the counter a question uses.
_COUNTER_UNITS: dict[str, tuple[str, ...]] = {
    "해": ("년",), "년도": ("년",), "연도": ("년",), "퍼센트": ("%", "퍼센트"), "%": ("%", "퍼센트"),
    "살": ("살", "세"), "세": ("세", "살"), "주일": ("주",), "가지": ("가지", "개", "대", "종"),
    "개": ("개", "가지", "대"), "차례": ("차례", "번", "회"), "번": ("번", "회", "차례"), "회": ("회", "번", "차례"),
}


@dataclass(frozen=True)
class QuestionAnalysis:
    """What a question asks for.

    ``content_tokens`` are the question's content morphemes (lower-cased) that the answer's sentence should share;
    ``focus`` is the noun that names the asked thing (기관, 조, 시각), when there is one; ``head`` is the noun the answer
    itself likely ends with (연구소 in "…연구소는?", 협회 in "협회의 명칭은?"). ``units`` are the counters a numeric answer must
    carry (명 for 몇 명); ``role`` is the case role of the wh-phrase (object for 무엇을); ``predicate`` the verb stem it
    depends on. ``precision`` is the part of a date asked for when the question names it (연도 → year, 몇 월 → month),
    or ``article`` when a statute reference is asked by its 조: a full date or a 항 then answers more than was asked;
    ``act`` asks for the number of an act itself (법률 번호 → 제20000호). ``ordinal`` names the :data:`ORDINAL_FAMILIES`
    family of a first/last qualifier (첫 회의 → first), or ``end`` for a question about when or how something ended (몇
    시에 끝났나); ``alias`` is true when the question asks for another name of a thing (영문 약칭, 한자 표기), which documents
    give in parentheses or as a defined short name. ``asks_definition`` is set for "X는 어떻게 정의되나", "X란 무엇인가" (the
    answer is a definition's body), ``asks_term`` for "…하는 자를 무엇이라 부르나" (the answer is the term whose definition the
    question paraphrases); ``verbs`` are the content tokens that are verb or adjective stems. ``counted`` is what a
    count asks about (부위원장 in "부위원장은 몇 명"): a number of something else (간사위원 1명) does not answer it. ``answer_kind``
    is the kind of answer asked (:mod:`rag.answer.kinds`), decided from ``kind_signals``; ``noun_phrases`` its runs
    of nouns and their affixes, joined and lower-cased (학습+용+데이터, 인터넷 게시판 → 인터넷게시판).
    """

    text: str
    answer_type: AnswerType
    wh_word: str | None
    content_tokens: tuple[str, ...]
    focus: str | None = None
    head: str | None = None
    units: tuple[str, ...] = ()
    role: str | None = None
    predicate: str | None = None
    precision: Precision | None = None
    ordinal: str | None = None
    alias: bool = False
    counted: str | None = None
    verbs: frozenset[str] = frozenset()
    asks_definition: bool = False
    asks_term: bool = False
    asks_examples: bool = False
    answer_kind: AnswerKind = "short"
    noun_phrases: tuple[str, ...] = ()
    kind_signals: KindSignals | None = field(default=None, compare=False, repr=False)

    @cached_property
    def compact(self) -> str:
        """The question lower-cased without spaces, for substring tests of answer words."""
        return "".join(self.text.lower().split())


#: One-syllable focus nouns that only count alone (어느 도, 무슨 책, 그 해): 용도, 정도, 연구,
#: 정책 and 피해 merely end like them.
_BARE_NOUNS = frozenset({"구", "도", "군", "책", "해"})
#: Every focus noun with its type, longest first and the earlier type first on a tie: 숫자 is a number, 직책 a person.
_BY_LENGTH = sorted(((s, t) for t, suffixes in _FOCUS_TYPES for s in suffixes), key=lambda pair: -len(pair[0]))


def _focus_type(noun: str | None) -> AnswerType | None:
    if not noun:
        return None
    return next((t for s, t in _BY_LENGTH if noun.endswith(s) and (s not in _BARE_NOUNS or noun == s)), None)


def _type_of(wh: str | None, following: list, focus: str | None, text: str) -> AnswerType:
    """The answer type from the wh-word, the morphemes after it and the focus noun."""
    focus_type, after = _focus_type(focus), [t.form for t in following]
    if wh == "몇":
        counter = after[0] if after else ""
        if counter in ("년", "해"):
            return "date" if len(after) > 1 and after[1] in _POINT_PARTICLES else "quantity"
        if counter == "시" and len(after) > 1 and after[1] == "간":
            return "quantity"
        return _COUNTER_TYPES.get(counter, "number")
    if wh == "며칠":
        # A day ("며칠에 열렸나", "X의 날은 며칠이야") or a number of days ("며칠 안에", "며칠 동안",
        # "약 며칠인가", "며칠까지 할 수 있어"): a date only when located by 에/부터 or said of a day.
        located = bool(after) and after[0] in ("에", "부터")
        return "date" if located or (focus or "").endswith(_DAY_NOUNS) else "quantity"
    if wh == "누구":
        return "organization" if focus_type == "organization" else "person"
    if wh == "어디":
        return "organization" if focus_type == "organization" else "place"
    if wh == "언제":
        return "time" if focus_type == "time" else "date"
    if wh in ("얼마", "얼마나"):
        if any(word in after[:2] for word in _DURATION_WORDS):
            return "quantity"
        # "예산 규모는 얼마인가" asks for an amount of money, whatever the focus noun.
        if focus_type == "money" or any(word in text for word in _MONEY_WORDS):
            return "money"
        # Without a word about money or paying, "얼마" asks for any amount: a share, a count, a size.
        paid = any(t.form in _PAID_STEMS and t.tag.startswith(("VV", "XSN", "NNG")) for t in following[:3])
        return "money" if paid and focus_type != "quantity" else "quantity"
    return focus_type or "other"


def _asked_wh(tokens, text: str) -> int | None:
    """Where the asked wh-word is: the last one, as Korean puts it next to the final predicate (an earlier
    match may be part of a name, 어디나지원단). Not one with a free-choice particle mid-sentence (누구나 볼 수;
    but "위원장은 누구나?" asks), nor one in a statement before the question ("누가 제 사진을 도용해서 팔고
    있어요. 손해배상을 받을 수 있나요?": someone)."""
    def free(i: int) -> bool:
        j = next((j for j in range(i + 1, min(i + 3, len(tokens))) if tokens[j].tag != "VCP"), None)
        return j is not None and tokens[j].form in _FREE_CHOICE and j + 1 < len(tokens) and tokens[j + 1].tag != "SF"
    told = max((i for i, t in enumerate(tokens) if t.form == "." and t.tag == "SF"), default=-1) \
        if text.rstrip().endswith("?") else -1
    return next((i for i in reversed(range(told + 1, len(tokens)))
                 if tokens[i].form in _WH_FORMS and tokens[i].tag != "VV" and not free(i)), None)


def analyze_question(text: str, ignore: Sequence[tuple[int, int]] = ()) -> QuestionAnalysis:
    """Analyse one question: expected answer type, wh-word, focus noun and content tokens.

    Words inside the ``ignore`` spans of ``text`` (a document's name) are no content tokens.
    """
    tokens = kiwi_tokens(text)
    forms = [t.form for t in tokens]
    wh_index = _asked_wh(tokens, text)
    wh = None if wh_index is None else tokens[wh_index].form
    after = tokens[wh_index + 1:] if wh_index is not None else []

    skip: set[int] = set()
    focus_index = None
    if wh_index is not None:
        skip.add(wh_index)
        # "어디 소속", "누구 소속" ask for a kind of body named right after the wh-word, as "어느 기관" does.
        if wh_index + 1 < len(tokens) and tokens[wh_index + 1].tag in _NOUN_TAGS and (
                wh in _DETERMINERS or _focus_type(forms[wh_index + 1]) == "organization"):
            focus_index = wh_index + 1
            skip.add(focus_index)
            # "어떤 유형의 기관" asks for a 기관 (but "어느 회사의 사장" for a 회사).
            if forms[focus_index] in _KIND_NOUNS and focus_index + 2 < len(tokens) and forms[focus_index + 1] == "의" \
                    and tokens[focus_index + 1].tag == "JKG" and tokens[focus_index + 2].tag in ("NNG", "NNP"):
                focus_index += 2
                skip.add(focus_index)
        else:
            # The topic/subject the wh-word is predicated of: "소속 기관은 어디인가".
            before = [i for i in range(wh_index) if tokens[i].tag in _NOUN_TAGS]
            focus_index = before[-1] if before else None
    else:
        nouns = [i for i, t in enumerate(tokens) if t.tag in _NOUN_TAGS]
        focus_index = nouns[-1] if nouns else None
    focus = None if focus_index is None else tokens[focus_index].form
    # 일 after a verb's adnominal ending or 무슨/어떤 is work (하는 일, 해야 할 일, 무슨 일을 해), not a day (시행일):
    if focus == "일" and focus_index and (tokens[focus_index - 1].tag == "ETM" or forms[focus_index - 1] in ("무슨", "어떤")):
        focus = None  # no type, and no head noun a span (15일) would end with
    role, predicate = _role_and_predicate(tokens, wh_index)
    # After 몇 the focus is a counter (년, 명), not a word the answer ends with; a
    # wh-word with a case particle (누구의 명령) is not predicated of the noun before it.
    head = None if wh == "몇" or role is not None else focus
    if focus_index and forms[focus_index - 1] in _ANAPHORS:
        # "이 기관은 무엇이라 불렸나" refers back to the thing the text is about; the
        # answer is its name, which need not end in 기관.
        head = None
    if focus in NAMING_NOUNS:
        nouns_before = [t.form for t in tokens[:focus_index] if t.tag in ("NNG", "NNP")]
        head = nouns_before[-1] if nouns_before else None
    answer_type = _type_of(wh, after, focus, text)
    if focus in _LIMIT_NOUNS and focus_index:
        # "과태료의 상한은" asks for an amount of money: the limit of what the noun before names.
        limited = _focus_type(next((t.form for t in reversed(tokens[:focus_index]) if t.tag in ("NNG", "NNP")), None))
        answer_type = limited or answer_type
    if focus in NAME_NOUNS and _focus_type(head) in ("person", "organization", "place"):
        # "건축가의 이름은" asks for a person, "기관의 이름은" for an organisation.
        answer_type = _focus_type(head)
    units: tuple[str, ...] = ()
    if wh == "몇" and focus_index is not None and answer_type != "law_reference":
        units = _COUNTER_UNITS.get(focus, (focus,))
    # A long name counts by its parts, as statutes space and shorten it (개인정보 보호위원회, 보호위원회).
    content = tuple(
        form for i, t in enumerate(tokens)
        if i not in skip and t.tag in CONTENT_TAGS and t.form not in _FRAME_WORDS
        and not (i == focus_index and t.form in _KIND_OF_ANSWER)
        and not any(start <= t.start < end for start, end in ignore)
        for form in (name_parts(t) or (t.form.lower(),))
    )
    precision = None
    if answer_type == "date":
        precision = _DATE_PRECISION.get(focus or "")
    elif answer_type == "law_reference" and focus in _ARTICLE_NOUNS:
        precision = "article"
    elif focus == "번호" and focus_index and forms[focus_index - 1] in _LAW_WORDS:
        # "법률 번호는" asks for the number of an act (법률 제20000호), not for a 조.
        answer_type, precision = "law_reference", "act"
    ordinal = _ordinal(tokens)
    if ordinal is None and answer_type in ("date", "time") and any(
            t.form in _END_WORDS and t.tag in ("VV", "NNG") and not (i and tokens[i - 1].form in ("로", "으로"))
            for i, t in enumerate(tokens)):
        ordinal = "end"  # not "‘…’으로 끝나는 이름", which is about a word's ending
    alias = any(word in text for word in _ALIAS_WORDS)
    counted = _counted(tokens, wh_index) if units else None
    asks_term = bool(_TERM_CUE.search(text))
    asks_definition = not asks_term and bool(_DEFINITION_CUE.search(text))
    asks_examples = bool(_EXAMPLES_CUE.search(text))
    if asks_examples and answer_type in ("person", "organization", "place", "title"):
        answer_type = "other"  # 취약계층의 예로 든 사람들: a list of kinds, not one name
    if asks_definition or any(t.form == "왜" and t.tag == "MAG" for t in tokens):
        answer_type = "other"  # 이용자란 무엇인가, 이름은 왜 바뀌었나: a definition or a reason, no typed span
    kind, signals = kind_of_question(text, tokens, answer_type != "other", wh_index, focus_index, asks_term, answer_type)
    return QuestionAnalysis(
        text=text, answer_type=answer_type, wh_word=wh, content_tokens=content, focus=focus, head=head,
        units=units, role=role, predicate=predicate, precision=precision, ordinal=ordinal, alias=alias,
        counted=counted if counted in content else None, asks_definition=asks_definition, asks_term=asks_term,
        asks_examples=asks_examples, answer_kind=kind, kind_signals=signals, noun_phrases=noun_runs(tokens),
        verbs=frozenset(t.form.lower() for t, following in zip(tokens, list(tokens[1:]) + [None])
                        if (t.tag.startswith(("VV", "VA")) or (following is not None and following.tag in ("XSV", "XSA")))
                        and t.form.lower() in content),
    )


def _counted(tokens, wh_index: int) -> str | None:
    """The noun a "몇 <counter>" counts: "몇 명의 위원" → 위원; "부위원장은 몇 명", "임직원 수는 몇 명" →
    the topic or subject before the wh-phrase; a noun naming the kind of answer (사람) counts nothing."""
    after = tokens[wh_index + 2:]
    for token, following in zip(after, after[1:]):
        if token.tag == "JKG" and following.tag in ("NNG", "NNP"):
            return following.form.lower()
        if not (token.tag in ("NNG", "NNB") or token.tag.startswith("J")):
            break
    for i in range(wh_index - 1, 0, -1):
        noun, marker = tokens[i - 1], tokens[i]
        if noun.tag in ("NNG", "NNP", "SL") and marker.tag in ("JKS", "JX"):
            if noun.form in _COUNT_NOUNS and i >= 2 and tokens[i - 2].tag in ("NNG", "NNP", "SL"):
                noun = tokens[i - 2]  # 임직원 수는
            return None if noun.form in _KIND_OF_ANSWER else noun.form.lower()
    return None


def _ordinal(tokens) -> str | None:
    """The :data:`ORDINAL_FAMILIES` family of a first/last word that singles out one of a series.

    The word must qualify a noun (첫 회의, 초대 이사장, 최초의 여성) or an event as one of several (처음으로
    개최된 대회). Bare before a verb it means "originally" (처음 세워진 해 is the founding year).
    """
    for token, following in zip(tokens, list(tokens[1:]) + [None]):
        family = next((name for name in ("first", "last") if token.form in ORDINAL_FAMILIES[name]), None)
        if family is not None and not (following is not None and following.tag.startswith(("VV", "VA"))):
            return family
    return None


def _role_and_predicate(tokens, wh_index: int | None) -> tuple[str | None, str | None]:
    """The case role of a bare wh-word and the first content predicate after it.

    The particle must follow the wh-word directly (무엇을, 어디에서) or the counter after 몇 (몇 년에); a
    copula (누구인가) or another determiner (어떤 주제로: its particle is a noun's) marks no role. The
    predicate is a verb stem other than a light verb, or a noun made a verb by 하다/되다 (설립되었나 → 설립).
    """
    if wh_index is None:
        return None, None
    role = None
    wh = tokens[wh_index].form
    at = wh_index + 2 if wh == "몇" else wh_index + 1
    if (wh == "몇" or wh not in _DETERMINERS) and at < len(tokens) and tokens[at].tag.startswith("J"):
        role = PARTICLE_ROLES.get(tokens[at].form)
    for token, next_token in zip(tokens[wh_index + 1:], list(tokens[wh_index + 2:]) + [None]):
        if token.tag in ("VV", "VA") and token.form not in _FRAME_WORDS:
            return role, token.form
        if token.tag == "NNG" and next_token is not None and next_token.tag in ("XSV", "XSA"):
            return role, token.form
    return role, None
