"""Where a candidate sits in its sentence: in a list of examples, before a title, in a clause.

The features (:mod:`rag.answer.features`) ask these questions of a candidate and its
sentence; none depends on the question's words being found, only on the sentence's
shape around the candidate and on what the question asks.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path

from rag.answer.candidates import Candidate
from rag.answer.evidence import Sentence
from rag.answer.phrases import is_titled
from rag.answer.question import NAME_NOUNS, ORDINAL_FAMILIES, QuestionAnalysis

#: How many words after a name may still be its title (김성하 경기연구원 센터장).
_APPOSITION_WORDS = 3
#: The rest of a list of examples after one of its items, up to 등 (…, 케임브리지 등 주요 연구기관).
_GLOSS = r"(?:\([^()\n]{1,20}\))?"
_LISTED_EXAMPLE = re.compile(
    _GLOSS + r"(?:(?:,\s?|\s?[ㆍ·]\s?|\s(?:및|또는)\s)[^\s,ㆍ·()]+(?:\s[^\s,ㆍ·()]+)?" + _GLOSS + r"){0,8}\s등\s")
#: A list's end right before 등.
_LAST_EXAMPLE = re.compile(_GLOSS + r"\s등\s")
#: A span of several coordinated items, which answers only a question for the examples.
_COORDINATED = re.compile(r", | 및 | 또는 ")
#: How far after 등 the words naming the class of the examples reach.
_CATEGORY_REACH = 40
#: The words of a question about what a statute's 부칙 lays down (its provenance is in the file).
_SUPPLEMENT_FILE = Path(__file__).with_name("supplement_words.txt")


@cache
def _supplement_words() -> frozenset[str]:
    lines = _SUPPLEMENT_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def unasked_supplement(analysis: QuestionAnalysis, sentence: Sentence) -> bool:
    """Whether the sentence is in a statute's 부칙 and the question asks nothing a 부칙 answers.

    A 부칙's dates and periods are of the act's commencement and transitions (주민등록번호를
    이 법 시행일부터 2년 이내에 파기): "주민등록번호는 언제 처리할 수 있어?" is not asking them.
    """
    return sentence.article == "부칙" and not _supplement_words().intersection(analysis.content_tokens)


def another_office(analysis: QuestionAnalysis, candidate: Candidate, sentence: Sentence) -> bool:
    """Whether the question asks who holds an office and the candidate is a statute's office of that title.

    "개인정보보호위원장이 누구예요?" is not answered by 전문위원회 위원장 or 부위원장, another office
    with the same title, nor by 보호위원회 위원장 or 위원장ㆍ부위원장 및 위원, the asked office restated:
    statutes name no holder.
    Who fills an office ("위원장은 누가 임명해?" → 대통령) asks by a role, with no head noun.
    """
    head = analysis.head
    return (analysis.answer_type == "person" and analysis.wh_word == "누구" and bool(head) and is_titled(head)
            and sentence.doc.kind == "statute" and head in candidate.text)


def starting_point(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """Whether the question asks until when and the candidate is marked as where a period starts.

    "이의신청은 언제까지 할 수 있어?" is not answered by the event a deadline counts from
    (결정 통지를 받은 날부터 30일 이내), nor "언제까지 재위했나" by the year a reign began (1392년부터).
    """
    return analysis.role == "until" and candidate.role == "since"


def unnamed_person(analysis: QuestionAnalysis, candidate: Candidate, sentence: Sentence) -> bool:
    """Whether the question asks for a person's name and the candidate is an office in a statute.

    Statutes name offices, never the people who hold them (no span of a statute is taken for a
    personal name: :mod:`rag.answer.evidence`), so "개인정보보호위원회 위원장 이름은?" is not answered
    by 전문위원회 위원장; who holds an office ("위원장은 누구야?" → 대통령) is still asked by 누구.
    """
    return (analysis.answer_type == "person" and analysis.focus in NAME_NOUNS
            and sentence.doc.kind == "statute" and "person" in candidate.types)


def names_a_class(candidate: Candidate, sentence: Sentence) -> bool:
    """Whether the candidate follows 등, naming the class of the examples before it."""
    return sentence.span.text[:candidate.start - sentence.span.start].endswith("등 ")


def category(analysis: QuestionAnalysis, candidate: Candidate, sentence: Sentence) -> tuple[int, int] | None:
    """Offsets of the words after 등 when the candidate is an example listed before it.

    "얼굴ㆍ지문ㆍ홍채 및 손바닥 정맥 등 … 신체적 특징": the list as a whole answers a
    question asking for the examples (예로 든, 예시한), each item a question asking
    for one member of the class (독일의 연구기관 → 독일인공지능연구소).
    """
    if not analysis.asks_examples and _COORDINATED.search(candidate.text):
        return None
    rest = sentence.span.text[candidate.end - sentence.span.start:]
    pattern = _LAST_EXAMPLE if analysis.asks_examples else _LISTED_EXAMPLE
    match = pattern.match(rest)
    if match is None:
        return None
    start = candidate.end + match.end()
    return start, min(sentence.span.end, start + _CATEGORY_REACH)


def ends_with_head(candidate: Candidate, sentence: Sentence, head: str) -> bool:
    """Whether the candidate ends with the asked ``head`` noun and is more than it.

    Kiwi reads many compounds as one word, and they still end with their class (흰색
    is a 색, 대학교 a 학교), but an office asked for (위원장, 사장) with a syllable
    before it in the same word is another office: 부위원장 is the deputy, no 위원장.
    """
    at = candidate.end - len(head)
    if at <= candidate.start or not candidate.text.endswith(head):
        return False
    word = sentence.span.morpheme_before(at)
    prefixed = word is not None and word.tag == "NNG" and word.end > at and at - word.start == 1
    return not (prefixed and is_titled(head))


def titled(candidate: Candidate, sentence: Sentence, head: str) -> bool:
    """Whether the asked title follows a name as its apposition (김숙희 서울시 디지털정책과장).

    Of several names in a sentence, the one whose own title is the asked one
    ("…정책과장은 누구인가") is the answer.
    """
    following = sentence.span.text[candidate.end - sentence.span.start:].split()[:_APPOSITION_WORDS]
    return any(head in word for word in following)


def counts_another(analysis: QuestionAnalysis, candidate: Candidate, sentence: Sentence) -> bool:
    """Whether a count names what it counts right before it, something other than what the
    question counts: 위원장 1명을 포함한 30명 이내의 위원 counts 위원장 with its 1명, however near
    that count sits to the 위원회 a question asks the size of."""
    if analysis.counted is None or "number" not in candidate.types:
        return False
    before = sentence.span.morpheme_before(candidate.start)
    return before is not None and before.tag in ("NNG", "NNP") and candidate.start - before.end <= 1 \
        and before.form.lower() != analysis.counted


#: What follows a count that is part of the count after it: "위원장 1명을 포함한 30명", "상임위원
#: 2명(위원장 1명, 부위원장 1명)을 포함한 9명" (and each count inside the bracket), "위원장 1명과
#: 부위원장 1명을 포함한 45명".
_INCLUDED = re.compile(r"(?:[^()]*\))?\s?(?:\([^()]*\))?(?:\s?(?:과|와|,)\s?[^\s,()]+\s\d+명)*\s?(?:을|를)\s포함(?:한|하여|하는|해)")

_LAST_WORD = re.compile(r"\S+$")


def included_part(analysis: QuestionAnalysis, candidate: Candidate, sentence: Sentence) -> bool:
    """Whether a count is part of the total after it that the question asks for.

    "위원장 1명을 포함한 7명 이내의 위원": the 1명 is counted within the 7명, and a question
    counting the body or its members ("검증위원회는 몇 명으로 구성되나요?") asks for the total;
    one counting the part itself ("위원장은 몇 명") still gets it (the noun before the count),
    but not one counting the head of the part's compound: "상임위원 2명(…)을 포함한 9명" counts
    상임위원, a part of the 위원 that "위원이 몇 명이야?" counts, unless the question says 상임위원.
    """
    if not analysis.units or "number" not in candidate.types:
        return False
    text, offset = sentence.span.text, sentence.span.start
    if not _INCLUDED.match(text, candidate.end - offset):
        return False
    before = sentence.span.morpheme_before(candidate.start)
    if before is None or before.form.lower() != analysis.counted:
        return True
    word = _LAST_WORD.search(text, 0, before.end - offset).group()  # the written word the noun ends
    return word != before.form and word not in analysis.compact


def clause_bounds(candidate: Candidate, sentence: Sentence) -> tuple[int, int]:
    """Document offsets of the candidate's own clause, between the commas around it.

    Coordinated clauses share one verb ("A가 ‘X’를, B가 ‘Y’를 발표했다"); the
    question's words about A are in X's clause.
    """
    text, offset = sentence.span.text, sentence.span.start
    left = text.rfind(", ", 0, candidate.start - offset)
    right = text.find(", ", candidate.end - offset)
    return offset + (0 if left < 0 else left), offset + (len(text) if right < 0 else right)


def predicate_near(analysis: QuestionAnalysis, candidate: Candidate, sentence: Sentence, scale: float) -> float:
    """How closely the question's predicate follows the candidate (Korean is verb-final).

    "몇 년에 설립되었나" is answered by the date right before 설립; a date before
    another verb of the same sentence answers a different question. Coordinated
    clauses share the verb ("A가 ‘X’를, B가 ‘Y’를 발표했다"): a candidate is as near
    to it as the end of its own clause. The nearness decays over ``scale`` characters.
    """
    if analysis.predicate is None:
        return 0.0
    text, offset = sentence.span.text, sentence.span.start
    distances = []
    for m in sentence.span.morphemes_from(candidate.end):
        if m.form == analysis.predicate:
            clause_end = text.find(", ", candidate.end - offset, m.start - offset)
            distances.append((m.start if clause_end < 0 else offset + clause_end) - candidate.end)
    return math.exp(-min(distances) / scale) if distances else 0.0


def lacks_ordinal(analysis: QuestionAnalysis, sentence: Sentence) -> bool:
    """Whether the question asks for the first or last of something and the sentence
    has no word saying so: "초대 이사장" is not answered by the current one."""
    if analysis.ordinal is None:
        return False
    return not any(word in sentence.span.text for word in ORDINAL_FAMILIES[analysis.ordinal])


def names_another_law(analysis: QuestionAnalysis, sentence: Sentence) -> bool:
    """Whether the question names a law other than the sentence's document (「형법」 조항).

    Such a question asks for a provision the sentence refers to, not for the
    sentence's own 조.
    """
    return any(len(t) >= 2 and t.endswith("법") and t not in sentence.context for t in analysis.content_tokens)
