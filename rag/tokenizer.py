"""The Korean morphological analyser (Kiwi) that every part of ``rag`` reads text with.

BM25 tokens (:mod:`rag.lexical`), sentence splits and their morphemes
(:mod:`rag.sentences`) and question analysis (:mod:`rag.answer.question`) all come from one
analyser: loading it takes seconds and a hundred megabytes, so a process loads it once,
and all three must agree on what a morpheme is or a question's words would not match a
sentence's.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiwipiepy import Kiwi
    from kiwipiepy._wrap import Token


@lru_cache(maxsize=1)
def kiwi() -> Kiwi:
    """The shared analyser, built on first use (kiwipiepy is imported only then)."""
    from kiwipiepy import Kiwi

    # Without Kiwi's dictionary of multi-word Wikidata names (해리 포터와 마법사의 돌 as
    # one noun) a process needs 190 MB less and starts 2 s sooner, and BM25 finds more:
    # one of those names as one token never matches a question that names half of it.
    return Kiwi(load_multi_dict=False)


@lru_cache(maxsize=1024)
def tokens(text: str) -> tuple[Token, ...]:
    """Kiwi's tokens of one short text (a question), memoised.

    Retrieval (its BM25 tokens), question analysis and the reading of a follow-up each
    analyse the same question, and one Kiwi pass costs about 0.6 ms of an uncached ask's
    14–20 ms (bench/results, 2026-12-04). Many texts at once go to ``kiwi().tokenize`` instead.
    """
    return tuple(kiwi().tokenize(text))


def analyser_id() -> str:
    """Which analyser :func:`kiwi` is: the package and model versions and how it is built.

    Anything that stores what the analyser produced (the BM25 tokens of an index) records
    this, and is rebuilt when it changes.
    """
    from importlib.metadata import version

    return f"kiwipiepy-{version('kiwipiepy')}/{version('kiwipiepy_model')}-no-multi-dict"
