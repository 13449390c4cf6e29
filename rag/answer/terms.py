"""Terms a question names: its runs of nouns, and how much of one a defined term is.

A definition question names a compound term ("고영향 인공지능이란?"), and a statute defines
the term and its heads alike ("인공지능", "고영향 인공지능"): the clause to answer with is
the one whose term is all of what the question names, not a part of it.
"""

from __future__ import annotations

import re

from rag.mentions import compact_name

#: Morphemes a compound term is made of: nouns, foreign and Hanja words, numerals, affixes.
_RUN_TAGS = frozenset({"NNG", "NNP", "SL", "SH", "NR", "XR", "XPN", "XSN"})
#: The last morpheme of a statute's name (…법, …령, …조례): a term asked about comes after it.
_STATUTE_ENDS = ("법", "령", "조례", "규칙")
#: Shorter runs ending in 법 are words (방법, 입법), not a statute's name.
_MIN_STATUTE_NAME = 4
#: A term the question quotes: '기계 판독이 가능한 형태', ‘학습용데이터’.
_QUOTED = re.compile(r"['‘\"“「]([^'’\"”」]{1,40})['’\"”」]")


def noun_runs(tokens) -> tuple[str, ...]:
    """Runs of noun morphemes (Kiwi ``tokens``) and their affixes, each joined without spaces, lower-cased.

    A determiner written in one word with the noun after it belongs to the run: Kiwi reads
    the 고 of 고영향 as one (古), yet "고영향 인공지능" is the term, not "영향 인공지능"; the 란
    ending a question is not ("이용자란?" names 이용자), and a statute's name ends its run.
    """
    following = [*tokens[1:], None]
    runs, run = [], ""
    for token, next_token in zip(tokens, following):
        if (token.tag in _RUN_TAGS and not _final_ran(token, next_token)) or _attached_determiner(token, next_token):
            run += token.form.lower()
            if not _ends_a_statute_name(run, token, next_token):
                continue
        runs.append(run)
        run = ""
    return tuple(r for r in [*runs, run] if r)


def _ends_a_statute_name(run: str, token, following) -> bool:
    """Whether ``run``, ending with ``token``, is a statute's name (with its 상) before the
    term a question asks about: "신용정보법상 신용정보주체란?", "개인정보보호법 개인정보란?"."""
    if following is None or len(run) < _MIN_STATUTE_NAME:
        return False
    if token.form == "상" and token.tag == "XSN":
        return run[:-1].endswith(_STATUTE_ENDS)
    spaced = following.start > token.start + token.len
    return token.form.endswith(_STATUTE_ENDS) and spaced


def _final_ran(token, following) -> bool:
    """Whether ``token`` is the particle of "…이용자란?" that Kiwi reads as the noun 란 (欄)
    because the question ends there."""
    return token.form == "란" and (following is None or following.tag.startswith("S"))


def _attached_determiner(token, following) -> bool:
    """Whether ``token`` is a determiner written without a space before a noun."""
    return (token.tag == "MM" and following is not None and following.tag in _RUN_TAGS
            and following.start == token.start + token.len)


def asked_share(term: str, question: str, runs: tuple[str, ...], names: tuple[str, ...] = ()) -> float:
    """How much of what ``question`` (with its :func:`noun_runs` ``runs``) names ``term`` is.

    1 when the question quotes the term or a run is the term; the term's share of a run
    that ends with it otherwise ("고영향 인공지능" names 고영향 인공지능 whole and 인공지능
    only in part); 0 when no run ends with it. ``term`` is compared as names are
    (:func:`rag.mentions.compact_name`: "고영향 AI" is 고영향인공지능). A word of ``names``
    that ends a run ("인공지능 정의는?") is no part of the term.
    """
    if term in _quoted(question):
        return 1.0
    return max((len(term) / len(run) for run in _compact_runs(runs, names) if run.endswith(term)), default=0.0)


def named_terms(question: str, runs: tuple[str, ...], names: tuple[str, ...] = ()) -> list[str]:
    """The terms ``question`` names whole, compacted as names are: those it quotes, and each of
    its noun ``runs`` without a word of ``names`` at its end (those :func:`asked_share` gives 1)."""
    return [*_quoted(question), *_compact_runs(runs, names)]


def _quoted(question: str) -> list[str]:
    """The terms ``question`` quotes, compacted as names are."""
    return [compact_name(quoted) for quoted in _QUOTED.findall(question)]


def _compact_runs(runs: tuple[str, ...], names: tuple[str, ...]) -> list[str]:
    """``runs`` compacted as names are, each without a word of ``names`` at its end."""
    return [_without_name(compact_name(run), names) for run in runs]


def unnamed_runs(runs: tuple[str, ...], unnamed_question: str) -> tuple[str, ...]:
    """The noun ``runs`` the question still says once the names of the documents it names are
    blanked out (``unnamed_question``, :meth:`rag.mentions.Mentions.without_names`): in
    "공공기관의 정보공개에 관한 법률에서 정보란?" the title's 공공기관 is where to look, 정보 what is asked."""
    rest = compact_name(unnamed_question)
    return tuple(run for run in runs if compact_name(run) in rest)


def _without_name(run: str, names: tuple[str, ...]) -> str:
    """``run`` without a word of ``names`` at its end, unless that word is all of it."""
    name = next((name for name in names if run.endswith(name) and run != name), "")
    return run[: len(run) - len(name)]
