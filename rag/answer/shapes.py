"""Spans with a fixed shape: the regular expressions behind the typed candidates of
:mod:`rag.answer.candidates` (dates, times, counts, quantities, amounts of money, shares and
statute references), and what may stand before a measure and belong to it.

Several patterns may match overlapping text; the answerer's scoring chooses among the spans.
Kept apart from the candidate extraction so that each reads as one concept; both are part of
the stored analyses' fingerprint (:mod:`rag.answer.analysis`).
"""

from __future__ import annotations

import re

from rag.answer.question import AnswerType
from rag.sentences import SentenceSpan

#: Types of spans that measure: a shorter one inside a longer one is a part of it.
MEASURES = frozenset({"date", "time", "number", "quantity", "money"})
_NUM = r"\d+(?:[.,]\d+)*"
_BOUND = r"(?:\s?(?:이내|이상|이하|미만|초과|가량|정도|남짓|안팎|내외|여))?"
#: Counters after a number (300여명, 7대, 8번째); 번째 before 번, or 8번째 would stop at 8번.
_COUNTER = r"(?:개국|명|개|가지|대|곳|건|회|차례|번째|번|종|권|편|척|마리|살|세|위|층|단계|곡|골|표|채|그루)"
_PARTICLE = r"[의에은는이가을를도와과로만]"
#: The end of a word, or a particle after it (3년 전의, 두 곳이; not 전국, 개인).
_WORD_END = rf"(?=[^가-힣]|$|{_PARTICLE})"
#: A date said relative to now (지난 3월, 올해 5월), and the year a day or month may carry.
_RELATIVE = r"(?:(?:지난|오는|올해|내년|작년|지난해)\s)?"
_YEAR = r"(?:\d{1,4}\s?년\s?)?"
#: A round multiplier between a number and its unit (3천년, 250만 평방 킬로미터).
_MULTIPLIER = r"(?:\s?(?:억|천만|백만|십만|만|천|백))?"
#: Units of a measured quantity, spelled in symbols or in words; longer spellings first.
_UNIT = (r"(?:개월|주일|주|년|일|시간|분|초|%|퍼센트|(?:(?:제곱|평방)\s?)?(?:킬로미터|센티미터|밀리미터|미터)|킬로그램|그램"
         r"|헥타르|마일|피트|인치|광년|km²|km|㎞|kg|cm|mm|m|톤|리터|평|㎡|배|[KMGT]B)")
#: A round multiplier of a number written the Korean way, in groups (8만 1219, 9억4000여만, 15만 5천).
_GROUP = r"(?:조|억|천만|백만|십만|만|천|백)"
#: A number in such groups, each maybe approximate (330여억, 300여): the last group may lack its multiplier.
_KNUM = rf"(?:{_NUM}\s?여?\s?{_GROUP}\s?여?\s?)*{_NUM}(?:\s?여\s?{_GROUP}?\s?|\s?{_GROUP}\s?여?\s?)?"
#: A currency, maybe with its country (100만 캐나다 달러).
_MONEY = rf"{_KNUM}\s?(?:원(?!칙|장)|(?:[가-힣]{{2,4}}\s)?달러|유로|파운드|위안)"
_LAW_ONE = r"제\d+조(?:의\d+)?(?:\s?제\d+항)?(?:\s?제\d+호(?:의\d+)?)?(?:[가-하]목)?"
#: What follows a span of time that has passed, not a day or a year (20일이 경과한 날, 3년이 지난):
#: "청구 후 20일이 경과한" counts days, it does not name the 20th.
_ELAPSED = r"이?\s?(?:경과|지나|지난|지났)"
#: A statute's dated note on its own history: <개정 2016.1.6, 2020.6.9>, <신설 2023.3.14>, an
#: item's "삭제 <2020.2.4>". It says when the words changed, not what they say, so nothing in it
#: answers. A 부칙's act number and date (부칙 <제20676호,2025.1.21>) is no such note: it dates the act.
HISTORY_NOTE = re.compile(r"<(?!제\d)[^<>]*\d{4}\.\s?\d{1,2}\.\s?\d{1,2}[^<>]*>")

#: A time of day (오후 2시 30분), with the part of the day it may name first.
_TIME = (r"(?:(?:오전|오후|새벽|아침|저녁|밤|낮)\s?)?(?<![\d.])\d{1,2}\s?시(?!간|대|작|행|점|기|설|장|민|청|도)"
         r"(?:\s?\d{1,2}\s?분)?(?:\s?\d{1,2}\s?초)?")

#: (type, pattern): several may match overlapping text; the answerer's scoring chooses. The
#: year and the month of a full date are candidates of their own, for questions asking
#: only for them (설립 연도).
PATTERNS: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    ("date", re.compile(r"(?<!\d)\d{4}\s?\.\s?\d{1,2}\s?\.\s?\d{1,2}(?!\d)")),
    ("date", re.compile(
        rf"{_RELATIVE}(?<!\d){_YEAR}(?:\d{{1,2}}\s?월\s?)?\d{{1,2}}\s?일(?!간|\s?동안|\s?이내|\s?마다|{_ELAPSED})")),
    ("date", re.compile(rf"{_RELATIVE}(?<!\d){_YEAR}\d{{1,2}}\s?월")),
    # The end of a month, a statute's usual deadline (매년 2월 말일까지, 6월 말).
    ("date", re.compile(rf"(?<!\d){_YEAR}\d{{1,2}}\s?월\s?말(?:일)?(?=[^가-힣]|$|까지|{_PARTICLE})")),
    ("date", re.compile(rf"{_RELATIVE}(?<!\d)\d{{1,4}}\s?년(?!간|\s?동안|\s?이내|\s?마다|{_ELAPSED})")),
    ("date", re.compile(r"(?<!\d)\d{1,4}\s?년대(?:\s?(?:초반|초|중반|후반|말))?")),
    ("date", re.compile(r"(?<!\d)\d{1,2}\s?세기(?:\s?(?:초반|초|중반|중엽|후반|말))?")),
    ("date", re.compile(r"(?:\S+\s)?후\s\d+\s?(?:년|개월|주|일)이?\s경과한\s날")),
    ("time", re.compile(_TIME)),
    # About that time (오전 4시 50분경): whether 경 belongs to the answer is the ranker's call.
    ("time", re.compile(rf"{_TIME}경")),
    ("money", re.compile(rf"\d+\s?년\s?이하의\s징역\s?(?:또는|이나)\s?{_MONEY}\s?이하의\s벌금")),
    ("money", re.compile(rf"{_MONEY}(?:\s?(?:이하|이상|미만|초과)의\s(?:과태료|벌금|과징금|이행강제금))")),
    ("money", re.compile(rf"{_MONEY}{_BOUND}")),
    ("money", re.compile(_MONEY)),
    ("number", re.compile(
        rf"(?<!제)(?<![\d,.]){_KNUM}{_COUNTER}{_BOUND}")),
    ("number", re.compile(
        rf"(?<!제)(?<![\d,.]){_KNUM}{_COUNTER}")),
    ("quantity", re.compile(
        rf"(?<!제)(?<![\d,.]){_NUM}{_MULTIPLIER}\s?{_UNIT}(?:\s?반)?(?:\s?(?:간|마다|동안|이내|이상|이하|미만|초과|가량|정도|째|여|전까지|전|후){_WORD_END})?")),
    ("quantity", re.compile(rf"(?<!제)(?<![\d,.]){_NUM}{_MULTIPLIER}\s?{_UNIT}")),
    # How often, with the period it is counted in (연 2회 이상, 월 1회, 6개월에 1회 이상, 3년마다 1회).
    ("number", re.compile(rf"(?<![가-힣\d])(?:(?:연|월|매년|매월|매주|매일|분기|반기)\s?|{_NUM}\s?(?:년|개월|주|일)\s?(?:에|마다)\s)"
                          rf"{_NUM}\s?(?:회|번){_BOUND}")),
    # A round number without a counter (870만(±120만)종, 인구 1000만).
    ("number", re.compile(rf"(?<!제)(?<![\d,.]){_NUM}\s?(?:억|천만|백만|만)(?=[\s(,.)]|$)")),
    # Native numerals with a counter (두 칸, 세 번, 첫 번째).
    ("number", re.compile(r"(?<![가-힣])(?:한|두|세|네|다섯|여섯|일곱|여덟|아홉|열|첫)\s?"
                          rf"(?:번째|번|칸|개|명|가지|차례|곳|권|마리|살|층|단계){_WORD_END}")),
    # Shares that are no measured number: 과반수, 3분의 2 이상, with whose share it is (출석위원 과반수).
    ("quantity", re.compile(r"(?:[가-힣]+\s)?(?:과반수|\d+\s?분의\s?\d+)(?:\s?(?:이상|이하|미만|초과))?")),
    ("quantity", re.compile(r"(?:과반수|\d+\s?분의\s?\d+)(?:\s?(?:이상|이하|미만|초과))?")),
    ("quantity", re.compile(r"(?:과반수|\d+\s?분의\s?\d+)")),
    ("law_reference", re.compile(
        rf"{_LAW_ONE}(?:(?:\s?(?:및|또는|ㆍ|,)\s?{_LAW_ONE})|(?:부터\s?{_LAW_ONE}까지))+")),
    ("law_reference", re.compile(_LAW_ONE)),
    # The article alone of a finer reference (제33조 of 제33조제1항), for "몇 조".
    ("law_reference", re.compile(r"제\d+조(?:의\d+)?")),
    ("law_reference", re.compile(r"(?:법률\s)?제\d{4,}호")),
)


#: What may stand before a measure and belong to it: the low end of a range (3-4천년, 45~46cm,
#: 1.25배에서 1.3배, 2016년부터 2020년, a statute's 5명 이상 7명 이하) …
RANGE_START = re.compile(rf"(?<![\d,.]){_NUM}\s?[^\s\d]{{0,4}}?\s?(?:[-~∼〜–]|에서\s|부터\s|내지\s|이상\s)\s?$")
#: … and an approximation (약 250만 평방 킬로미터, 대략 30명) or a period from now (향후 10년간), not the end
#: of a word (조약 3개).
APPROXIMATELY = re.compile(r"(?<![가-힣])(?:약|대략|향후)\s?$")


def widen_measures(sentence: SentenceSpan, found: dict[tuple[int, int], set[str]]) -> None:
    """Add each measure the patterns found once more with the range it ends and with the
    approximation before it: the answer may be the whole expression, and which span
    answers is the ranker's call."""
    for (start, end), types in list(found.items()):
        kinds = types & MEASURES
        if not kinds:
            continue
        before = sentence.text[:start - sentence.start]
        starts = [start]
        ranged = RANGE_START.search(before)
        if ranged:
            starts.append(sentence.start + ranged.start())
        for left in list(starts):
            approximate = APPROXIMATELY.search(sentence.text[:left - sentence.start])
            if approximate:
                starts.append(sentence.start + approximate.start())
        for left in starts[1:]:
            found.setdefault((left, end), set()).update(kinds)
