"""eval/civic_dev.jsonl: civic questions over the AI statutes and the civic-laws corpus, and
eval/train/civic_passages.jsonl, questions in its form to learn from only.

Checked here: both files parse, the mix of answer kinds meets its floors, every gold
phrase and short answer is verbatim inside the gold section of its document (loaded
through the project's loader from corpus/), the recorded halves follow rag.splits
with the gold section as each answerable question's group key, and no training question
shares a gold section with a question of the report half.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from rag.evaluation import PARTS, load_eval_set
from rag.loaders import load_path
from rag.splits import mismatches

from conftest import ROOT, near_report_questions

SET = ROOT / "eval" / "civic_dev.jsonl"
TRAINING = ROOT / "eval" / "train" / "civic_passages.jsonl"
PASSAGE_KINDS = ("definition", "purpose", "list", "duty", "reason", "passage")
KINDS = (*PASSAGE_KINDS, "short", "unanswerable")
CORPORA = ("laws", "civic-laws")


def _rows(path=SET):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def documents():
    folders = [ROOT / "corpus" / name for name in CORPORA]
    return {document.doc_id: document for folder in folders for document in load_path(folder)}


@pytest.mark.parametrize("path", [SET, TRAINING], ids=["dev", "training"])
def test_set_parses_with_unique_ids_and_well_formed_rows(path):
    rows = _rows(path)
    assert len(load_eval_set(path)) == len(rows)
    ids = [row["id"] for row in rows]
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]
    for row in rows:
        assert row["kind"] in KINDS, row["id"]
        assert row["part"] in PARTS, row["id"]
        assert row["question"].strip(), row["id"]
        if row["kind"] == "unanswerable":
            assert row["answerable"] is False and row["gold"] is None and row["answers"] == [], row["id"]
            continue
        assert row["answerable"] is True, row["id"]
        gold = row["gold"]
        assert gold["doc_id"] and gold["section"].startswith("제"), row["id"]
        if row["kind"] == "short":
            assert row["answers"] and all(a.strip() for a in row["answers"]), row["id"]
        else:
            assert row["answers"] == [], row["id"]
            assert 1 <= len(gold["key_phrases"]) <= 4 and all(p.strip() for p in gold["key_phrases"]), row["id"]


def test_mix_of_answer_kinds_meets_the_floors():
    rows = _rows()
    kinds = Counter(row["kind"] for row in rows)
    assert len(rows) >= 100
    assert sum(kinds[kind] for kind in PASSAGE_KINDS) >= 60, kinds
    assert kinds["short"] >= 20, kinds
    assert sum(1 for row in rows if not row["answerable"]) >= 20, kinds
    for kind in ("definition", "purpose", "list", "duty"):
        assert kinds[kind] >= 8, (kind, kinds)


def test_questions_spread_over_most_documents():
    docs = Counter(row["gold"]["doc_id"] for row in _rows() if row["answerable"])
    assert len(docs) >= 15, docs
    assert max(docs.values()) <= 0.15 * sum(docs.values()), docs


@pytest.mark.parametrize("path", [SET, TRAINING], ids=["dev", "training"])
def test_gold_phrases_and_answers_lie_inside_the_gold_section(documents, path):
    problems = []
    for row in _rows(path):
        if not row["answerable"]:
            continue
        gold = row["gold"]
        document = documents.get(gold["doc_id"])
        if document is None:
            problems.append(f"{row['id']}: no document {gold['doc_id']!r}")
            continue
        spans = [s for s in document.sections if s.label == gold["section"]]
        if len(spans) != 1:
            problems.append(f"{row['id']}: {len(spans)} sections labelled {gold['section']} in {gold['doc_id']}")
            continue
        span = document.text[spans[0].start : spans[0].end]
        for phrase in (*gold["key_phrases"], *row["answers"]):
            if phrase not in document.text:
                problems.append(f"{row['id']}: {phrase!r} is not in {gold['doc_id']}")
            elif phrase not in span:
                problems.append(f"{row['id']}: {phrase!r} is outside {gold['doc_id']} {gold['section']}")
    assert problems == []


def test_parts_follow_the_rule_with_the_gold_section_as_group_key():
    rows = _rows()
    assert mismatches(SET) == []
    # Checked on the raw rows too: questions answered by one section never straddle the halves.
    part_of_section = {}
    for row in rows:
        if row["answerable"]:
            key = (row["gold"]["doc_id"], row["gold"]["section"])
            assert part_of_section.setdefault(key, row["part"]) == row["part"], f"{row['id']} straddles {key}"


def test_both_halves_hold_every_kind():
    counts = Counter((row["part"], row["kind"]) for row in _rows())
    for part in PARTS:
        for kind in KINDS:
            assert counts[part, kind] >= 1, (part, kind)
        half = sum(n for (p, _), n in counts.items() if p == part)
        assert sum(counts[part, k] for k in ("unanswerable",)) >= 4, part
        assert half >= 0.4 * sum(counts.values()), part


def test_training_questions_are_all_tune_and_apart_from_the_report_half():
    training = _rows(TRAINING)
    assert len(training) >= 100
    assert {row["part"] for row in training} == {"tune"}
    assert not {row["id"] for row in training} & {row["id"] for row in _rows()}
    # A question answered by the same section teaches the ranker about the report question.
    reported = {(row["gold"]["doc_id"], row["gold"]["section"]) for row in _rows() if row["part"] == "report"
                and row["answerable"]}
    shared = [row["id"] for row in training if (row["gold"]["doc_id"], row["gold"]["section"]) in reported]
    assert shared == []


def test_no_training_question_is_a_near_copy_of_a_report_question():
    """Against every report half under eval/ (turns of conversations included): a character
    similarity of 0.6 or more (difflib, whitespace removed) kept it out of the file."""
    assert near_report_questions({row["id"]: row["question"] for row in _rows(TRAINING)}) == []