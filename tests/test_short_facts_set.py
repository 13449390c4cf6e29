"""eval/train/civic_shorts.jsonl: short facts of the statutes, to look at and learn from only.

Checked here: the rows' shape, that every answer lies verbatim in the article the row names, and
that nothing in the file touches what the report halves measure: no answer in an article that
governs a report question (of the civic, dialogue and inquiry sets, or holds an answer of the
statute set's report half), and no wording near any report question under eval/.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT, near_report_questions

from rag.documents import Document
from rag.loaders import load_file

TRAINING = ROOT / "eval" / "train" / "civic_shorts.jsonl"
ARTICLE = re.compile(r"제\d+조(?:의\d+)?")
#: The longest answer a short fact may have.
MAX_ANSWER = 40


def _rows(path: Path = TRAINING) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@cache
def _files() -> dict[str, Document]:
    """The bundled statutes by their path under corpus/ (civic-laws/network_act.md), as inquiry gold names them."""
    folders = (ROOT / "corpus" / "laws", ROOT / "corpus" / "civic-laws")
    return {f"{path.parent.name}/{path.name}": load_file(path)
            for folder in folders for path in folder.iterdir() if path.name != "SOURCES.md"}


def _documents() -> dict[str, Document]:
    return {doc.doc_id: doc for doc in _files().values()}


def _spans(doc: Document, article: str) -> list[tuple[int, int]]:
    """Where a row's article lies: the 조's span, or every section of the 부칙."""
    if article == "부칙":
        return [(s.start, s.end) for s in doc.sections if s.label.startswith("부칙")]
    return [doc.articles[article]]


def test_rows_are_well_formed_tune_rows_with_unique_ids():
    rows = _rows()
    assert len(rows) >= 300
    assert len({row["id"] for row in rows}) == len(rows)
    assert len({"".join(row["question"].split()) for row in rows}) == len(rows)
    for row in rows:
        assert set(row) == {"id", "question", "answers", "answerable", "part", "doc_id", "article"}, row["id"]
        assert row["part"] == "tune" and row["doc_id"] in _documents(), row["id"]
        assert row["answerable"] == bool(row["answers"]) == (row["article"] is not None), row["id"]
        assert all(0 < len(answer) <= MAX_ANSWER for answer in row["answers"]), row["id"]
    assert sum(not row["answerable"] for row in rows) >= 40
    assert len({row["doc_id"] for row in rows}) == len(_documents())


@pytest.mark.parametrize("row", [row for row in _rows() if row["answerable"]], ids=lambda row: row["id"])
def test_every_answer_lies_in_the_article_the_row_names(row):
    doc = _documents()[row["doc_id"]]
    spans = _spans(doc, row["article"])
    for answer in row["answers"]:
        assert any(answer in doc.text[start:end] for start, end in spans), (row["id"], answer)


def _reported_articles() -> set[tuple[str, str]]:
    """(doc_id, 조) of every report question's gold, and the AI acts' 조 holding a statute report answer."""
    out: set[tuple[str, str]] = set()

    def add(doc_id: str | None, section: str | None) -> None:
        if doc_id and section and (match := ARTICLE.match(section)):
            out.add((doc_id, match.group(0)))

    for row in _rows(ROOT / "eval" / "civic_dev.jsonl"):
        if row["part"] == "report" and row["gold"]:  # unanswerable rows have no gold
            add(row["gold"]["doc_id"], row["gold"]["section"])
    for row in _rows(ROOT / "eval" / "dialogue_dev.jsonl"):
        if row["part"] == "report":
            for turn in row["turns"]:
                if turn["gold"]:
                    add(turn["gold"]["doc_id"], turn["gold"]["section"])
    for row in _rows(ROOT / "eval" / "inquiry_dev.jsonl"):
        if row["part"] == "report":
            for gold in row["gold"]:
                doc = _files().get(gold["doc"])  # the lease acts of eval/inquiry_corpus are not bundled
                add(doc and doc.doc_id, gold["article"])
    for row in _rows(ROOT / "eval" / "statute_dev.jsonl"):
        if row["part"] == "report":
            for doc_id in ("ai-basic-act", "ai-basic-act-decree"):
                doc = _documents()[doc_id]
                for answer in row["answers"]:
                    for found in re.finditer(re.escape(answer), doc.text):
                        section = doc.section_at(found.start())
                        add(doc_id, section.label if section else None)
    return out


def test_no_answer_lies_in_an_article_a_report_question_is_about():
    reported = _reported_articles()
    assert len({doc_id for doc_id, _ in reported}) >= 15  # every set's report gold was found
    shared = [row["id"] for row in _rows() if row["answerable"] and (row["doc_id"], row["article"]) in reported]
    assert shared == []


def test_no_row_is_a_near_copy_of_a_report_question():
    """Against every report half under eval/ (turns of conversations included): a character
    similarity of 0.6 or more (difflib, whitespace removed) kept it out of the file."""
    assert near_report_questions({row["id"]: row["question"] for row in _rows()}) == []
