"""Typed answer candidates: the spans of a sentence that could answer a question.

Two sources, both general: compact regular expressions for spans with a fixed shape
(dates, times, counts, amounts of money, statute references, quoted titles), and Kiwi
morphemes for noun phrases (:mod:`rag.answer.phrases`), whose head noun suggests a person, an organisation or a
place (…재단 → organisation, …구 → place, a Kiwi NNP shaped like a Korean name →
person); spans of several noun phrases (A, B 및 C; 상수도와 하수도; 공기의 진동) come from
:mod:`rag.answer.compounds`. Words that name nothing on their own (경우, 해당, a noun made a verb by
하다, a piece of 제36조제1항 or of a foreign name) never start or end a phrase, and the
item reference of "다음 각 호의 행위" never starts one. A statute's
notes on its own history (<개정 2020.6.9>) hold no candidate. Every candidate carries exact
document offsets.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rag.answer.compounds import compound_spans
from rag.answer.phrases import (NAME, NUMERIC, is_foreign, is_foreign_name, is_name, is_stop, is_title, is_titled,
                                item_references, noun_units, phrase_types)
from rag.answer.question import PARTICLE_ROLES
from rag.answer.shapes import HISTORY_NOTE, MEASURES, PATTERNS, widen_measures
from rag.sentences import Morpheme, SentenceSpan

_QUOTES = (("‘", "’"), ("“", "”"), ("「", "」"), ("『", "』"), ("《", "》"), ("〈", "〉"), ('"', '"'), ("'", "'"))

#: Quoted spans up to this length are titles: no candidate may cut into them.
_ATOMIC_QUOTE = 40
_MAX_UNITS = 5
#: Extra marker among a candidate's types: the span is the whole text between quotes.
QUOTED = "quoted"
#: Extra marker among a candidate's types: a term a statute defines ("학습용데이터"란 …);
#: ``Candidate.defined_as`` holds the definition.
TERM = "term"
#: Extra marker among a candidate's types: the definition of a term; ``Candidate.term`` holds the term.
DEFINITION = "definition"
#: Extra marker among a candidate's types: another name for the name right before it,
#: a statute's short alias (인공지능정책센터(이하 "센터"라 한다)) or a gloss (대통력(大統曆)).
ALIAS = "alias"
#: The name a statute gives a short form of, in up to three words before "(이하 …": 개인정보침해 신고센터(이하 "신고센터"…).
_ALIAS_INTRO = re.compile(r"((?:\S+\s){0,2}\S+)\(이하\s?$")


def _shortens(alias: str, name: str) -> bool:
    """Whether ``alias`` is a short form of ``name``: its letters in order, fewer of them
    (보호위원회 of 개인정보 보호위원회, 통합분석센터 of 정부통합데이터분석센터), not a new term."""
    name = "".join(name.split())
    letters = iter(name)
    return len(alias) < len(name) and all(ch in letters for ch in alias)


class Candidate(NamedTuple):
    """A possible answer: ``document_text[start:end] == text``; ``types`` it may stand for.

    ``types`` holds answer types, plus :data:`NAME` when the span starts with a name.
    ``role`` is the case role of the particle attached to the span (object for ‘…’을)
    and ``next_noun`` the first noun after it (주제 in "‘…’을 주제로"): a question
    asks for the span whose role and neighbour match its wh-phrase. ``term`` is the
    defined term, for a :data:`TERM` or :data:`DEFINITION` span. ``extent`` is the
    whole expression a part of a date or amount belongs to (1987년 of 1987년 4월 12일):
    the words around the expression are as near to each of its parts. ``gloss`` is
    the foreign or Hanja form in parentheses right after the span (AICA of
    인공지능산업융합사업단(AICA)), which a question may call the span by.
    """

    start: int
    end: int
    text: str
    types: frozenset[str]
    role: str | None = None
    next_noun: str | None = None
    term: str | None = None
    extent: tuple[int, int] | None = None
    gloss: str | None = None



#: Suffixes that make the noun before them a verb or adjective (개편되다, 반대하다).
_VERB_SUFFIXES = frozenset({"XSV", "XSA"})


def _noun_phrases(sentence: SentenceSpan) -> list[Candidate]:
    """Noun phrases of up to :data:`_MAX_UNITS` words, typed by :func:`phrase_types`.

    A phrase never starts or ends inside a run of foreign words (‘Keep the Forest’ is
    one name), and a noun made a verb by 하다/되다 (도입되면서, 반대하는) is no
    phrase end: it names an event, not a thing.
    """
    candidates = []
    verbal = {m.start for m in sentence.morphemes if m.tag in _VERB_SUFFIXES}
    items = item_references(sentence.morphemes)
    phrase: list[list[Morpheme]] = []
    for unit, open_ in noun_units(sentence.morphemes):
        phrase.append(unit)
        if open_:
            continue
        for i in range(len(phrase)):
            if is_stop(phrase[i]) or phrase[i][0].start in items \
                    or (i > 0 and is_foreign(phrase[i - 1]) and is_foreign(phrase[i])):
                continue
            name = is_name(phrase[i], before_title=any(is_title(u) for u in phrase[i + 1:]))
            for j in range(i + 1, min(len(phrase), i + _MAX_UNITS) + 1):
                part = phrase[i:j]
                if is_stop(part[-1]) or part[-1][-1].end in verbal \
                        or (j < len(phrase) and is_foreign(part[-1]) and is_foreign(phrase[j])):
                    continue
                start, end = part[0][0].start, part[-1][-1].end
                text = sentence.text[start - sentence.start:end - sentence.start]
                types = phrase_types(part, name)
                if not name and is_foreign_name(part, phrase[j:]):
                    types = types | {"person", NAME}
                candidates.append(Candidate(start, end, text, types))
        phrase = []
    return candidates


#: Tags of a counter noun after a number (3기, 12마디, 3786가구, 아홉 등급).
_COUNTER_TAGS = frozenset({"NNB", "NNG"})
_MAX_COUNTER = 3
#: Sino-Korean digits: written alone in hangul before a one-syllable noun they begin a word (이명
#: "another name", 일명, 사범, 일척), and apart from the noun they are no count ("이 영 시행": the
#: decree's); a count of one to nine is written 2명 or 두 명. Glued to a longer counter they count
#: (일인칭, 삼남매, 일주일). Kiwi reads them all as numerals.
_SINO_DIGITS = frozenset("영일이삼사오육칠팔구")
#: What may stand glued before a numeral in a count (수천 명, 몇십 대); any other syllable makes the
#: numeral part of a word (아삼 주, 한만호, 건곤일척).
_BEFORE_NUMERAL = frozenset("수몇")


def _in_a_word(sentence: SentenceSpan, numeral: str, start: int, counter: Morpheme) -> bool:
    """Whether a numeral run (``numeral``, from document offset ``start``) before ``counter`` is a
    piece of a word, not a number (a run with a digit never is)."""
    if any(ch.isdigit() for ch in numeral):
        return False
    if numeral in _SINO_DIGITS and not (counter.start == start + 1 and len(counter.form) >= 2):
        return True
    before = sentence.text[start - sentence.start - 1] if start > sentence.start else " "
    return "가" <= before <= "힣" and before not in _BEFORE_NUMERAL


def _counts(sentence: SentenceSpan) -> list[Candidate]:
    """A number and the short noun right after it, whatever the counter.

    The patterns know the common counters; a question may count in any other (몇 기,
    몇 마디), and only a span carrying its counter can answer it.
    """
    candidates = []
    morphemes = sentence.morphemes
    first = 0  # where the run of numerals ending at the current one starts (38억, 만오천)
    for i, (number, counter) in enumerate(zip(morphemes, morphemes[1:])):
        # An item's number (1. 개인신용평가업을 …: Kiwi reads "1." as one numeral) counts nothing.
        if number.tag not in NUMERIC or number.form.endswith("."):
            continue
        if i == 0 or morphemes[i - 1].tag not in NUMERIC or morphemes[i - 1].end != number.start:
            first = i
        # 제1항, 제10조 are references, not counts.
        ordinal = first > 0 and morphemes[first - 1].form == "제" and morphemes[first - 1].end == morphemes[first].start
        start = morphemes[first].start
        numeral = sentence.text[start - sentence.start:number.end - sentence.start]
        if not ordinal and counter.tag in _COUNTER_TAGS and len(counter.form) <= _MAX_COUNTER \
                and counter.start - number.end <= 1 and not _in_a_word(sentence, numeral, start, counter):
            text = sentence.text[start - sentence.start:counter.end - sentence.start]
            candidates.append(Candidate(start, counter.end, text, frozenset({"number"})))
    return candidates


def _quoted(sentence: SentenceSpan) -> list[Candidate]:
    candidates = []
    for opening, closing in _QUOTES:
        pattern = re.escape(opening) + r"([^" + re.escape(opening + closing) + r"\n]{1,80})" + re.escape(closing)
        for match in re.finditer(pattern, sentence.text):
            inner = match.group(1).strip()
            if inner:
                start = sentence.start + match.start(1) + match.group(1).index(inner)
                types = {"title", "other", QUOTED}
                named = _ALIAS_INTRO.search(sentence.text, 0, match.start())
                if named and _shortens(inner, named.group(1)):
                    types.add(ALIAS)
                candidates.append(Candidate(start, start + len(inner), inner, frozenset(types)))
    return candidates


#: Tags skipped between a span and the noun after it: quotes, particles, copula, endings.
_LINKING = ("SS", "J", "VCP", "E", "XSN")
_NEXT_NOUN_REACH = 8


def _context_after(sentence: SentenceSpan, end: int) -> tuple[str | None, str | None]:
    """The role of the particle attached at ``end`` and the noun it links the span to.

    Only a noun reached through a quote, particle or copula counts (‘…’을 주제로,
    …라는 이름): a noun right after the span is part of a longer compound instead.
    """
    role = None
    attached = end
    linked = False
    for m in sentence.morphemes_from(end):
        if m.start > end + _NEXT_NOUN_REACH:
            break
        if m.tag.startswith("SS") and m.start == attached:
            attached = m.end
            linked = True
            continue
        if m.tag.startswith("J") and m.start == attached and role is None:
            role = PARTICLE_ROLES.get(m.form)
        if m.tag in ("NNG", "NNP"):
            return role, m.form if linked else None
        if not m.tag.startswith(_LINKING):
            break
        linked = True
    return role, None


#: A statute's definition: `1. "학습용데이터"란 인공지능의 … 데이터를 말한다.` The body
#: runs to the last 말한다, because bodies gloss their own words the same way (…를 말한다. 이하 같다).
_DEFINED = re.compile(r'["“](?P<term>[^"”\n]{1,40})["”](?:이)?란\s(?P<body>.+)(?:을|를)\s(?:말|뜻|의미)한다')
#: A definition item: `가. 인공지능개발사업자: 인공지능을 개발하여 제공하는 자`.
_DEFINED_ITEM = re.compile(r"^(?:[가-하]|\d+)\.\s(?P<term>[^\s:：][^:：]{0,39}?)\s?[:：]\s(?P<body>.+?)\s*$")


def _definitions(sentence: SentenceSpan) -> list[Candidate]:
    """The term and the body of a definition the sentence states, each knowing the term."""
    candidates = []
    for pattern in (_DEFINED, _DEFINED_ITEM):
        match = pattern.search(sentence.text)
        if match:
            term = match.group("term").strip()
            for group, marker in (("term", TERM), ("body", DEFINITION)):
                start, end = sentence.start + match.start(group), sentence.start + match.end(group)
                candidates.append(Candidate(start, end, sentence.text[match.start(group):match.end(group)],
                                            frozenset({"other", "title", marker} if marker == TERM else {"other", marker}),
                                            term=term))
            break
    return candidates


def _cuts_a_quote(start: int, end: int, quotes: list[Candidate]) -> bool:
    """Whether ``[start, end)`` cuts into a short quoted title without covering it whole.

    ‘Urban AI’ names one thing, so ‘Urban’ alone or ‘AI’ alone is never its answer.
    """
    return any(
        start < q.end and q.start < end and not (start <= q.start and q.end <= end)
        for q in quotes if q.end - q.start <= _ATOMIC_QUOTE
    )


def without_names(candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """The candidates of a statute's sentence, none of them taken for a personal name.

    Statutes name offices, never people: a word Kiwi tags as a proper noun that begins like
    a surname there is a term (고영향 of 고영향 인공지능, 진정인), and a question asking
    누가 must not be answered with it. A span ending with a title stays a person (장관).
    """
    return tuple(
        c._replace(types=c.types - {NAME} - (frozenset() if is_titled(c.text) else {"person"}))
        if NAME in c.types else c
        for c in candidates)


def with_heads_of_bodies(sentence: SentenceSpan, candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """The candidates of a statute's sentence with each body's head whole: "중앙행정기관의 장".

    Statutes name the head of a body as "X의 장" (공공기관의 장, 소속기관의 장), an office that
    answers 누가; a noun phrase stops at 의, which leaves 장 alone, a fragment. A bare 장 after
    an organisation and 의, and a coordination it begins (장 또는 활용지원센터), start at the
    organisation's phrases instead.
    """
    morphemes = sentence.morphemes
    heads = {m.start: of.start for body, of, m in zip(morphemes, morphemes[1:], morphemes[2:])
             if m.form == "장" and m.tag.startswith("NN") and of.form == "의" and of.tag == "JKG"
             and body.end == of.start and of.end + 1 == m.start}
    if not heads:
        return candidates
    bodies: dict[int, list[Candidate]] = {}
    for c in candidates:
        if "organization" in c.types:
            bodies.setdefault(c.end, []).append(c)
    kept = []
    for c in candidates:
        owners = bodies.get(heads.get(c.start, -1), [])
        if not owners:
            kept.append(c)
            continue
        types = (c.types | {"person"}) if c.text == "장" else c.types
        for body in owners:
            text = sentence.text[body.start - sentence.start:c.end - sentence.start]
            kept.append(c._replace(start=body.start, text=text, types=types))
    return tuple(kept)


def extract_candidates(sentence: SentenceSpan) -> list[Candidate]:
    """All typed candidate spans of one sentence (duplicates merged, types united)."""
    found: dict[tuple[int, int], set[str]] = {}
    quotes = _quoted(sentence)
    for answer_type, pattern in PATTERNS:
        for match in pattern.finditer(sentence.text):
            text = match.group().strip()
            if text:
                start = sentence.start + match.start() + match.group().index(text)
                found.setdefault((start, start + len(text)), set()).add(answer_type)
    widen_measures(sentence, found)
    for candidate in _counts(sentence):
        # A span the patterns typed already (21일, 3년) is a date or a duration instead.
        found.setdefault((candidate.start, candidate.end), set(candidate.types))
    for candidate in quotes:
        found.setdefault((candidate.start, candidate.end), set()).update(candidate.types)
    references = [span for span, types in found.items() if "law_reference" in types]
    for candidate in _noun_phrases(sentence):
        # Pieces of a statute reference (제36, 제1항 of 제36조제1항) name nothing; the
        # patterns type the whole reference.
        if not _cuts_a_quote(candidate.start, candidate.end, quotes) and not any(
                candidate.start < end and start < candidate.end for start, end in references):
            found.setdefault((candidate.start, candidate.end), set()).update(candidate.types)
    for (start, end), types in compound_spans(sentence):
        if not _cuts_a_quote(start, end, quotes):
            found.setdefault((start, end), set()).update(types)
    terms: dict[tuple[int, int], str] = {}
    for candidate in _definitions(sentence):
        found.setdefault((candidate.start, candidate.end), set()).update(candidate.types)
        terms[(candidate.start, candidate.end)] = candidate.term
    for (start, end), types in found.items():
        if _is_gloss(sentence, start, end):
            types.add(ALIAS)
    for alias in quotes:
        if ALIAS in alias.types:
            _name_shortened(sentence, alias.start, found)
    numeric = [(span, types & MEASURES) for span, types in found.items() if types & MEASURES]
    extents = {
        span: (min(s for (s, e), t in numeric if s <= span[0] and span[1] <= e and t & kinds),
               max(e for (s, e), t in numeric if s <= span[0] and span[1] <= e and t & kinds))
        for span, kinds in numeric
    }
    glosses = {start: sentence.text[start - sentence.start:end - sentence.start]
               for (start, end), types in found.items() if ALIAS in types}
    notes = [(sentence.start + m.start(), sentence.start + m.end()) for m in HISTORY_NOTE.finditer(sentence.text)]
    return [
        Candidate(start, end, sentence.text[start - sentence.start:end - sentence.start], frozenset(types),
                  *_context_after(sentence, end), term=terms.get((start, end)), extent=extents.get((start, end)),
                  gloss=glosses.get(end + 1) if sentence.text[end - sentence.start:end - sentence.start + 1] == "(" else None)
        for (start, end), types in sorted(found.items())
        if not any(start < note_end and note_start < end for note_start, note_end in notes)
    ]


def _name_shortened(sentence: SentenceSpan, alias_start: int, found: dict[tuple[int, int], set[str]]) -> None:
    """Type as a name (``title``) the longest phrase a statute gives a short form of: 정부통합데이터분석센터
    of '정부통합데이터분석센터(이하 "통합분석센터"라 한다)', an official name that "이름이 뭐야" asks for."""
    end = sentence.start + sentence.text.rfind("(이하", 0, alias_start - sentence.start)
    named = [span for span, types in found.items() if span[1] == end and types & {"other", "organization", "place"}]
    if named:
        found[min(named)].add("title")


def _is_gloss(sentence: SentenceSpan, start: int, end: int) -> bool:
    """Whether a span without Hangul opens a parenthesis after a word: 대통력(大統曆),
    한국개발연구소(KDI) — a gloss of the name before it."""
    before = sentence.text[:start - sentence.start]
    text = sentence.text[start - sentence.start:end - sentence.start]
    return before.endswith("(") and len(before) > 1 and not before[-2].isspace() \
        and not any("가" <= ch <= "힣" for ch in text)
