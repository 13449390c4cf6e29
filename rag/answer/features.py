"""Features: one named numeric vector per candidate, which the ranker weighs.

Every candidate of every evidence sentence becomes a :class:`Features` vector (or none:
see the gates below). The ranker (:mod:`rag.answer.ranker`) scores it with one weight
vector and computes the evidence behind its confidence with another; both are linear
in these features. The fields are summed in the order of this table, which is the
order the hand-written score and evidence always summed them in.

=================== ==================================================== ====================================================
feature             what it measures                                     why
=================== ==================================================== ====================================================
rank_prior          1 / (1 + rank of the best hit the sentence came      retrieval already ranked the chunks; earlier is likelier
                    from)
overlap             weighted share of the question's words the sentence  the answer's sentence restates the question
                    contains (its 조's, for the 조's own reference)
proximity           weighted nearness of those words to the candidate,   the answer sits next to the words that ask for it
                    decaying over ``proximity_scale`` characters
type_fit            how well the span's kind fits the asked kind (1 for  a date answers 언제, a name 누구
                    the type, less when compatible or imprecise; times
                    ``alias_fit`` for an alias nobody asked for)
type_shortfall      1 - type_fit                                         evidence: a span of the wrong kind is weak evidence
misfit              the span is of no recognised kind for the name       evidence: a noun phrase the rules cannot type rarely
                    asked (type_fit ≤ ``misfit``)                        answers a 누구/어디
lacks_ordinal       the question asks for the first/last (첫, 초대,      evidence: the current 이사장 is not the first one
                    마지막) and the sentence has no such word
lacks_end           the question asks when something ended and the       evidence: texts say when things start unless they say
                    sentence never says it ended                         "끝났다" in so many words
count_unnamed       a count is asked of something (임직원 수) the        evidence: 300여명 of 전문가 do not answer it
                    sentence never names
unmet_condition     a list lead whose items name none of the             evidence: the 과태료 for another offence is not it
                    question's conditions the lead lacks
defines_term        the span is the asked definition or term (0/1)       evidence: a statute's own definition settles it
asked_examples      example_share, when the question asks for examples   evidence: the listed examples of the asked class
head_match          the span ends with the asked head noun (…연구소; but  "어느 연구소" is answered by a 연구소
                    부위원장 is no 위원장), a name is titled by it, or
                    its list's class names it
follows_noun        the noun right after the span is the asked one       ‘…’을 주제로 answers "어떤 주제로"
                    (‘…’을 주제로)
role_match          the span's particle has the wh-word's case role      누구를 → 그를, 어디에서 → 서울에서
predicate_near      nearness of the question's verb after the span       Korean is verb-final: the date before 설립 is its date
repeats_question    share of the span's words the question contains,     the question's own words are not its answer
                    when over 0.5
unasked_document    the sentence is of a document the question does not  an act's 시행령 when it names the act
                    mean (:func:`rag.answer.matching.unasked_documents`)
heading_match       share of the 조 heading's words in the question,     제43조(과태료) is about 과태료 as a whole
                    for the 조's own reference
clause_overlap      weighted share of the question's words in the span's coordinated clauses share one verb
                    own clause
counted_near        nearness of the counted noun to a count (3명 이내의  a count answers for the noun it counts
                    부위원장); 0 for a count that names another noun     (위원장 1명을 포함한 30명 이내의 위원)
                    right before it
definition_match    1 + len(term)/100 for the asked term's definition    the longest named term wins (고영향 인공지능)
                    body, 1 for a defined term when one is asked for
gloss_match         the span's gloss in parentheses is named in a        "AICA의 한글 명칭은" asks for the name AICA glosses
                    question asking for a name
example_share       weighted share of the question's words in the class  an item of "A, B 등 연구기관" answers "어느 연구기관"
                    named after 등, for a listed example
numeric_length      min(len(span), 20) for a span with a digit           among numeric spans the longer keeps its bound
                                                                         (60명 이내)
=================== ==================================================== ====================================================

Not linear, and so code rather than weights: a candidate whose type cannot fit
(a date for 몇 명, a misfit number, a count without the asked counter), that only
repeats the question's words (repeats_question would be 1), or that stands in a statute's
부칙 when the question asks nothing a 부칙 answers (:func:`rag.answer.layout.unasked_supplement`:
its commencement and transitional dates are not the act's rules), or that counts a part of the
total after it (위원장 1명을 포함한 7명: :func:`rag.answer.layout.included_part`), or that is a
statute's office when the question asks for a person's name (:func:`rag.answer.layout.unnamed_person`:
statutes name no one) or for who holds an office of the candidate's own title
(:func:`rag.answer.layout.another_office`: 전문위원회 위원장 for "개인정보보호위원장이 누구예요?"), or that is marked as where a period starts (…부터) when the question asks
until when (:func:`rag.answer.layout.starting_point`) gets no vector at all;
``type_fit`` is a table of credits (:mod:`rag.answer.fit`) multiplied by ``alias_fit``;
proximity, predicate_near and counted_near decay exponentially over their scales; a
word found in no sentence that is a verb weighs ``absent_verb`` of its idf
(:mod:`rag.answer.matching`). Those constants are :class:`FeatureShape`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from rag.answer import layout
from rag.answer.candidates import ALIAS, DEFINITION, TERM, Candidate
from rag.answer.evidence import Sentence
from rag.answer.fit import FitShape, repeat_share, type_fit
from rag.answer.matching import Matching, WordMatches, share
from rag.answer.phrases import NAME
from rag.answer.question import NAMING_NOUNS, QuestionAnalysis
from rag.mentions import compact_name


class Features(NamedTuple):
    """One candidate's feature vector, in the order of the module's table."""

    rank_prior: float
    overlap: float
    proximity: float
    type_fit: float
    type_shortfall: float
    misfit: float
    lacks_ordinal: float
    lacks_end: float
    count_unnamed: float
    unmet_condition: float
    defines_term: float
    asked_examples: float
    head_match: float
    follows_noun: float
    role_match: float
    predicate_near: float
    repeats_question: float
    unasked_document: float
    heading_match: float
    clause_overlap: float
    counted_near: float
    definition_match: float
    gloss_match: float
    example_share: float
    numeric_length: float


#: The feature names, in vector order.
FEATURES: tuple[str, ...] = Features._fields


@dataclass(frozen=True)
class FeatureShape:
    """The non-linear constants of the features: credits, a multiplier and decay scales.

    ``fit`` holds the type-fit credits; ``alias_fit`` multiplies the fit of an alias or
    gloss when the question asks for no other name (the name it stands for answers
    better); ``proximity_scale`` and ``counted_scale`` are the characters over which
    nearness decays by 1/e; ``absent_verb`` scales the weight of a question verb found
    in no sentence.
    """

    fit: FitShape = FitShape()
    alias_fit: float = 0.7
    proximity_scale: float = 20.0
    counted_scale: float = 5.0
    absent_verb: float = 0.3


def candidate_features(analysis: QuestionAnalysis, candidate: Candidate, sentence: Sentence, matching: Matching,
                       shape: FeatureShape) -> Features | None:
    """The candidate's feature vector, or ``None`` when it cannot answer (a misfit, a span
    made of the question's own words, one of a 부칙 the question does not ask about, a
    count that is part of the total the question asks for, a statute's office for a
    person's name or for the holder of an office of its title, or where a period starts for
    a question asking until when)."""
    fit = type_fit(analysis, candidate, shape.fit)
    if fit is None or layout.unasked_supplement(analysis, sentence) \
            or layout.included_part(analysis, candidate, sentence) \
            or layout.unnamed_person(analysis, candidate, sentence) \
            or layout.another_office(analysis, candidate, sentence) \
            or layout.starting_point(analysis, candidate):
        return None
    repeat = repeat_share(analysis, candidate)
    if repeat >= 1.0:
        return None
    matches, weights = matching.matches[id(sentence)], matching.weights
    # The span is of no recognised kind for the name asked for (어느 도시 → 정책).
    misfit = fit <= shape.fit.misfit
    if ALIAS in candidate.types and not analysis.alias:
        # The name an alias or gloss stands for answers better than the alias.
        fit *= shape.alias_fit
    # "AICA의 한글 명칭은" asks for the name that AICA glosses.
    glossed = analysis.focus in NAMING_NOUNS and candidate.gloss is not None \
        and candidate.gloss.lower() in analysis.compact
    overlap = share(matches, weights)
    titled = 0.0
    if analysis.answer_type == "law_reference" and candidate.text == sentence.article \
            and not layout.names_another_law(analysis, sentence):
        overlap = max(overlap, matching.articles.get((sentence.doc.doc_id, sentence.article), 0.0))
        # 제43조(과태료) is about 과태료 as a whole; 제6조(과태료에 관한 경과조치) only in part.
        if sentence.heading:
            titled = len(sentence.heading & set(analysis.content_tokens)) / len(sentence.heading)
    head = analysis.head
    category = layout.category(analysis, candidate, sentence)
    # "A, B 등 주요 연구기관": the phrase after 등 names the class, the items before it its members.
    headed = bool(head) and not layout.names_a_class(candidate, sentence) and (
        layout.ends_with_head(candidate, sentence, head)
        or (NAME in candidate.types and layout.titled(candidate, sentence, head))
        or (category is not None and head in sentence.text(*category)))
    exemplified = 0.0 if category is None else share(
        matches, weights, lambda positions: any(category[0] <= p < category[1] for p in positions))
    # "‘…’을 주제로" answers "어떤 주제로": the span sits right before the asked noun.
    followed = bool(head) and candidate.next_noun is not None and (
        candidate.next_noun.endswith(head) or head.endswith(candidate.next_noun))
    counted = _counted_near(analysis, candidate, matches, shape.counted_scale)
    if counted and layout.counts_another(analysis, candidate, sentence):
        counted = 0.0  # it answers for the noun it names, not for the one asked
    defined = _defines_asked(analysis, candidate)
    left, right = layout.clause_bounds(candidate, sentence)
    lacks = layout.lacks_ordinal(analysis, sentence)
    return Features(
        rank_prior=1 / (1 + sentence.rank),
        overlap=overlap,
        proximity=_proximity(candidate, matches, weights, shape.proximity_scale),
        type_fit=fit,
        type_shortfall=1 - fit,
        misfit=float(misfit),
        lacks_ordinal=float(lacks and analysis.ordinal != "end"),
        lacks_end=float(lacks and analysis.ordinal == "end"),
        count_unnamed=float(counted is None),
        unmet_condition=float(id(sentence) in matching.unmet),
        defines_term=float(defined > 0),
        asked_examples=exemplified * analysis.asks_examples,
        head_match=float(headed),
        follows_noun=float(followed),
        role_match=float(analysis.role is not None and candidate.role == analysis.role),
        predicate_near=layout.predicate_near(analysis, candidate, sentence, shape.proximity_scale),
        repeats_question=repeat if repeat > 0.5 else 0.0,
        unasked_document=float(sentence.doc.doc_id in matching.unasked),
        heading_match=titled,
        clause_overlap=share(matches, weights, lambda positions: any(
            left <= p < right and not candidate.start <= p < candidate.end for p in positions)),
        counted_near=counted or 0.0,
        definition_match=defined,
        gloss_match=float(glossed),
        example_share=exemplified,
        # Among numeric spans the longer one keeps its bound (60명 이내, 3년마다).
        numeric_length=float(min(len(candidate.text), 20) * any(ch.isdigit() for ch in candidate.text)),
    )


def _proximity(candidate: Candidate, matches: WordMatches, weights: dict[str, float], scale: float) -> float:
    """The weighted nearness of the question's words outside the candidate to it.

    A part of a date or amount (1987년 of 1987년 4월 12일) is as near to the words
    around the whole expression as the expression itself.
    """
    proximity = 0.0
    start, end = candidate.extent or (candidate.start, candidate.end)
    for token, (strength, positions) in matches.items():
        outside = [p for p in positions if not start <= p < end]
        if outside:
            distance = min(max(start - p, p - end, 0) for p in outside)
            proximity += weights[token] * strength * math.exp(-distance / scale)
    total = sum(weights.values())
    return proximity / total if total else 0.0


def _defines_asked(analysis: QuestionAnalysis, candidate: Candidate) -> float:
    """For a question about a definition, how well the candidate is the asked one.

    "X는 어떻게 정의되나" is answered by the body of X's definition, the longest term
    the question names winning (고영향 인공지능 over 인공지능); "…를 무엇이라
    부르나" by a defined term, whose definition the question paraphrases.
    """
    if analysis.asks_term:
        return 1.0 if TERM in candidate.types else 0.0
    if analysis.asks_definition and DEFINITION in candidate.types and candidate.term:
        term = compact_name(candidate.term)
        if term and term in compact_name(analysis.text):
            return 1.0 + len(term) / 100
    return 0.0


def _counted_near(analysis: QuestionAnalysis, candidate: Candidate, matches: WordMatches,
                  scale: float) -> float | None:
    """How closely the thing a count asks about sits to the candidate (3명 이내의
    부위원장), 0.0 when the question counts nothing in particular, ``None`` when the
    sentence never names it: 300여명 of 전문가 do not answer "임직원 수"."""
    if analysis.counted is None:
        return 0.0
    strength, positions = matches.get(analysis.counted, (0.0, []))
    outside = [p for p in positions if not candidate.start <= p < candidate.end]
    if not outside:
        return None
    distance = min(max(candidate.start - p, p - candidate.end, 0) for p in outside)
    return strength * math.exp(-distance / scale)
