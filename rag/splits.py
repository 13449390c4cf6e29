"""The fixed split of each dev set into a ``tune`` half and a ``report`` half.

Rules and features of the answerer may be looked at against ``tune`` only; the figures
in the README and the gates ``rag eval`` enforces are on ``report``. Each question's
half is recorded in its set (``"part"``) and must equal :func:`assign_parts` of the
ids and gold answers, so a question cannot be moved by hand (a test checks the files).
``python -m rag.splits eval/*.jsonl`` checks the recorded halves; ``--write`` records
them (after adding questions, say).

The rule:

1. Answerable questions that share a gold answer (compared without whitespace) are one
   group, transitively; where rows name their gold articles (``"gold": [{"doc",
   "article"}, …]``, ``eval/inquiry_dev.jsonl``) or gold section (``eval/civic_dev.jsonl``),
   sharing one joins them the same way. Paraphrases carry the same answer list, and two questions
   answered from the same span (``art-032`` and ``art-034`` share "대한상공회의소
   국제회의실") teach the answerer as much about each other as paraphrases do, so a
   group must never straddle the halves.
2. Each unanswerable question is a group of its own.
3. A group's key is the sha256 hex digest of its first question id (in file order).
   Answerable groups sorted by key go tune, report, tune, …; unanswerable groups
   likewise, on their own. A set labelled only with kinds (``eval/kind_dev.jsonl``:
   no answers, each question its own group) alternates within each kind instead.

Why alternation and not the parity of the hash's first byte: parity put 3 of the
article set's 12 unanswerable questions in ``report``, too few for abstention recall
to mean anything. Alternating within each kind gives both halves half of each kind
whatever the ids, while the hash keeps the order unrelated to topic or file position.
The price: a question added to a set shifts every later group of its kind (in key order)
to the other half, so growing a set moves looked-at ``tune`` questions into ``report``;
a set that grows needs its new questions kept apart (a new file, say) rather than
``--write`` over the old halves.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Mapping, Sequence, TypeVar

from rag.dialogue_eval import is_dialogue_set, load_dialogues, part_mismatches
from rag.evaluation import PARTS, EvalQuestion, load_eval_set
from rag.jsonl import read_jsonl

Q = TypeVar("Q")
#: ``rag eval --part``: one half, or every question.
PART_CHOICES: tuple[str, ...] = (*PARTS, "all")


def _key(question_id: str) -> str:
    return hashlib.sha256(question_id.encode("utf-8")).hexdigest()


def _fold(answer: str) -> str:
    return "".join(unicodedata.normalize("NFC", answer).split())


def gold_articles(path: Path) -> dict[str, tuple[str, ...]]:
    """Each question's gold sections as ``doc#section`` keys (else none): from a ``gold``
    list of ``{"doc", "article"}`` (``eval/inquiry_dev.jsonl``) or one ``gold`` object
    ``{"doc_id", "section"}`` (``eval/civic_dev.jsonl``, whose passage questions have no
    answer strings to group by)."""
    def keys(gold) -> tuple[str, ...]:
        if isinstance(gold, dict):
            return (f"{gold['doc_id']}#{gold['section']}",)
        return tuple(f"{g['doc']}#{g['article']}" for g in gold or ())

    return {str(row["id"]): keys(row.get("gold")) for _, row in read_jsonl(path)}


def groups(questions: Sequence[EvalQuestion],
           articles: Mapping[str, Sequence[str]] | None = None) -> list[list[str]]:
    """The ids of each group (rules 1 and 2 above), each in file order.

    ``articles`` maps an id to its gold articles (:func:`gold_articles`); questions sharing
    one are joined like questions sharing an answer.
    """
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate question ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    # Union-find over answerable questions, joined through each gold answer they share.
    parent = {i: i for i in ids}

    def root(i: str) -> str:
        while parent[i] != i:
            parent[i] = i = parent[parent[i]]
        return i

    first_with: dict[str, str] = {}
    articles = articles or {}
    for q in questions:
        keys = [_fold(a) for a in q.answers] + [f"article:{a}" for a in articles.get(q.id, ())]
        for key in (keys if q.answerable else ()):
            other = first_with.setdefault(key, q.id)
            a, b = root(q.id), root(other)
            if a != b:
                # The earlier question stays the root, so a group's first id is its root.
                parent[max(a, b, key=ids.index)] = min(a, b, key=ids.index)
    members: dict[str, list[str]] = {}
    for i in ids:
        members.setdefault(root(i), []).append(i)
    return list(members.values())


def assign_parts(questions: Sequence[EvalQuestion], articles: Mapping[str, Sequence[str]] | None = None,
                 strata: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each question id's half under the rule of this module (``articles`` as for :func:`groups`).

    The halves alternate within answerable and within unanswerable groups, or within each
    stratum of ``strata`` (question id → label) when given: the kind a question of
    ``eval/kind_dev.jsonl`` asks for (:func:`kind_strata`).
    """
    stratum = strata or {q.id: str(q.answerable) for q in questions}
    parts = {}
    all_groups = groups(questions, articles)
    for label in sorted(set(stratum.values())):
        label_groups = sorted((g for g in all_groups if stratum[g[0]] == label), key=lambda g: _key(g[0]))
        for n, group in enumerate(label_groups):
            parts.update(dict.fromkeys(group, PARTS[n % 2]))
    return parts


def kind_strata(path: Path) -> dict[str, str] | None:
    """The kind of each question of a set labelled only with kinds (rows with ``kind`` and no
    ``answers``), or ``None`` for a set with answers."""
    rows = [row for _, row in read_jsonl(path)]
    if not rows or any("answers" in row or "kind" not in row for row in rows):
        return None
    return {str(row["id"]): row["kind"] for row in rows}


def select_part(questions: Sequence[Q], part: str) -> list[Q]:
    """The questions of ``part`` (``tune``, ``report``, or ``all`` for every question); any
    question with an ``id`` and a ``part`` (an :class:`EvalQuestion`, a kind set's question)."""
    if part not in PART_CHOICES:
        raise ValueError(f"part must be one of {', '.join(PART_CHOICES)}, not {part!r}")
    if part == "all":
        return list(questions)
    unsplit = [q.id for q in questions if q.part is None]
    if unsplit:
        raise ValueError(f"{len(unsplit)} questions have no part (first: {unsplit[0]}); record the halves with "
                         "`python -m rag.splits --write SET` or evaluate with --part all")
    selected = [q for q in questions if q.part == part]
    if not selected:
        raise ValueError(f"no questions in part {part!r}")
    return selected


def mismatches(path: Path) -> list[str]:
    """Questions of ``path`` whose recorded part differs from the rule, as readable lines."""
    questions = load_eval_set(path)
    expected = assign_parts(questions, gold_articles(path), kind_strata(path))
    return [f"{path}: {q.id} has part {q.part!r}, the rule gives {expected[q.id]!r}"
            for q in questions if q.part != expected[q.id]]


def write_parts(path: Path) -> None:
    """Record the rule's part on every line of ``path``, keeping the other fields and the order."""
    expected = assign_parts(load_eval_set(path), gold_articles(path), kind_strata(path))
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    path.write_text("".join(json.dumps({**row, "part": expected[str(row["id"])]}, ensure_ascii=False) + "\n"
                            for row in rows), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.splits", description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path, help="evaluation sets (JSONL)")
    parser.add_argument("--write", action="store_true", help="record the parts instead of checking them")
    args = parser.parse_args(argv)
    problems = []
    for path in args.sets:
        if is_dialogue_set(path):  # conversations alternate by a rule of their own, recorded as written
            problems += part_mismatches(path)
            print(f"{path}: " + "; ".join(f"{p} {sum(c.part == p for c in load_dialogues(path))} conversations"
                                          for p in PARTS))
            continue
        if args.write:
            write_parts(path)
        problems += mismatches(path)
        strata = kind_strata(path)
        if strata is not None:
            counts = Counter((q.part, strata[q.id]) for q in load_eval_set(path))
            print(f"{path}: " + "; ".join(f"{p} " + ", ".join(f"{n} {kind}" for (part, kind), n in sorted(counts.items())
                                                              if part == p) for p in PARTS))
            continue
        counts = Counter((q.part, q.answerable) for q in load_eval_set(path))
        print(f"{path}: " + "; ".join(f"{p} {counts[p, True]} answerable + {counts[p, False]} unanswerable"
                                      for p in PARTS))
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
