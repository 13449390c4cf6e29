"""Passage features: one numeric vector per passage, what a learned ranker weighs.

Every feature is in [0, 1]; the question's kind (:mod:`rag.answer.kinds`) enters through
the forms of ``passage_forms.toml`` (a definition question rewards '"X"란 …을 말한다').

=====================  ====================================================================
feature                what it measures
=====================  ====================================================================
``overlap``            weighted share of the question's words in the passage's sentence, its
                       best item and its titles (:meth:`rag.answer.matching.Matching.overlap`)
``own_overlap``        the same, counting only words in the sentence or its items, not titles
``article_overlap``    the question's overlap with the passage's 조 as a whole
``rank``               1 / (1 + rank of the best hit the sentence was read from)
``fits_kind``          the passage has a form of the asked kind ("목적으로 한다" for a purpose)
``heading_fits``       its 조 title has a word of the asked kind (제1조(목적), 제2조(정의))
``defines_asked``      it defines a term ('"X"란'), or its sentence introduces one ('…(이하 "X"이라
                       한다)') or glosses one ('X(…을 말한다)'), that a definition question names
                       (the term without its Hanja gloss: "상용(商用)소프트웨어"): 1 when the
                       question quotes it or names it alone, the term's share of the question's
                       noun run when the run ends with it ("고영향 인공지능" names 고영향 인공지능
                       whole and 인공지능 only in part), 0 otherwise
``defines_other``      it defines, introduces or glosses terms, none of which a definition
                       question names
``has_items``          it is a list lead with its 호/목 items
``is_item``            it is one item of a list
``unasked_document``   its document is one the question does not mean (it names another)
``length``             its length in characters over :data:`~rag.answer.passages.MAX_CHARS`
``short_sentence``     it is under 25 characters (a heading, "다음과 같다.")
``supplement``         it is in a statute's 부칙 (supplementary provisions: dates, transitions,
                       amendments of other acts)
=====================  ====================================================================
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from rag.answer.definitions import DEFINING, GLOSSED, INTRODUCED, term_key
from rag.answer.matching import Matching, share
from rag.answer.passages import MAX_CHARS, Passage
from rag.answer.question import QuestionAnalysis
from rag.answer.terms import asked_share
from rag.documents import Document

_FORMS_FILE = Path(__file__).with_name("passage_forms.toml")
#: A defining clause at a sentence's start in the older forms: '"X"은/는 …을 말한다', 'X란 …'
#: (the quoted '"X"란' anywhere is :data:`rag.answer.definitions.DEFINING`).
_DEFINED_AT_START = re.compile(r'^(?:["“]([^"”]{1,40})["”]\s?(?:은|는)|([^\s"”]{1,40}?)(?:이)?란)\s')
_SHORT = 25


class PassageFeatures(NamedTuple):
    """The features of one passage, named as in the module's table."""

    overlap: float
    own_overlap: float
    article_overlap: float
    rank: float
    fits_kind: float
    heading_fits: float
    defines_asked: float
    defines_other: float
    has_items: float
    is_item: float
    unasked_document: float
    length: float
    short_sentence: float
    supplement: float


PASSAGE_FEATURES: tuple[str, ...] = PassageFeatures._fields


@dataclass(frozen=True)
class _Forms:
    fits: re.Pattern[str] | None
    headings: tuple[str, ...]
    read: bool = False
    names: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _forms() -> dict[str, _Forms]:
    """The forms of ``passage_forms.toml`` per answer kind."""
    table = tomllib.loads(_FORMS_FILE.read_text(encoding="utf-8"))
    return {kind: _Forms(re.compile("|".join(f"(?:{f})" for f in entry["fits"])) if entry["fits"] else None,
                         tuple(entry["headings"]), bool(entry.get("read", False)), tuple(entry.get("names", ())))
            for kind, entry in table.items()}


def _defined_terms(text: str, sentence: str) -> list[str]:
    """The terms a passage defines (:func:`rag.answer.definitions.term_key`): the one of its
    defining clause, or those its own sentence (not its items) introduces or glosses."""
    quoted = DEFINING.search(text)
    if quoted:
        return [term_key(quoted.group(1))]
    at_start = _DEFINED_AT_START.match(text)
    if at_start:
        return [term_key(at_start.group(1) or at_start.group(2))]
    return [term_key(m.group(1)) for form in (INTRODUCED, GLOSSED) for m in form.finditer(sentence)]


def heading_articles(kind: str, doc: Document) -> list[tuple[int, int]]:
    """The spans of ``doc``'s articles a passage of ``kind`` stands in, when the kind is
    read there (``read`` in ``passage_forms.toml``: 제1조(목적), 제2조(정의))."""
    forms = _forms().get(kind)
    if forms is None or not forms.read:
        return []
    titled = {section.article for section in doc.sections
              if section.title and any(word in section.title for word in forms.headings)}
    return [span for article, span in doc.articles.items() if article in titled]


def definition_names() -> tuple[str, ...]:
    """The words a question calls a definition by (정의, 뜻 …: ``names`` in ``passage_forms.toml``)."""
    return _forms()["definition"].names


def passage_features(analysis: QuestionAnalysis, passage: Passage, matching: Matching) -> PassageFeatures:
    """The features of ``passage`` for the question of ``analysis`` (see the module's table)."""
    sentence = passage.sentence
    forms = _forms().get(analysis.answer_kind, _Forms(None, ()))
    text = passage.text
    heading = sentence.doc.section_at(sentence.span.start)
    title = heading.title if heading and heading.title else ""
    terms = _defined_terms(text, sentence.span.text) if analysis.answer_kind == "definition" else []
    asked = max((asked_share(term, analysis.text, analysis.noun_phrases, forms.names) for term in terms), default=0.0)
    matches = matching.matches[id(sentence)]
    return PassageFeatures(
        overlap=matching.overlap(sentence),
        own_overlap=share(matches, matching.weights, where=bool),
        article_overlap=matching.articles.get((sentence.doc.doc_id, sentence.article), 0.0),
        rank=1.0 / (1 + sentence.rank),
        fits_kind=float(bool(forms.fits and forms.fits.search(text))),
        heading_fits=float(any(word in title for word in forms.headings)),
        defines_asked=asked,
        defines_other=float(bool(terms) and not asked),
        has_items=float(bool(passage.items)),
        is_item=float(passage.start > sentence.span.start),
        unasked_document=float(sentence.doc.doc_id in matching.unasked),
        length=min(len(text), MAX_CHARS) / MAX_CHARS,
        short_sentence=float(len(text) < _SHORT),
        supplement=float(bool(heading) and heading.label.startswith("부칙")),
    )

