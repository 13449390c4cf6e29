"""Which documents a question calls by name.

"인공지능기본법에서 …", "「지능정보화 기본법」상 …": a question that names a document
means that document, and a sentence of another one (an ordinance with the same
wording) answers a different question. Names are the title and the short title a
source gives (:attr:`rag.documents.Document.names`), compared without spaces or
brackets, with "AI" read as 인공지능, and the short names people make of a long statute
title (:func:`short_names`). A short name says where to look and also what about
(공공데이터법 is about 공공데이터), so its words stay in the question.

A question may also name a statute the index does not hold ("근로기준법상 연차휴가는 며칠?"
over these civic statutes). Its words are then often in some indexed statute, which would
answer a question about another law with confidence; the titles of every Korean statute in
force (``statute_titles.txt``) tell such a question apart, and :attr:`Mentions.unindexed`
says which it names. The indexed documents may still speak of that statute (an act that
applies 「민법」's rules to an association): the answerer is told whether the evidence it
reads names it (:meth:`Mentions.only_unindexed`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from rag.documents import Document

_IGNORED = "‘’“”「」『』《》〈〉()[]\"'.,·ㆍ"
#: Shorter names (법, 조례) are words, not the name of one document.
_MIN_NAME = 4
#: The titles of every statute in force, one per line (``#`` lines say where they come from).
STATUTE_TITLES_FILE = Path(__file__).with_name("statute_titles.txt")
#: A long statute title: "<lead> … <topic>(등)에 관한 법률|기본법" (정보통신망 이용촉진 및 정보보호 등에 관한 법률).
_LONG_TITLE = re.compile(r"^(?P<lead>\S+?)(?:의)?\s.*?(?P<topic>\S+?)(?:\s등)?에\s관한\s(?P<kind>법률|기본법|특별법)$")


def short_names(title: str) -> set[str]:
    """The names people shorten a long statute title to, as law.go.kr's 법령명약칭 mostly are:
    its first word or the topic before 에 관한, with 법 (or 기본법/특별법): 정보통신망 이용촉진 및
    정보보호 등에 관한 법률 → 정보통신망법, 공공기관의 정보공개에 관한 법률 → 정보공개법,
    데이터기반행정 활성화에 관한 법률 → 데이터기반행정법. Names two documents share are
    dropped by :class:`DocumentNames`."""
    match = _LONG_TITLE.match(title.strip())
    if match is None:
        return set()
    suffix = "법" if match["kind"] == "법률" else match["kind"]
    return {word + end for word in (match["lead"], match["topic"]) for end in {"법", suffix}}


@lru_cache(maxsize=1)
def statute_names() -> dict[str, str]:
    """Every statute in force by its :func:`compact_name`, to its title. Not by the short names
    :func:`short_names` makes of long titles: of a title no document holds they can be a plain
    word (제정법 of 노동절 제정에 관한 법률)."""
    titles = (line.strip() for line in STATUTE_TITLES_FILE.read_text(encoding="utf-8").splitlines())
    return {compact_name(title): title for title in titles if title and not title.startswith("#")}


def compact_name(text: str) -> str:
    """A name as questions write it: lower-case, no spaces or brackets, AI spelled 인공지능."""
    return _compact(text)[0]


def _compact(text: str) -> tuple[str, list[int]]:
    """:func:`compact_name` of ``text``, and the offset in ``text`` of each of its characters."""
    chars, offsets = [], []
    lowered = text.lower()
    i = 0
    while i < len(lowered):
        ch = lowered[i]
        if lowered.startswith("ai", i):
            chars.append("인공지능")
            offsets.extend([i, i, i + 1, i + 1])
            i += 2
            continue
        if not ch.isspace() and ch not in _IGNORED:
            chars.append(ch)
            offsets.append(i)
        i += 1
    return "".join(chars), offsets


@dataclass(frozen=True)
class Mentions:
    """The documents a question names (``doc_ids``) and where (``spans`` of the question text),
    and the statutes it names that no indexed document is (``unindexed``: titles, as in force)."""

    doc_ids: frozenset[str] = frozenset()
    spans: tuple[tuple[int, int], ...] = ()
    unindexed: tuple[str, ...] = ()

    def only_unindexed(self, evidence: Iterable[str]) -> bool:
        """The question names statutes, none of them indexed, and no text of ``evidence`` names
        them either: what it would be answered from is about other laws."""
        if not self.unindexed or self.doc_ids:
            return False
        names = [compact_name(title) for title in self.unindexed]
        return not any(name in compact for compact in map(compact_name, evidence) for name in names)

    def without_names(self, question: str) -> str:
        """``question`` with the names blanked out: what it asks, not where."""
        for start, end in self.spans:
            question = question[:start] + " " * (end - start) + question[end:]
        return question

    def search_text(self, question: str) -> str:
        """What to search for: ``question`` without the names (a document's name says where
        to look, not what to look for), unless the names are all it says."""
        if not self.doc_ids:
            return question
        query = self.without_names(question)
        return query if query.strip(" ?.()「」‘’\"'") else question


class DocumentNames:
    """The names of a set of documents, built once per index generation."""

    def __init__(self, documents: Mapping[str, Document]):
        given = {doc.doc_id: {compact_name(n) for n in doc.names} for doc in documents.values()}
        derived = {doc.doc_id: {compact_name(n) for n in short_names(doc.title)} for doc in documents.values()}
        shared = Counter(n for ns in derived.values() for n in ns)
        # Short names of one document only, and no document's own name (인공지능기본법 is given).
        self._short = {n for n, count in shared.items() if count == 1} - set().union(*given.values())
        names = {doc_id: given[doc_id] | (derived[doc_id] & self._short) for doc_id in given}
        by_title = {doc.title: doc.doc_id for doc in documents.values()}
        for doc in documents.values():
            # A title that extends another (…기본법 시행령) may be called by the other's
            # names plus the extra words (인공지능기본법 시행령).
            for cut in (i for i, ch in enumerate(doc.title) if ch.isspace()):
                shorter = by_title.get(doc.title[:cut])
                if shorter is not None:
                    extra = compact_name(doc.title[cut:])
                    names[doc.doc_id] |= {n + extra for n in names[shorter]}
        self._names = {doc_id: frozenset(n for n in ns if len(n) >= _MIN_NAME) for doc_id, ns in names.items()}
        indexed = set().union(*names.values(), *derived.values())
        self._unindexed = {name: title for name, title in statute_names().items() if name not in indexed}

    def mentions(self, question: str) -> Mentions:
        """The documents ``question`` names; of nested matches the longest wins
        ("인공지능기본법 시행령" names the 시행령, not the act)."""
        compact, offsets = _compact(question)
        found = {}
        for doc_id, names in self._names.items():
            # Of two names as long, the one said first: the same choice in every process
            # (a set's order changes with the interpreter's hash seed).
            name = max((n for n in names if n in compact), key=lambda n: (len(n), -compact.find(n)), default="")
            if name:
                found[doc_id] = name
        named = {doc_id: name for doc_id, name in found.items()
                 if not any(name != longer and name in longer for longer in found.values())}
        spans = set()
        for name in set(named.values()) - self._short:
            at = compact.find(name)
            while at >= 0:
                spans.add((offsets[at], offsets[at + len(name) - 1] + 1))
                at = compact.find(name, at + len(name))
        return Mentions(frozenset(named), tuple(sorted(spans)), self._unindexed_in(question, compact, offsets))

    def _unindexed_in(self, question: str, compact: str, offsets: list[int]) -> tuple[str, ...]:
        """The titles of the statutes not indexed that ``question`` names at the start of a word
        (민법상, not the 민법 of 난민법); of nested names the longest."""
        found: dict[str, tuple[int, str]] = {}
        # Every title in force has 법 or 령 in it (법률, 시행령, 조선산금령): most questions need no scan.
        if "법" not in compact and "령" not in compact:
            return ()
        for name, title in self._unindexed.items():
            at = compact.find(name)
            while at >= 0:
                start = offsets[at]
                if start == 0 or not question[start - 1].isalnum():
                    found[name] = (at, title)
                    break
                at = compact.find(name, at + 1)
        kept = [(at, title) for name, (at, title) in found.items()
                if not any(name != longer and name in longer for longer in found)]
        return tuple(dict.fromkeys(title for _, title in sorted(kept)))
