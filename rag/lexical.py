"""Korean lexical search: Kiwi morphemes indexed with BM25 (bm25s).

Korean glues particles and endings onto words (재단은, 설립되었나), so matching raw
whitespace tokens misses most overlaps. We index the content morphemes Kiwi finds
(nouns, verb/adjective stems, numbers, foreign words, hanja) and drop the rest.
Statute references such as ``제7조`` or ``제17조의2`` are kept as single tokens:
Kiwi would split them into 제/7/조, and a bare ``7`` matches every number.
"""

from __future__ import annotations

import re
from pathlib import Path

import bm25s
import numpy as np

from rag.tokenizer import analyser_id, kiwi, tokens

#: Kiwi tags whose forms carry meaning for matching.
CONTENT_TAGS = frozenset(
    {"NNG", "NNP", "NR", "SN", "SL", "SH", "XR", "VV", "VA", "VV-I", "VA-I", "VV-R", "VA-R",
     "W_URL", "W_EMAIL", "W_HASHTAG", "W_SERIAL"}
)

#: Spellings Korean documents use interchangeably, as content-morpheme forms: "AI" is
#: written 인공지능 (Kiwi: 인공 + 지능) as often as not.
EQUIVALENT_FORMS: dict[str, frozenset[str]] = {
    "ai": frozenset({"인공", "지능"}),
    "인공": frozenset({"ai"}),
    "지능": frozenset({"ai"}),
}

_LAW_REFERENCE = re.compile(r"제\s?(\d+)\s?(조|항|호|장|절)(?:\s?의\s?(\d+))?")


def tokenizer_id() -> str:
    """What BM25 tokens are made with; an index built with other tokens is rebuilt."""
    # The tokens are the analyser's content morphemes, so they change when the analyser does.
    return analyser_id()


def _law_tokens(text: str) -> tuple[list[str], str]:
    """Pull statute references out of ``text``; return them and the text without them."""
    tokens = []
    for match in _LAW_REFERENCE.finditer(text):
        number, unit, branch = match.groups()
        tokens.append(f"제{number}{unit}" + (f"의{branch}" if branch else ""))
    return tokens, _LAW_REFERENCE.sub(" ", text)


def _content_forms(morphemes) -> list[str]:
    return [m.form.lower() for m in morphemes if m.tag in CONTENT_TAGS]


def tokenize(text: str) -> list[str]:
    """Content-morpheme tokens of one text (a query), statute references first."""
    laws, rest = _law_tokens(text)
    return laws + _content_forms(tokens(rest))


def expand_query(tokens: list[str]) -> list[str]:
    """Query tokens plus their :data:`EQUIVALENT_FORMS`, so "AI 전략" also finds 인공지능.

    Only queries are expanded: indexed tokens stay what the text says.
    """
    extra = [form for token in tokens for form in sorted(EQUIVALENT_FORMS.get(token, ())) if form not in tokens]
    return tokens + list(dict.fromkeys(extra))


def tokenize_many(texts: list[str]) -> list[list[str]]:
    """Tokenise many texts at once (Kiwi batches them across threads)."""
    split = [_law_tokens(t) for t in texts]
    analysed = kiwi().tokenize([rest for _, rest in split])
    return [laws + _content_forms(morphemes) for (laws, _), morphemes in zip(split, analysed)]


class LexicalIndex:
    """BM25 over pre-tokenised documents; row ``i`` is the ``i``-th token list given."""

    def __init__(self, corpus_tokens: list[list[str]]):
        self.size = len(corpus_tokens)
        self._bm25 = bm25s.BM25()
        if self.size:
            self._bm25.index(corpus_tokens, show_progress=False)

    def search(self, query_tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and BM25 scores of the best ``k`` rows that share a token with the query."""
        k = min(k, self.size)
        if k == 0 or not query_tokens:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        # n_threads=0 maps in this thread; any other value starts a thread pool per call.
        ids, scores = self._bm25.retrieve([query_tokens], k=k, show_progress=False, n_threads=0)
        ids, scores = ids[0], scores[0]
        keep = scores > 0
        return ids[keep].astype(np.int64), scores[keep].astype(np.float32)

    def save(self, directory: Path) -> None:
        if self.size:
            self._bm25.save(str(directory))

    @classmethod
    def load(cls, directory: Path, size: int) -> LexicalIndex:
        index = cls([])
        index.size = size
        if size:
            index._bm25 = bm25s.BM25.load(str(directory))
        return index
