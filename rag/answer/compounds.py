"""Spans made of several noun phrases: coordinations and genitives.

A noun phrase of :mod:`rag.answer.phrases` stops at a comma, at 및 and at a particle, yet the
answer is often more than one phrase: a statute's list of examples (얼굴ㆍ지문ㆍ홍채 및 손바닥
정맥), two things joined by 와/과 (상수도와 하수도) or a thing named by what it belongs to
(서부의 화성, 미국의 체스 협회). :func:`compound_spans` proposes them; which span answers is
the ranker's call, and the single phrases stay candidates of their own.
"""

from __future__ import annotations

import re

from rag.answer.phrases import is_stop, item_references, noun_units, phrase_types
from rag.sentences import Morpheme, SentenceSpan

#: What may stand between two coordinated noun phrases: a comma, a middle dot, 및 or
#: 또는, or the particle 와/과 when it joins (중국과 러시아; not 김현식과 함께), after an
#: optional gloss in parentheses (독일인공지능연구소(DFKI), 케임브리지).
_COORDINATOR = re.compile(r"(?:\([^()\n]{1,20}\))?(?:,\s?|\s?[ㆍ·]\s?|\s(?:및|또는|혹은)\s|(?P<joined>[와과])\s)")
#: Extra marker among a candidate's types: a coordination joined by 와/과 (상수도와 하수도),
#: which answers a question asking for two things (무엇과 무엇).
PAIRED = "paired"
#: Extra marker among a candidate's types: a noun with its owner before 의 (공기의 진동).
GENITIVE = "genitive"
_MAX_ITEMS = 8
#: Words of the phrase before 의 that a genitive span may start with (서부의 화성, 브리티시 블루스의 …).
_MAX_OWNER_UNITS = 2

#: A statute's reference to its own parts (제1항, 제3조): no owner of what follows.
_REFERENCE = re.compile(r"제\d+(?:조의\d+|[조항호])")

Phrase = tuple[int, int, list[list[Morpheme]]]
Span = tuple[tuple[int, int], frozenset[str]]


def _phrases(sentence: SentenceSpan) -> list[Phrase]:
    """The sentence's noun phrases in order: start, end and their words."""
    phrases: list[Phrase] = []
    current: list[list[Morpheme]] = []
    for unit, open_ in noun_units(sentence.morphemes):
        current.append(unit)
        if not open_:
            phrases.append((current[0][0].start, current[-1][-1].end, current))
            current = []
    return phrases


def _names_at_edges(phrases: list[Phrase], i: int, j: int) -> bool:
    """Whether a run of phrases ``i..j`` neither starts nor ends with a word that names nothing (경우, 등)."""
    return not any(is_stop(unit) for unit in (phrases[i][2][0], phrases[j][2][-1]))


def _coordinations(sentence: SentenceSpan, phrases: list[Phrase]) -> list[Span]:
    """Runs of coordinated noun phrases as one span: 얼굴ㆍ지문ㆍ홍채 및 손바닥 정맥,
    국방 또는 국가안보 목적, 상수도와 하수도.

    A statute's list of examples before 등, or of alternatives joined by 또는, is
    often the answer as a whole. Typed like the last item, whose head names what all of
    them are; a pair joined by 와/과 like either item (과주와 전장: 과주 is a place).
    """
    text, offset = sentence.text, sentence.start
    joining = {m.start for m in sentence.morphemes if m.tag == "JC"}
    spans: list[Span] = []
    i = 0
    while i < len(phrases):
        j, paired = i, False
        while j + 1 < len(phrases) and j - i + 1 < _MAX_ITEMS:
            between = _COORDINATOR.fullmatch(text[phrases[j][1] - offset:phrases[j + 1][0] - offset])
            joined = between is not None and between.group("joined") is not None
            if between is None or (joined and phrases[j][1] + between.start("joined") not in joining):
                break
            if joined and not paired and j > i and _names_at_edges(phrases, i, j):
                # The list before 와/과 stays a span of its own (A, B, C와 D: A, B, C).
                spans.append(((phrases[i][0], phrases[j][1]), phrase_types(phrases[j][2], False)))
            j, paired = j + 1, paired or joined
        if j > i and _names_at_edges(phrases, i, j):
            types = phrase_types(phrases[j][2], False)
            if paired:
                types = types | phrase_types(phrases[i][2], False) | {PAIRED}
            spans.append(((phrases[i][0], phrases[j][1]), types))
        i = j + 1
    return spans


def _genitives(sentence: SentenceSpan, phrases: list[Phrase]) -> list[Span]:
    """A common noun with the phrase before it joined by the genitive 의 (공기의 진동),
    from its last word or from up to :data:`_MAX_OWNER_UNITS` words, typed like the head
    phrase. A name's owner is no part of it, and a list's items referred to after 각 (각 목의
    정보) name no owner."""
    genitive = {m.start for m in sentence.morphemes if m.form == "의" and m.tag == "JKG"}
    items = item_references(sentence.morphemes)
    spans: list[Span] = []
    for (_, owner_end, owner), (_, end, head) in zip(phrases, phrases[1:]):
        if owner_end not in genitive or sentence.text[owner_end - sentence.start:head[0][0].start - sentence.start] != "의 ":
            continue
        types = phrase_types(head, False)
        # A name needs no owner (베르사유의 프티 트리아농 궁전 is 프티 트리아농 궁전, 대한민국의 대연평도
        # is 대연평도), nor a phrase that says itself what it is, nor what a statute's 제1항 spoke of;
        # one common noun may (공기의 진동, 서부의 화성).
        if len(head) > 1 or is_stop(head[0]) or is_stop(owner[-1]) or types != {"other"} \
                or _REFERENCE.fullmatch("".join(m.form for m in owner[-1])):
            continue
        types = types | {GENITIVE}
        for size in range(1, min(len(owner), _MAX_OWNER_UNITS) + 1):
            first = owner[-size]
            if not is_stop(first) and first[0].start not in items:
                spans.append(((first[0].start, end), types))
    return spans


def compound_spans(sentence: SentenceSpan) -> list[Span]:
    """Coordinations and genitives of the sentence's noun phrases, with their types."""
    phrases = _phrases(sentence)
    return _coordinations(sentence, phrases) + _genitives(sentence, phrases)
