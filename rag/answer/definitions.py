"""The terms each statute defines, so that a definition question reads the defining article
wherever search ranked it.

"정보주체가 무엇을 말하나요?" names a term that 개인정보 보호법 제2조 defines, yet search may
rank first another statute whose longer terms hold the same words (신용정보주체), and read
only that one. Statutes define a term in one place and in one form ('"X"란 …', '"X"이라 함은
…', as the drafting standard prescribes: ``passage_forms.toml``), so the documents defining
the very term a question names can be found by the term itself, like a book's index, and
their defining article read beside the retrieved ones. Which clause answers is still the
passage ranker's choice (its ``defines_asked`` feature), among what search found and these.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Iterable, Mapping

from rag.answer.question import QuestionAnalysis, analyze_question
from rag.answer.terms import unnamed_runs
from rag.documents import Document
from rag.mentions import Mentions, compact_name

#: A defined term: quoted (a gloss may follow the quote: "클라우드컴퓨팅"(Cloud Computing)이란),
#: then 란/이란 or (이)라 함은. Anywhere in a sentence, since an item may define a term of
#: another item ('제1호다목의 "…정보"란'), and such terms run to 60 characters.
DEFINING = re.compile(r'["“]([^"”]{1,60})["”](?:\([^)]{1,40}\))?\s?(?:이란|란|(?:이)?라\s?함은)\s')
#: A term a sentence gives to what it has just described, as statutes introduce most of their
#: terms outside a 정의 article: '…시스템(이하 "통합제공시스템"이라 한다)'.
INTRODUCED = re.compile(r'이하\s?["“]([^"”]{1,40})["”]\s?(?:이)?라\s?한다')
#: A term glossed in the parentheses right after it: '정보파일(행정정보를 … 것을 말한다. 이하 같다)'.
GLOSSED = re.compile(r'([^\s()"“”]{2,40})\([^()]{1,300}?말한다')
#: The cue group of a question that may ask what a thing is ("X가 뭐야?").
_BARE_DEFINITION = "bare_definition"
#: A Hanja or foreign gloss in a term: 상용(商用)소프트웨어, 클라우드컴퓨팅(Cloud Computing).
_GLOSS = re.compile(r"\([^)]*\)")


def written_term(quoted: str) -> str:
    """A quoted term as written, without its gloss: 상용(商用)소프트웨어 → 상용소프트웨어."""
    return _GLOSS.sub("", quoted).strip()


def term_key(term: str) -> str:
    """A defined term as questions name it: no gloss, compacted as names are
    (:func:`rag.mentions.compact_name`)."""
    return compact_name(written_term(term))


#: Each document version's terms, by id and content hash: a document is immutable (a new
#: version has a new hash), and the terms of a few thousand statutes take little memory.
_TERMS: dict[tuple[str, str], dict[str, tuple[int, int]]] = {}


def defined_terms(doc: Document) -> dict[str, tuple[int, int]]:
    """The terms ``doc`` defines (as :func:`term_key` gives them), each with the span of the
    article (조) that defines it, the first definition of a term kept; empty for a document
    without sections. Found once per document version."""
    if not doc.sections:
        return {}
    key = (doc.doc_id, doc.content_hash)
    if key not in _TERMS:
        _TERMS[key] = _scan(doc)
    return _TERMS[key]


def _scan(doc: Document) -> dict[str, tuple[int, int]]:
    spans: dict[str, tuple[int, int]] = {}
    for match in DEFINING.finditer(doc.text):
        section = doc.section_at(match.start())
        if section is not None and not section.label.startswith("부칙"):
            spans.setdefault(term_key(match.group(1)), doc.articles[section.article])
    return spans


def defining_documents(terms: Iterable[str], documents: Mapping[str, Document],
                       first: Iterable[str] = ()) -> list[tuple[str, tuple[int, int]]]:
    """``(doc_id, article span)`` of every document defining one of ``terms`` (keys as
    :func:`term_key` gives them), those of ``first`` (in its order) before the others (by id)."""
    wanted = [t for t in dict.fromkeys(terms) if t]
    if not wanted:
        return []
    order = {doc_id: n for n, doc_id in enumerate(dict.fromkeys(first))}
    found = []
    for doc_id, doc in documents.items():
        spans = defined_terms(doc)
        for term in wanted:
            if term in spans:
                found.append((doc_id, spans[term]))
                break
    return sorted(found, key=lambda pair: (order.get(pair[0], len(order)), pair[0]))


def read_question(question: str, documents: Mapping[str, Document], mentions: Mentions = Mentions()) -> QuestionAnalysis:
    """The question's analysis as both answerers read it over ``documents``: the noun runs inside
    the names of the documents it names dropped (they say where to look, not which term is asked:
    "공공기관의 정보공개에 관한 법률에서 정보란?"), then :func:`asking_what_a_defined_term_is`."""
    analysis = analyze_question(question)
    if mentions.spans:
        analysis = dataclasses.replace(analysis, noun_phrases=unnamed_runs(analysis.noun_phrases,
                                                                           mentions.without_names(question)))
    return asking_what_a_defined_term_is(analysis, documents)


def asking_what_a_defined_term_is(analysis: QuestionAnalysis, documents: Mapping[str, Document]) -> QuestionAnalysis:
    """``analysis``, asking for a definition when its form may ask what a thing is ("행정기관이
    뭐예요?": the ``bare_definition`` cue of ``answer_kinds.toml``) and the thing it names is a
    term one of ``documents`` defines; otherwise unchanged.

    Whether "X가 뭐야?" asks for a value (담당 기관이 뭐야? → a name) or for what X is (행정기관이
    뭐야? → its definition) the form of a question cannot tell, and the learned kind model
    leans to the value when X looks like an organisation or a person, and to a list when X ends
    on a noun that heads what an article lays down (소프트웨어사업, 전자서명인증업무). The
    documents can tell: a term a statute defines is asked about as a term.
    """
    signals = analysis.kind_signals
    if analysis.answer_kind == "definition" or signals is None or _BARE_DEFINITION not in signals.cues \
            or not analysis.noun_phrases:
        return analysis
    subject = term_key(analysis.noun_phrases[-1])
    if not any(subject in defined_terms(doc) for doc in documents.values()):
        return analysis
    return dataclasses.replace(analysis, answer_kind="definition")
