"""The kind of answer a question asks for: a short typed span, or a passage of some kind.

People ask a civic chatbot "what is", "what must", "what does it include", "why" far more
often than "when" or "how many". Those questions are answered by a passage (the defining
clause, the purpose sentence, the duty sentence, a list lead with its items), not by a
typed fragment. :func:`answer_kind` decides which from cue constructions kept with their
provenance in ``answer_kinds.toml``, tried in that file's order, and from what the
question's analysis found (:mod:`rag.answer.question`): a question asking for a typed
span is ``short`` unless a list cue came first, and one asking for a thing (무엇을 적어야
하나) unless a purpose, reason or definition cue came first. Those rules lean to ``short``
on fresh questions ("원칙은 뭐야?" asks for a list), so when ``kind-weights.json`` is shipped
its learned models (:mod:`rag.answer.kind_model`) make the final call from the rules' kind
and the question's form (:func:`decide_kind`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from rag.answer.kind_model import KindSignals, KindWeights, kind_features, shipped_kind_weights

AnswerKind = Literal["short", "definition", "purpose", "list", "duty", "reason", "passage"]
ANSWER_KINDS: tuple[str, ...] = get_args(AnswerKind)
#: The kinds answered by a passage rather than a typed span.
PASSAGE_KINDS = frozenset(ANSWER_KINDS) - {"short"}

_CUES_FILE = Path(__file__).with_name("answer_kinds.toml")
#: Cue groups tried before a typed answer decides, then before a thing asked for decides, then after.
_BEFORE_TYPED = ("list",)
_BEFORE_THING = ("purpose", "reason", "definition", "bare_definition")
_AFTER_THING = ("duty",)
#: Every group that names a passage kind, in the order the cue rules try them.
_PASSAGE_GROUPS = (*_BEFORE_TYPED, *_BEFORE_THING, *_AFTER_THING)
#: The particle of "X(이)란?": X is the term asked about, so its type is not the answer's.
_DEFINING = frozenset({"란", "이란"})
#: Cue groups that are another way of asking for a kind.
_GROUP_KIND: dict[str, AnswerKind] = {"bare_definition": "definition"}


@dataclass(frozen=True)
class _CueGroup:
    """A group's cues as one alternation; ``max_words`` bounds the question's length in words."""

    pattern: re.Pattern[str]
    max_words: int | None = None

    def matches(self, text: str) -> bool:
        words = text.split()
        return (self.max_words is None or len(words) <= self.max_words) and bool(self.pattern.search("".join(words)))


@lru_cache(maxsize=1)
def _cues() -> dict[str, _CueGroup]:
    """The cue groups of ``answer_kinds.toml`` by name."""
    groups = tomllib.loads(_CUES_FILE.read_text(encoding="utf-8"))
    unknown = set(groups) - set(_BEFORE_TYPED) - set(_BEFORE_THING) - set(_AFTER_THING)
    if unknown:
        raise ValueError(f"{_CUES_FILE.name}: unknown cue groups {sorted(unknown)}")
    return {name: _CueGroup(re.compile("|".join(f"(?:{cue})" for cue in group["cues"])), group.get("max_words"))
            for name, group in groups.items()}


def matched_cues(text: str) -> tuple[str, ...]:
    """The cue groups of ``answer_kinds.toml`` that match ``text``, in the file's order."""
    return tuple(name for name, group in _cues().items() if group.matches(text))


def _matching(groups: tuple[str, ...], matched: tuple[str, ...]) -> AnswerKind | None:
    """The kind of the first of ``groups`` among the ``matched`` cue groups."""
    group = next((group for group in groups if group in matched), None)
    return None if group is None else _GROUP_KIND.get(group, group)  # type: ignore[return-value]


def answer_kind(matched: tuple[str, ...], typed: bool, asks_thing: bool) -> AnswerKind:
    """The kind of answer a question asks for by the cue rules, given the cue groups that match
    it (:func:`matched_cues`) and what its analysis found: whether it asks for a typed span
    (``typed``: 언제, 몇 명, 누가, "시행일은?") and whether it asks for a thing at all
    (``asks_thing``: a wh-word other than "뭘 해야", or a noun ending the question)."""
    kind = _matching(_BEFORE_TYPED, matched)
    if kind is not None:
        return kind
    if typed:
        return "short"
    kind = _matching(_BEFORE_THING, matched)
    if kind is not None:
        return kind
    if asks_thing:
        return "short"
    return _matching(_AFTER_THING, matched) or "passage"


def kind_of_question(text: str, tokens, typed: bool, wh_index: int | None, focus_index: int | None,
                     asks_term: bool, answer_type: str = "other") -> tuple[AnswerKind, KindSignals]:
    """The kind of answer a question asks for, and the signals it was decided from.

    From its Kiwi ``tokens`` and what its analysis found: whether its type is a typed span's
    (``typed``, ``answer_type``), where its wh-word and focus noun are, and whether it asks for
    the term a description defines (``asks_term``: a term is short). The cues give a kind
    (:func:`answer_kind`); the shipped learned models decide (:func:`decide_kind`).
    """
    names = _focus_names_answer(tokens, wh_index, focus_index)
    thing = _asks_for_thing(tokens, wh_index, names)
    matched = matched_cues(text)
    signals = KindSignals(
        text, tuple(tokens), answer_kind(matched, asks_term or (typed and names), thing), matched,
        typed, names, thing, asks_term, answer_type,
        None if wh_index is None else tokens[wh_index].form, None if focus_index is None else tokens[focus_index].form)
    return decide_kind(signals, shipped_kind_weights()), signals


def decide_kind(signals: KindSignals, weights: KindWeights | None) -> AnswerKind:
    """The kind ``weights`` give a question of ``signals``: short, or the passage kind their
    kind model scores highest (without one, the cues' kind, or the first passage cue that
    matches when the cues said short); the cues' kind without weights."""
    rule: AnswerKind = signals.rule_kind  # type: ignore[assignment]
    if weights is None:
        return rule
    features = kind_features(signals)
    if weights.probability(features) < weights.threshold:
        return "short"
    learned = weights.passage_kind(features)
    if learned is not None:
        return learned  # type: ignore[return-value]
    return rule if rule != "short" else _matching(_PASSAGE_GROUPS, signals.cues) or "passage"


def _focus_names_answer(tokens, wh_index: int | None, focus_index: int | None) -> bool:
    """Whether the focus noun names what is asked, so that its type is the answer's.

    "무엇을 해야 하나" asks for an action, whatever the topic before it names (회사는);
    without a wh-word, the focus noun must end the question ("시행일은?", "…한 것은?"),
    not be followed by its predicate ("요청할 수 있나요?").
    """
    if wh_index is None:
        after = tokens[(focus_index or 0) + 1:]
        if any(t.form in _DEFINING and t.tag in ("JX", "ETM") for t in after[:2]):
            return False  # "공공기관이란?" asks what 공공기관 is, not for an organisation
        return not any(t.tag.startswith(("VV", "VA", "XSV", "XSA")) for t in after)
    if tokens[wh_index].form in ("무엇", "뭐"):
        # "이름이 뭐야" asks for the name; "뭘 해야 돼" for whatever is to be done.
        following = tokens[wh_index + 1] if wh_index + 1 < len(tokens) else None
        return following is None or following.tag in ("VCP", "SF")
    return True


def _asks_for_thing(tokens, wh_index: int | None, focus_names_answer: bool) -> bool:
    """Whether the question asks for a thing a span can be: a wh-word other than "뭘
    해야 하나" (what to do), or a focus noun naming the answer ("…한 것은?")."""
    if wh_index is None:
        # 어떠한 is the adjective form of 어떤: "어떠한 나무로 만들었나" asks for a kind of wood.
        return focus_names_answer or any(t.form == "어떠하" for t in tokens)
    if tokens[wh_index].form in ("무엇", "뭐"):
        following = [t for t in tokens[wh_index + 1:] if not t.tag.startswith("J")]
        return not (following and following[0].form == "하" and following[0].tag == "VV")
    return True
