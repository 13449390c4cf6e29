"""Korean lexical search: the Kiwi morphemes BM25 indexes (:mod:`rag.bm25`).

Korean glues particles and endings onto words (재단은, 설립되었나), so matching raw
whitespace tokens misses most overlaps. We index the content morphemes Kiwi finds
(nouns, verb/adjective stems, numbers, foreign words, hanja) and drop the rest.
Statute references such as ``제7조`` or ``제17조의2`` are kept as single tokens:
Kiwi would split them into 제/7/조, and a bare ``7`` matches every number.
A long proper noun that Kiwi's dictionary holds whole (개인정보보호위원회) is indexed with
its parts too (개인, 정보, 보호, 위원회): people write it with and without spaces, and
statutes space it ("개인정보 보호위원회"), so either spelling finds the other.
"""

from __future__ import annotations

import re
from functools import lru_cache

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

#: The shortest proper noun (in syllables) whose parts are indexed beside it: shorter ones
#: (대한민국, 서울시) are names people write whole.
COMPOUND_MIN = 5
#: How much less likely (Kiwi's log-probability) the parts may read than the whole name: words
#: (개인+정보+보호+위원회: 2.7, 공공+데이터+포털: 2.1) but not the syllables of a transliteration
#: (포켓+몬스터: 11.3, 앙투아+네트: 16.8, 플레이+스테이션: 8.5).
SPLIT_COST = 3.0
_HANGUL = re.compile(r"[가-힣]+")

_LAW_REFERENCE = re.compile(r"제\s?(\d+)\s?(조|항|호|장|절)(?:\s?의\s?(\d+))?")


def tokenizer_id() -> str:
    """What BM25 tokens are made with; an index built with other tokens is rebuilt."""
    # The tokens are the analyser's content morphemes, so they change when the analyser does.
    return f"{analyser_id()}+compound-parts-{COMPOUND_MIN}-{SPLIT_COST}"


def _law_tokens(text: str) -> tuple[list[str], str]:
    """Pull statute references out of ``text``; return them and the text without them."""
    tokens = []
    for match in _LAW_REFERENCE.finditer(text):
        number, unit, branch = match.groups()
        tokens.append(f"제{number}{unit}" + (f"의{branch}" if branch else ""))
    return tokens, _LAW_REFERENCE.sub(" ", text)


@lru_cache(maxsize=8192)
def compound_parts(form: str) -> tuple[str, ...]:
    """The content morphemes of a long proper noun read without its dictionary entry
    (개인정보보호위원회 -> 개인, 정보, 보호, 위원회); none when it is short, not all
    Hangul, has no parts, or its parts read much less likely than the whole (:data:`SPLIT_COST`)."""
    if len(form) < COMPOUND_MIN or not _HANGUL.fullmatch(form):
        return ()
    from kiwipiepy import MorphemeSet

    analyser = kiwi()
    (_, whole), = analyser.analyze(form, top_n=1)
    (split, score), = analyser.analyze(form, top_n=1, blocklist=MorphemeSet(analyser, [f"{form}/NNP"]))
    if whole - score > SPLIT_COST:
        return ()
    parts = [m.form for m in split if m.tag in CONTENT_TAGS]
    return tuple(parts) if len(parts) > 1 and form not in parts else ()


def name_parts(morpheme) -> tuple[str, ...]:
    """The parts of a morpheme that is a long proper noun (:func:`compound_parts`), else none;
    ``morpheme`` is anything with Kiwi's ``form`` and ``tag``."""
    return compound_parts(morpheme.form) if morpheme.tag == "NNP" else ()


def _content_forms(morphemes) -> list[str]:
    return [form for m in morphemes if m.tag in CONTENT_TAGS for form in (m.form.lower(), *name_parts(m))]


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
