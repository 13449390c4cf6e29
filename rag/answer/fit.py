"""Fit: how well a candidate's kind fits what the question asks, and how much it repeats it.

:func:`type_fit` is a table of credits, not a weighted sum: 1 for the asked type, less
for a compatible or imprecise one, little for an untyped noun phrase that may still be a
name, ``None`` for a span that cannot answer. :func:`repeat_share` is the share of a
span's words the question already contains. Both feed :mod:`rag.answer.features`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.answer.candidates import QUOTED, Candidate
from rag.answer.compounds import GENITIVE, PAIRED
from rag.answer.phrases import AFFILIATION, NAME, is_affiliation, is_statute_name, is_titled
from rag.answer.question import QuestionAnalysis

#: An ordinal count (3번째, 네번째, 첫 번째) and a question asking for one (몇 번째, 몇째).
_ORDINAL = re.compile(r"째$|^첫")
_ASKS_ORDINAL = re.compile(r"몇\s?(?:번\s?)?째")

#: Types a candidate of another type may still stand in for, with reduced credit.
COMPATIBLE: dict[str, frozenset[str]] = {
    "number": frozenset({"quantity"}),
    # A bare "얼마" (점유율은 얼마인가) may still be answered by an amount of money.
    "quantity": frozenset({"number", "date", "money"}),
    "date": frozenset({"quantity"}),
    "organization": frozenset({"place"}),
    "place": frozenset({"organization"}),
    "title": frozenset({"other"}),
    "other": frozenset({"title"}),
    "money": frozenset(),
    "time": frozenset(),
    "person": frozenset(),
    "law_reference": frozenset(),
}
#: Types whose answers are names or noun phrases, which the type rules cannot all recognise.
_NAMED = frozenset({"person", "organization", "place", "title"})
#: Types of a span that is (also) a noun phrase naming a thing, not only a value.
_NOUN_PHRASE = _NAMED | {"other"}
_DAY = re.compile(r"\d\s?일|\d{4}\s?\.\s?\d{1,2}\s?\.\s?\d")
_MONTH = re.compile(r"\d\s?월")
_ARTICLE = re.compile(r"제\d+조(?:의\d+)?")
_ACT = re.compile(r"(?:법률\s)?제\d+호")
_WORD_EDGES = "‘’“”「」『』《》〈〉()[]\"',.·ㆍ"
#: A value asked with its bound: 몇 명 이상, 얼마 이하, 며칠 이내, and a notice's lead time, 며칠 전에
#: (알려야 하나), which statutes state as 30일 전까지.
_ASKS_BOUND = re.compile(r"(?:몇\s?[가-힣]{1,3}|얼마|며칠)\s?(이상|이하|이내|미만|초과|전(?=에|까지))")
#: Two wh-words joined by 와/과: 무엇과 무엇, 어디와 어디, 누구와 누구.
_ASKS_PAIR = re.compile(r"(무엇|어디|누구|어느\s?[가-힣]+|어떤\s?[가-힣]+)[과와]\s?(?:무엇|어디|누구|어느|어떤)")
#: Types of the values a bound belongs to.
_VALUES = frozenset({"number", "quantity", "money"})
#: A period that sets a deadline (30일 이내, 7일 전까지): statutes say "by when" as a period
#: from an event (결정 통지를 받은 날부터 30일 이내에), so it answers "언제까지".
_DEADLINE = re.compile(r"(?:이내|전까지)$")


@dataclass(frozen=True)
class FitShape:
    """The credits of :func:`type_fit` that are tuned rather than fixed.

    ``misfit`` is the credit of an untyped common noun phrase for an asked name (and
    the line at or under which a fit counts as a misfit), ``proper_misfit`` that of an
    untyped proper noun; ``imprecise`` is the credit of a date or reference finer or
    coarser than the part asked for, ``imprecise_name`` that of a name with its title
    after it when a person is asked for.
    """

    misfit: float = 0.2
    proper_misfit: float = 0.4
    imprecise: float = 0.7
    imprecise_name: float = 0.8


def precision(candidate: Candidate) -> str:
    """The finest part a date or statute reference names: day, month, year; an act's
    number, an article or finer."""
    if "law_reference" in candidate.types:
        if _ACT.fullmatch(candidate.text):
            return "act"
        return "article" if _ARTICLE.fullmatch(candidate.text) else "clause"
    if _DAY.search(candidate.text):
        return "day"
    return "month" if _MONTH.search(candidate.text) else "year"


def type_fit(analysis: QuestionAnalysis, candidate: Candidate, shape: FitShape) -> float | None:
    """The credit of :func:`_kind_credit`, less for a value without the bound the question
    asks it with: "몇 명 이상이어야" asks for the threshold as statutes state it, 5명 이상;
    less, too, for one item when two are asked and for a pair when one is."""
    credit = _kind_credit(analysis, candidate, shape)
    bound = _asked_bound(analysis.text)
    if credit and bound and candidate.types & _VALUES and bound not in candidate.text:
        return credit * shape.imprecise
    if credit and (PAIRED in candidate.types) != _asks_pair(analysis.text, analysis.head):
        # "무엇과 무엇", "어디와 어디", "두 나라는" ask for two things joined by 와/과 (상수도와 하수도);
        # either one alone is half the answer, and a pair answers no question asking for one.
        return credit * shape.imprecise
    return credit


def _owner_asked(analysis: QuestionAnalysis, text: str) -> bool:
    """Whether the question names a genitive span's owner (하느님의 무엇으로: 도구 answers, not
    하느님의 도구) or asks for the owner by its head (어떤 시대로: 상호협조, not 상호협조의 시대)."""
    owner, head = text.rsplit("의 ", 1)
    if "".join(owner.lower().split()) in analysis.compact:
        return True
    return head == analysis.head and re.search(rf"(?:어떤|무슨|어느)\s?{re.escape(head)}", analysis.text) is not None


@lru_cache(maxsize=1024)
def _asks_pair(question: str, head: str | None) -> bool:
    """Whether a question asks for two things: two wh-words joined by 와/과, or 두 before its head noun."""
    return bool(_ASKS_PAIR.search(question)) or bool(head and re.search(rf"(?<![가-힣])두\s?{re.escape(head)}", question))


@lru_cache(maxsize=1024)
def _asked_bound(question: str) -> str | None:
    """The bound a question asks its value with (이상 of "몇 명 이상"), read once per question, not per candidate."""
    bound = _ASKS_BOUND.search(question)
    return bound.group(1) if bound else None


def _kind_credit(analysis: QuestionAnalysis, candidate: Candidate, shape: FitShape) -> float | None:
    """1 for the expected type, less for a compatible one, ``None`` for a misfit.

    Named or quoted spans (typed ``title``) beat plain noun phrases for ``other``,
    and a person's name beats a bare title (이사장) for ``person``. A count must
    carry the question's counter (몇 명 → …명). Any noun phrase may still name a
    person, place or thing the type rules do not recognise (노아, 하나님), with
    little credit; a misfit for a number, date or amount is never an answer, nor a
    bare value (a date, a count, 제1조) for a question asking what something is. A
    date or reference finer or coarser than the part the question names (a full
    date for "설립 연도", 제33조제1항 for "몇 조") fits less than the part alone. A
    deadline's period (30일 이내) fits "언제까지" as well as a date. A noun with its owner
    (하느님의 도구) answers no question that names the owner or asks for it (어떤 시대).
    """
    expected = analysis.answer_type
    if GENITIVE in candidate.types and QUOTED not in candidate.types and _owner_asked(analysis, candidate.text):
        return None
    if is_affiliation(candidate.text) and analysis.head != AFFILIATION:
        return None  # 행정안전부장관 소속 is no address, nor the 기관 of "어느 기관 소속인가"
    if expected in _NAMED and expected != "title" and is_statute_name(candidate.text):
        return None  # 「유아교육법」 is no one who acts, nor where: "누가 지정하나", "어디와 협의하나"
    if analysis.units and not any(unit in candidate.text for unit in analysis.units):
        return None
    if analysis.units and bool(_ORDINAL.search(candidate.text)) != bool(_ASKS_ORDINAL.search(analysis.text)):
        # 네번째 (a place in a row) answers "몇 번째", never "몇 번" (how often), and 3번 the reverse.
        return None
    if expected in ("other", "title"):
        if QUOTED in candidate.types or (expected == "other" and "title" in candidate.types):
            return 1.0
        if not candidate.types & _NOUN_PHRASE:
            # A date, count, amount or 조 alone answers no "무엇": the question did not ask for it.
            return None
        if expected == "title":
            # A name asked for is quoted or a proper noun, rarely a common noun.
            return 0.8 if "title" in candidate.types else 0.5
        return 0.7 if "other" in candidate.types else 0.5
    if expected == "person" and "person" in candidate.types:
        if NAME not in candidate.types:
            return 0.8
        # The name alone answers "누구"; its title after it is extra (최진호 국장).
        return shape.imprecise_name if is_titled(candidate.text) else 1.0
    if analysis.precision == "act":
        # Only an act's own number (제20000호) answers "법률 번호", never a 조.
        return 1.0 if expected in candidate.types and precision(candidate) == "act" else None
    if analysis.precision and expected in candidate.types:
        return 1.0 if precision(candidate) == analysis.precision else shape.imprecise
    if expected in candidate.types:
        return 1.0
    if expected == "date" and analysis.role == "until" and "quantity" in candidate.types \
            and _DEADLINE.search(candidate.text):
        return 1.0
    if COMPATIBLE[expected] & candidate.types or (expected == "person" and analysis.role == "subject"
                                                  and "organization" in candidate.types):
        # "누가 수립하나" asks who acts, which public texts say of bodies (정부가, 위원회가) as often as
        # of people; "원장은 누구야" asks who holds an office, never a body.
        return 0.5
    # A statute reference (제12조) never names a person, place or organisation.
    if expected in _NAMED and "other" in candidate.types and "law_reference" not in candidate.types:
        # A proper noun the rules cannot type (올라프 숄츠) is likelier a name than a common noun.
        return shape.proper_misfit if "title" in candidate.types else shape.misfit
    return None


def repeat_share(analysis: QuestionAnalysis, candidate: Candidate) -> float:
    """The share of the candidate's words that the question already contains."""
    words = [w.strip(_WORD_EDGES) for w in candidate.text.split()]
    words = [w for w in words if w]
    if not words:
        return 1.0
    return sum(1 for w in words if w.lower() in analysis.compact) / len(words)
