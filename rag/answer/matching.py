"""Matching: where the question's content words are in each evidence sentence, and how rare.

For each sentence, each question word found in it gets a match strength and its
positions (:func:`span_matches`); each word gets a weight, an inverse sentence frequency
over the retrieved sentences (:func:`word_weights`). :class:`Matching` holds these for one
question together with what the features need about the retrieved set as a whole: the
documents the question does not mean, each statute 조's overlap as a whole, and the list
leads whose items name none of the question's conditions.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

from rag.answer.evidence import Sentence
from rag.answer.phrases import SURNAMES
from rag.answer.question import QuestionAnalysis
from rag.lexical import CONTENT_TAGS, EQUIVALENT_FORMS
from rag.paraphrases import formal_forms
from rag.sentences import SentenceSpan

#: Question word → (match strength, document offsets where it was found).
WordMatches = dict[str, tuple[float, list[int]]]

#: Match strength of a formal word for the question's plain one: near, not quite, the same.
_PARAPHRASE = 0.8
#: Shortest question word taken for an abbreviation (인권위, 대한상의).
_ABBREVIATION_MIN = 3
_WORD = re.compile(r"[가-힣]+")
#: A list lead whose items are alternative conditions (어느 하나에 해당하는 자), not contents (다음 각 호의 사항).
_CONDITION_LEAD = re.compile(r"다음 각 (?:호|목)의 어느 하나에 해당하")


def _is_hangul(text: str) -> bool:
    return all("가" <= ch <= "힣" for ch in text)


def abbreviates(short: str, word: str) -> bool:
    """Whether ``short`` is a Korean abbreviation of ``word``: its first two syllables,
    then the rest in order (대한상의 of 대한상공회의소에서, 과기정통부 of 과학기술정보통신부)."""
    if len(word) < len(short) + 2 or word[0] != short[0]:
        return False
    rest = iter(word[1:])
    return all(ch in rest for ch in short[1:])


def span_matches(analysis: QuestionAnalysis, span: SentenceSpan, context: frozenset[str]) -> WordMatches:
    """For each question word found in the sentence: match strength and positions.

    An exact morpheme match (or an equivalent spelling, AI for 인공지능) counts 1; the
    formal word for a plain one (설립 for 세우다, :mod:`rag.paraphrases`) 0.8; a
    compound containing the word, or most of the word (위원회 / 국가인공지능전략위원회,
    but not 위원 / 부위원장), a word it abbreviates (대한상의 / 대한상공회의소), or a name
    its surname stands for (오 / 오세훈), 0.7; a word only in the document's or the statute
    section's title 0.5 (it frames every sentence under it).
    """
    found: WordMatches = {}
    forms = [(m.form.lower(), m.start) for m in span.morphemes if m.tag in CONTENT_TAGS]
    for token in set(analysis.content_tokens):
        same = EQUIVALENT_FORMS.get(token, frozenset()) | {token}
        exact = [start for form, start in forms if form in same]
        if exact:
            found[token] = (1.0, exact)
            continue
        formal = formal_forms(token)
        paraphrased = [start for form, start in forms if any(f in form for f in formal)]
        if paraphrased:
            found[token] = (_PARAPHRASE, paraphrased)
            continue
        partial = [
            start for form, start in forms
            if len(form) >= 2 and (token in form or (form in token and 3 * len(form) >= 2 * len(token)))
        ] if len(token) >= 2 else []
        if not partial and len(token) == 1 and token in SURNAMES:
            # "오 시장" is 오세훈 시장: the press names a person by surname and title.
            partial = [m.start for m in span.morphemes
                       if m.tag == "NNP" and 2 <= len(m.form) <= 4 and m.form.startswith(token)]
        if not partial and len(token) >= _ABBREVIATION_MIN and _is_hangul(token):
            partial = [span.start + m.start() for m in _WORD.finditer(span.text)
                       if abbreviates(token, m.group())]
        if partial:
            found[token] = (0.7, partial)
        elif token in context:
            found[token] = (0.5, [])
    return found


class SpanMatcher:
    """:func:`span_matches` for one question, each span and context matched once: a list
    lead's items are often evidence sentences themselves, and :func:`unmet_condition`
    matches the lead and its items again. Results are shared: do not change them."""

    def __init__(self, analysis: QuestionAnalysis):
        self.analysis = analysis
        self._done: dict[tuple[int, frozenset[str]], WordMatches] = {}

    def __call__(self, span: SentenceSpan, context: frozenset[str]) -> WordMatches:
        # The spans live as long as the evidence that holds them, so their ids stay theirs.
        key = (id(span), context)
        if key not in self._done:
            self._done[key] = span_matches(self.analysis, span, context)
        return self._done[key]


def sentence_matches(analysis: QuestionAnalysis, sentence: Sentence, match: SpanMatcher | None = None) -> WordMatches:
    """Question words in the sentence (see :func:`span_matches`); a list lead also
    has the words of its best-matching item, which hold its conditions."""
    match = match or SpanMatcher(analysis)
    found = dict(match(sentence.span, sentence.context))
    if sentence.items:
        best = max((match(item, sentence.context) for item in sentence.items),
                   key=lambda item: sum(strength for strength, _ in item.values()))
        for token, (strength, _) in best.items():
            if strength > found.get(token, (0.0, []))[0]:
                found[token] = (strength, found.get(token, (0.0, []))[1])
    return found


def unmet_condition(analysis: QuestionAnalysis, sentence: Sentence, match: SpanMatcher | None = None) -> bool:
    """Whether a list lead's items name none of the question's words the lead lacks.

    "영향평가를 하지 않은 사업자의 과태료" is not answered by "다음 각 호의 어느 하나에
    해당하는 자에게는 3천만원 이하의 과태료" when no item is about 영향평가.
    """
    if not sentence.items or not _CONDITION_LEAD.search(sentence.span.text):
        return False
    match = match or SpanMatcher(analysis)
    own = match(sentence.span, sentence.context)
    wanted = {t for t in analysis.content_tokens if own.get(t, (0.0, []))[0] < 0.7}
    return bool(wanted) and not any(
        match(item, frozenset()).get(t, (0.0, []))[0] >= 0.7
        for item in sentence.items for t in wanted)


def word_weights(analysis: QuestionAnalysis, found_in: list[WordMatches], absent_verb: float) -> dict[str, float]:
    """An inverse sentence frequency per question word, over the retrieved sentences.

    A word found in most retrieved sentences (the law's name, 인공지능) tells them
    apart less than a rare one; a word found nowhere weighs most, so a question
    about something the documents never mention gets weak evidence. A verb found
    nowhere is scaled by ``absent_verb``: documents say the same thing in other verbs.
    """
    total = len(found_in)
    weights = {}
    for token in set(analysis.content_tokens):
        found = sum(token in matches for matches in found_in)
        weights[token] = math.log(1 + (total + 1) / (1 + found))
        if not found and token in analysis.verbs:
            weights[token] *= absent_verb
    return weights


def share(matches: WordMatches, weights: dict[str, float], where: Callable[[list[int]], bool] | None = None) -> float:
    """The weighted share of the question's words among ``matches`` (those whose positions
    satisfy ``where``, when given), by strength. Summed exactly (``math.fsum``): the words
    come in set order, which varies between processes, and equal shares must tie."""
    total = math.fsum(weights.values())
    inside = math.fsum(weights[t] * strength for t, (strength, positions) in matches.items()
                 if where is None or where(positions))
    return inside / total if total else 0.0


def unasked_documents(analysis: QuestionAnalysis, sentences: list[Sentence], named: frozenset[str],
                      title_words: Callable[[str], frozenset[str]]) -> set[str]:
    """Ids of retrieved documents the question does not mean, judged by their names.

    A question that names documents (인공지능기본법, 「지능정보화 기본법」) means
    those only. Otherwise, when one title is another plus words (an act and its
    시행령), the question means the longer title only if it names one of the extra
    words, and the shorter one otherwise.
    """
    if named:
        return {s.doc.doc_id for s in sentences} - named
    titles = {s.doc.doc_id: title_words(s.doc.title) for s in sentences}
    unasked: set[str] = set()
    for broad, broad_words in titles.items():
        for narrow, narrow_words in titles.items():
            if broad_words < narrow_words:
                names_extra = any(word in analysis.compact for word in narrow_words - broad_words)
                unasked.add(broad if names_extra else narrow)
    return unasked


@dataclass(frozen=True)
class Matching:
    """The question's words in every evidence sentence, and what follows from them.

    ``matches`` and ``unmet`` are keyed by ``id(sentence)``; ``articles`` maps (doc id,
    조) to the question's overlap with that 조 as a whole: a 조 answers "몇 조인가" with
    all its 항 together, while its heading alone shares few of the question's words.
    """

    matches: dict[int, WordMatches]
    weights: dict[str, float]
    unasked: set[str]
    articles: dict[tuple[str, str | None], float]
    unmet: set[int]

    @classmethod
    def build(cls, analysis: QuestionAnalysis, sentences: list[Sentence], named: frozenset[str],
              title_words: Callable[[str], frozenset[str]], absent_verb: float) -> Matching:
        """Match the question against ``sentences``; ``named`` are the documents it names."""
        match = SpanMatcher(analysis)
        matches = {id(s): sentence_matches(analysis, s, match) for s in sentences}
        weights = word_weights(analysis, [matches[id(s)] for s in sentences], absent_verb)
        merged: dict[tuple[str, str | None], WordMatches] = {}
        for sentence in sentences:
            if sentence.article is not None:
                found = merged.setdefault((sentence.doc.doc_id, sentence.article), {})
                for token, (strength, _) in matches[id(sentence)].items():
                    found[token] = (max(strength, found.get(token, (0.0, []))[0]), [])
        return cls(matches, weights, unasked_documents(analysis, sentences, named, title_words),
                   {key: share(found, weights) for key, found in merged.items()},
                   {id(s) for s in sentences if unmet_condition(analysis, s, match)})

    def overlap(self, sentence: Sentence) -> float:
        """The weighted share of the question's words that ``sentence`` contains."""
        return share(self.matches[id(sentence)], self.weights)
