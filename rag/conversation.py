"""Follow-up questions: what "그럼 위원장은 누가 맡나?" asks about, from the turns before it.

The service keeps no session state: a client sends the last turns of its conversation with
each question (:class:`Turn`: the question and the answer it got), so any replica can answer.
A follow-up without a subject of its own is read against the *topic* of those turns: the
document the first turn named, with the term asked about in it ("개인정보 보호법에서 민감정보란?"
→ 개인정보 보호법 민감정보; less a short last word, the aspect asked of a name: 인공지능위원회 위원장은 →
인공지능위원회), or when it named none its first noun phrase ("국가인공지능전략위원회는
몇 명으로 구성되나?" → 국가인공지능전략위원회). The topic carries over the turns after it and
changes when a turn names another document: a follow-up seldom names its own subject, and a
noun phrase of its own (위원장, 언론사 기사) is more often the aspect it asks about than a new topic.

:func:`resolve` returns the readings of a question to try, in order; the pipeline answers the
first and falls back to the next when it abstains:

* a question that names a document, or repeats the topic, is read as asked;
* one that names a long compound of its own (국가인공지능전략위원회, 개인정보처리자) is read as
  asked first, then with the topic;
* any other is read with the topic only, put where the question points back (그 위원회, 이 법,
  해당 기관, 거기, 그건) or before it, a connective first (그럼, 근데) left out. Not also as
  asked: alone, "임기는?" is answered from whichever document says most about 임기, and a wrong
  answer is worse than an abstention.

The answers of earlier turns are not read: what a turn was about is in its question, and
an answer (a date, a number, a passage) seldom names it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from rag.mentions import DocumentNames, compact_name
from rag.tokenizer import tokens as kiwi_tokens

_WORDS = tomllib.loads(Path(__file__).with_name("conversation.toml").read_text(encoding="utf-8"))
_PRONOUNS = frozenset(_WORDS["pronouns"])
_DETERMINERS = frozenset(_WORDS["determiners"])
#: Morphemes of a noun phrase: nouns, foreign and Hanja words, numerals, affixes.
_NOUN_TAGS = frozenset({"NNG", "NNP", "SL", "SH", "NR", "XR", "XPN", "XSN"})
#: A compound this long (in characters without spaces) names something by itself:
#: 국가인공지능전략위원회, 개인정보처리자, 고영향인공지능. Shorter nouns (위원장, 임기, 과태료,
#: 시행일) are aspects of whatever the conversation is about.
_OWN_NAME_CHARS = 5
#: After a document's name, the noun phrase it is asked about joins the topic when it is at least
#: this long: 민감정보 (개인정보 보호법에서 민감정보란?) is part of what is talked about; 목적
#: (인공지능기본법의 목적은?) is the aspect asked.
_TOPIC_TERM_CHARS = 3
#: Particles a pronoun carried, for the topic put in its place: 그건 → 민감정보는.
_PARTICLES = {"JX": ("은", "는"), "JKS": ("이", "가"), "JKO": ("을", "를")}


@dataclass(frozen=True)
class Turn:
    """One earlier turn of a conversation: the question as asked and the answer it got (None: abstained)."""

    question: str
    answer: str | None = None


@dataclass(frozen=True)
class Resolution:
    """How a question is read: ``readings`` to try in order (the first is the preferred one) and
    the ``topic`` of the conversation it was read against (None when the history was not used)."""

    readings: tuple[str, ...]
    topic: str | None = None


def resolve(question: str, history: Sequence[Turn], names: DocumentNames) -> Resolution:
    """The readings of ``question`` after ``history`` (oldest turn first), as the module docstring says."""
    topic = None
    for turn in history:
        earlier, names_document = turn_topic(turn.question, names)
        if earlier and (topic is None or names_document):
            topic = earlier
    current = _Question(question, names)
    if topic is None or current.names_document or compact_name(topic) in compact_name(question):
        return Resolution((question,))
    resolved = current.with_topic(topic)
    if current.names_own_subject:
        return Resolution((question, resolved), topic)
    return Resolution((resolved,), topic)


@lru_cache(maxsize=4096)
def turn_topic(question: str, names: DocumentNames) -> tuple[str | None, bool]:
    """An earlier turn's topic and whether it names a document. Memoised: a chat client sends
    the same turns again with every question, and analysing each costs a Kiwi pass."""
    earlier = _Question(question, names)
    return earlier.topic, earlier.names_document


class _Question:
    """A question's tokens, the documents it names, its noun phrases and what points back."""

    def __init__(self, text: str, names: DocumentNames):
        self.text = text
        self.tokens = kiwi_tokens(text)
        mentions = names.mentions(text)
        self.names_document = bool(mentions.doc_ids)
        self.name_spans = mentions.spans
        self.phrases = _noun_phrases(self.tokens)
        self.pointer = next((i for i, t in enumerate(self.tokens) if _points_back(t, self.tokens, i)), None)
        self.opens_with_connective = bool(self.tokens) and self.tokens[0].tag == "MAJ"

    @property
    def points_back(self) -> bool:
        return self.pointer is not None or self.opens_with_connective

    @property
    def names_own_subject(self) -> bool:
        """A long compound of its own, and nothing pointing back to an earlier turn."""
        return not self.points_back and any(
            len(compact_name(self.text[start:end])) >= _OWN_NAME_CHARS for start, end in self.phrases[:1])

    @property
    def topic(self) -> str | None:
        """What the question is about: the document it names (with the term it asks about in that
        document), else its first noun phrase; None when it has neither."""
        if self.name_spans:
            start, end = self.name_spans[0]
            term = _without_aspect(self._term_after(end))
            if term and len(compact_name(term)) >= _TOPIC_TERM_CHARS:
                return f"{self.text[start:end]} {term}"
            return self.text[start:end]
        if self.phrases and not self.points_back:
            start, end = self.phrases[0]
            return self.text[start:end]
        return None

    def _term_after(self, end: int) -> str | None:
        """The noun phrase after offset ``end`` (a document's name), without the 상 of 인공지능기본법상."""
        for start, stop in self.phrases:
            if stop <= end:
                continue
            term = self.text[max(start, end):stop]
            return term.removeprefix("상").strip() or None
        return None

    def with_topic(self, topic: str) -> str:
        """The question with ``topic`` where it points back, or before it."""
        text, tokens = self.text, self.tokens
        if self.pointer is not None:
            token = tokens[self.pointer]
            following = tokens[self.pointer + 1] if self.pointer + 1 < len(tokens) else None
            if token.form in _PRONOUNS:  # 거기, 그건, 그중: the pronoun's word becomes the topic with its particle
                start, end = _word(text, token.start)
                particle = _particle(topic, following) if following and following.start < end else ""
                return f"{text[:start]}{topic}{particle}{text[end:]}".strip()
            # 그 위원회: the noun names the topic's class when the topic ends with it; else only 그 goes.
            noun_end = following.start + following.len
            names_class = compact_name(topic).endswith(compact_name(following.form))
            end = noun_end if names_class else token.start + token.len
            rest = text[end:] if names_class or text[end:end + 1] == " " else f" {text[end:]}"  # 그중에 → topic 중에
            return f"{text[:token.start]}{topic}{rest}".strip()
        if self.opens_with_connective and len(tokens) > 1:
            text = text[tokens[1].start:]
        return f"{topic} {text}"


def _without_aspect(term: str | None) -> str | None:
    """The term without its last word when that word is an aspect (shorter than a name) of a name before it:
    "인공지능위원회 위원장은 어떻게 정해?" is about the committee, and its next turn (위원은?) asks about
    another of its offices. A short first word (고영향 인공지능, 비공개 결정) is a modifier: the term stays whole."""
    if not term or " " not in term:
        return term
    rest, last = term.rsplit(" ", 1)
    if len(compact_name(last)) < _OWN_NAME_CHARS <= len(compact_name(rest)):
        return rest
    return term


def _noun_phrases(tokens) -> list[tuple[int, int]]:
    """Character spans of the runs of noun morphemes (spaces inside a run allowed: 고영향 인공지능)."""
    spans: list[tuple[int, int]] = []
    run: tuple[int, int] | None = None
    for token in tokens:
        if token.tag in _NOUN_TAGS and not (token.tag == "NNG" and token.form in _DETERMINERS):
            run = (run[0] if run else token.start, token.start + token.len)
            continue
        if run:
            spans.append(run)
        run = None
    return [*spans, run] if run else spans


def _points_back(token, tokens, i: int) -> bool:
    """A demonstrative pronoun, or a demonstrative determiner before a noun (그 위원회, 해당 기관)."""
    if token.form in _PRONOUNS:
        return token.tag in {"NP", "NNG"}  # Kiwi reads 그중 ("among them") as a common noun
    if token.form in _DETERMINERS and token.tag in {"MM", "NNG"}:
        return i + 1 < len(tokens) and tokens[i + 1].tag in {"NNG", "NNP", "NNB"}  # 그 위원회, 그 중
    return False


def _word(text: str, at: int) -> tuple[int, int]:
    """The space-delimited word around offset ``at``."""
    start = text.rfind(" ", 0, at) + 1
    end = text.find(" ", at)
    return start, len(text) if end < 0 else end


def _particle(topic: str, token) -> str:
    """The particle of ``token`` (은/는, 이/가, 을/를) in the form the topic's last syllable takes."""
    forms = _PARTICLES.get(token.tag)
    if forms is None:
        return ""
    last = topic[-1]
    closed = "가" <= last <= "힣" and (ord(last) - ord("가")) % 28 != 0
    return forms[0] if closed else forms[1]
