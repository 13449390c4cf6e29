"""References between statute articles: which 조 cites which, within a statute and across.

Statutes point at each other by article: "제12조제1항에 따른", "「건축법」 제2조", "같은 법
제15조", and a decree at its act with "법 제7조제1항에서 대통령령으로 정하는" (a decree names its
act 「…」(이하 "법"이라 한다) once and then calls it 법). These references are parsed from
the documents into a :class:`ReferenceGraph` of article units (``(doc_id, 조)``, as
:func:`rag.articles.unit_of` names them), so that article search can tell that an article
cited by, or citing, a well-ranked article is likelier to govern the question too: a
penalty clause names the duty it punishes by number only, a decree article implements
the act article that delegates to it.

Only references that resolve are kept: the target statute is in the index and has that 조
(the 부칙's own numbering is left out, as in :attr:`rag.documents.Document.articles`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from rag.documents import Document

Unit = tuple[str, str]

#: An article reference, 제15조 or 제6조의3 (what follows, 제2항제3호, narrows it within the 조).
_REFERENCE = re.compile(r"제(\d+)조(?:의(\d+))?")
#: A statute's name in brackets.
_QUOTED = re.compile(r"「([^」]{2,80})」")
#: A statute named in brackets right before a reference, with the short name it is given after it ((이하 "법"이라 한다)).
_NAMED = re.compile(r"「([^」]{2,80})」\s*(?:\(이하[^)]{0,30}\)\s*)?$")
#: "같은 법": the statute named last.
_SAME = re.compile(r"같은\s*법\s*(시행령\s*)?$")
#: The act a decree or rule implements, called 법 (영 is the decree, in a rule): a word on its own.
_ACT = re.compile(r"(?:^|[^가-힣])(법|영)\s*$")
#: What may stand between references to the same statute: 항/호/목 of the previous one and joiners.
_JOINED = re.compile(r"^(?:제\d+항|제\d+호(?:의\d+)?|[가-하]목|단서|본문|전단|후단|각\s*호"
                     r"|[\s,·ㆍ및또는와과부터까지의에서]){0,12}$")
#: The suffixes that make a statute's decree and rule from its title.
_DECREE, _RULE = " 시행령", " 시행규칙"


@dataclass(frozen=True)
class ReferenceGraph:
    """Article units and the units each cites (``cites``) and is cited by (``cited_by``);
    ``implemented_by``: the articles of an act's own decree or rule that cite each of its
    articles (법 제15조제2항에 따라 …), where what the act leaves to them is set out."""

    cites: dict[Unit, frozenset[Unit]] = field(default_factory=dict)
    cited_by: dict[Unit, frozenset[Unit]] = field(default_factory=dict)
    implemented_by: dict[Unit, tuple[Unit, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, documents: Iterable[Document]) -> ReferenceGraph:
        """The references among the articles of ``documents`` (those with sections)."""
        statutes = [doc for doc in documents if doc.sections]
        by_title: dict[str, Document] = {}
        for doc in statutes:
            for name in doc.names:
                by_title.setdefault(_key(name), doc)
        cites: dict[Unit, set[Unit]] = defaultdict(set)
        for doc in statutes:
            for article, (start, end) in doc.articles.items():
                for target in _targets(doc, doc.text[start:end], by_title):
                    if target != (doc.doc_id, article):
                        cites[(doc.doc_id, article)].add(target)
        cited_by: dict[Unit, set[Unit]] = defaultdict(set)
        for source, targets in cites.items():
            for target in targets:
                cited_by[target].add(source)
        titles = {doc.doc_id: _key(doc.title) for doc in statutes}
        implemented_by = {}
        for unit, sources in cited_by.items():
            own = {titles[unit[0]] + _key(suffix) for suffix in (_DECREE, _RULE)}
            implemented_by[unit] = tuple(sorted((s for s in sources if titles[s[0]] in own), key=_reading_order))
        return cls({u: frozenset(t) for u, t in cites.items()}, {u: frozenset(s) for u, s in cited_by.items()},
                   {u: found for u, found in implemented_by.items() if found})

    def neighbours(self, unit: Unit) -> frozenset[Unit]:
        """The units ``unit`` cites or is cited by."""
        return self.cites.get(unit, frozenset()) | self.cited_by.get(unit, frozenset())

    def __len__(self) -> int:
        """The number of references (edges)."""
        return sum(len(targets) for targets in self.cites.values())


def _reading_order(unit: Unit) -> tuple[str, int, int]:
    """By document, then 제9조 before 제10조 before 제10조의2."""
    numbers = [int(n) for n in re.findall(r"\d+", unit[1])] + [0]
    return unit[0], numbers[0], numbers[1]


def _key(title: str) -> str:
    """A title as references write it: spaces do not matter (「개인정보 보호법」, 「개인정보보호법」)."""
    return re.sub(r"\s+", "", title)


def _implemented(doc: Document, by_title: dict[str, Document], word: str) -> Document | None:
    """What ``doc`` calls 법 or 영: in a decree its act and itself, in a rule its act and its
    decree, in an act itself (이 법)."""
    for suffix in (_DECREE, _RULE):
        if doc.title.endswith(suffix):
            act = doc.title[: -len(suffix)]
            if word == "법":
                return by_title.get(_key(act))
            return doc if suffix == _DECREE else by_title.get(_key(act + _DECREE))
    return doc if word == "법" else None


def _targets(doc: Document, text: str, by_title: dict[str, Document]) -> Iterable[Unit]:
    """The units the references in ``text`` (an article of ``doc``) resolve to.

    A reference belongs to the statute named right before it (「…」, 같은 법, or 법/영 in a
    decree or rule), to the same statute as the reference before it when only 항/호 and
    joiners stand between them (제15조, 제17조 및 제18조), and otherwise to ``doc`` itself.
    """
    named_last: Document | None = None  # the statute 「…」 named last, for 같은 법
    previous: Document | None = None  # the statute of the reference before, None: unresolved
    previous_end = 0
    for found in _REFERENCE.finditer(text):
        before = text[previous_end: found.start()]
        named = _NAMED.search(before)
        if named:
            target = by_title.get(_key(named.group(1)))
        elif (same := _SAME.search(before)) is not None:
            target = named_last
            if same.group(1) and named_last is not None:  # 같은 법 시행령: the decree of the statute named last
                target = by_title.get(_key(named_last.title + _DECREE))
        elif (act := _ACT.search(before)) is not None:
            target = _implemented(doc, by_title, act.group(1))
        elif previous_end and _JOINED.match(before):
            target = previous
        else:
            target = doc
        for quoted in _QUOTED.finditer(before):
            named_last = by_title.get(_key(quoted.group(1)))
        previous, previous_end = target, found.end()
        if target is None:
            continue
        article = f"제{found.group(1)}조" + (f"의{found.group(2)}" if found.group(2) else "")
        if article in target.articles:
            yield target.doc_id, article
