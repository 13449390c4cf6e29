"""eval/inquiry_dev.jsonl: citizens' inquiries with the governing statute articles as gold, and
eval/train/inquiries.jsonl, inquiries in its form to learn from only.

Checked here: the files' shape, that every gold article is a real 조 heading of its document
(the civic statutes bundled in corpus/civic-laws/, the lease acts in eval/inquiry_corpus/), that
the recorded halves follow rag/splits.py, whose joining of questions through shared gold
articles is tested on its own below, and that no training inquiry is governed by an article of
a report question or comes near a report question's wording.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT, near_report_questions

from rag.evaluation import EvalQuestion, load_eval_set
from rag.splits import assign_parts, gold_articles, groups, mismatches

SET = ROOT / "eval" / "inquiry_dev.jsonl"
TRAINING = ROOT / "eval" / "train" / "inquiries.jsonl"
INQUIRY_CORPUS = ROOT / "eval" / "inquiry_corpus"
# A gold ``doc`` is relative to one of these roots; its first path part picks the root.
ROOTS = {"civic-laws": ROOT / "corpus" / "civic-laws", "inquiry_corpus": INQUIRY_CORPUS}
ARTICLE_LABEL = re.compile(r"^제\d+조(?:의\d+)?$")
ARTICLE_HEADING = re.compile(r"^#{1,6}\s*(제\d+조(?:의\d+)?)\s*(\(.*\))?\s*$")


def _rows(path: Path = SET) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _article_text(path: Path, article: str) -> str:
    """The text of one 조 of a statute: from its heading to the next heading."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(n for n, line in enumerate(lines) if (m := ARTICLE_HEADING.match(line)) and m.group(1) == article)
    end = next((n for n in range(start + 1, len(lines)) if lines[n].lstrip().startswith("#")), len(lines))
    return "\n".join(lines[start:end])


@cache
def _articles(path: Path) -> dict[str, bool]:
    """The 조 headings of a statute in the legalize-kr layout, before its 부칙: label → has a title.

    A heading without a title is a deleted 조 (``##### 제8조`` over ``삭제``), never a gold answer.
    """
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"^#{1,6}\s*부칙", line):
            break
        match = ARTICLE_HEADING.match(line)
        if match:
            found[match.group(1)] = match.group(2) is not None
    return found


def test_the_set_parses_with_unique_ids_and_the_documented_fields():
    rows = _rows()
    assert len(rows) >= 150
    ids = [row["id"] for row in rows]
    assert len(set(ids)) == len(ids)
    assert ids == [f"inq-{n:03d}" for n in range(1, len(rows) + 1)]
    for row in rows:
        assert set(row) == {"id", "question", "gold", "answerable", "part"}, row["id"]
        assert isinstance(row["question"], str) and len(row["question"]) >= 20, row["id"]
        assert row["part"] in ("tune", "report"), row["id"]
        assert row["answerable"] is bool(row["gold"]), f"{row['id']}: answerable iff it has gold articles"
        for gold in row["gold"]:
            assert set(gold) == {"doc", "article"}, row["id"]
            assert ARTICLE_LABEL.match(gold["article"]), f"{row['id']}: {gold['article']!r}"
            assert gold["doc"].split("/", 1)[0] in ROOTS and gold["doc"].endswith(".md"), row["id"]
        assert len({(g["doc"], g["article"]) for g in row["gold"]}) == len(row["gold"]), f"{row['id']}: repeated gold"
    # The evaluation loader reads it (no ``answers``: retrieval is judged by article, not by span).
    assert len(load_eval_set(SET)) == len(rows)


def test_every_gold_article_is_a_heading_of_its_document():
    for row in _rows():
        for gold in row["gold"]:
            root, rest = gold["doc"].split("/", 1)
            path = ROOTS[root] / rest
            assert path.is_file(), f"{row['id']}: no document {gold['doc']}"
            articles = _articles(path)
            assert gold["article"] in articles, f"{row['id']}: {gold['doc']} has no {gold['article']}"
            assert articles[gold["article"]], f"{row['id']}: {gold['doc']} {gold['article']} is deleted"


def test_the_bundled_lease_acts_are_the_archive_files_named_in_sources():
    sources = (INQUIRY_CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    files = sorted(INQUIRY_CORPUS.glob("*.md"))
    assert [f.name for f in files if f.name != "SOURCES.md"] == [
        "commercial_building_lease_protection_act.md", "housing_lease_protection_act.md"]
    for path in files:
        if path.name != "SOURCES.md":
            assert hashlib.sha256(path.read_bytes()).hexdigest() in sources, path.name


def test_parts_are_the_rule_and_halves_keep_shared_articles_together():
    assert mismatches(SET) == []
    # Checked on the raw rows too, so a wrong rule fails here: a gold article lies in one half only,
    # each half holds unanswerable questions and a fair share of the set.
    rows = _rows()
    part_of_article = {}
    for row in rows:
        for gold in row["gold"]:
            key = (gold["doc"], gold["article"])
            assert part_of_article.setdefault(key, row["part"]) == row["part"], f"{row['id']} straddles on {key}"
    for part in ("tune", "report"):
        half = [row for row in rows if row["part"] == part]
        assert len(half) >= 0.4 * len(rows), part
        assert sum(1 for row in half if not row["answerable"]) >= 4, part
    unanswerable = [row for row in rows if not row["answerable"]]
    assert 0.07 * len(rows) <= len(unanswerable) <= 0.15 * len(rows)


def _question(qid: str, answerable: bool = True) -> EvalQuestion:
    return EvalQuestion(id=qid, question=f"{qid}?", answers=(), answerable=answerable)


def test_split_joins_questions_through_shared_gold_articles_transitively(tmp_path):
    questions = [_question("a"), _question("b"), _question("c"), _question("d"), _question("u", answerable=False)]
    articles = {"a": ("x.md#제1조",), "b": ("x.md#제2조", "x.md#제1조"), "c": ("x.md#제2조",),
                "d": ("y.md#제1조",), "u": ()}
    assert groups(questions, articles) == [["a", "b", "c"], ["d"], ["u"]]
    parts = assign_parts(questions, articles)
    assert parts["a"] == parts["b"] == parts["c"] != parts["d"]
    # Without articles every question stands alone, as in the answer-span sets.
    assert groups(questions) == [["a"], ["b"], ["c"], ["d"], ["u"]]
    # The same article in another document is another article; an unanswerable question joins nothing.
    assert groups(questions[:2] + [_question("e")], {"a": ("x.md#제1조",), "b": ("z.md#제1조",),
                                                     "e": ("x.md#제1조",)}) == [["a", "e"], ["b"]]
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"id": "a", "question": "q?", "answerable": True,
                                "gold": [{"doc": "x.md", "article": "제1조"}]}) + "\n"
                    + json.dumps({"id": "b", "question": "q?", "answers": ["y"], "answerable": True}) + "\n",
                    encoding="utf-8")
    assert gold_articles(path) == {"a": ("x.md#제1조",), "b": ()}


@pytest.mark.parametrize("name", ["article_dev", "statute_dev"])
def test_answer_span_sets_split_as_before(name):
    # Their rows carry no ``gold``: the articles change nothing.
    path = ROOT / "eval" / f"{name}.jsonl"
    questions = load_eval_set(path)
    assert set(gold_articles(path).values()) == {()}
    assert assign_parts(questions, gold_articles(path)) == assign_parts(questions)
    assert mismatches(path) == []


def test_training_inquiries_parse_and_cite_real_articles_with_their_evidence():
    rows = _rows(TRAINING)
    assert len(rows) >= 150
    ids = [row["id"] for row in rows]
    assert len(set(ids)) == len(ids) and not set(ids) & {row["id"] for row in _rows()}
    for row in rows:
        assert set(row) == {"id", "question", "gold", "evidence", "answerable", "part"}, row["id"]
        assert row["part"] == "tune" and row["answerable"] is True and row["gold"], row["id"]
        assert len(row["question"]) >= 20, row["id"]
        for gold in row["gold"]:
            path = ROOTS[gold["doc"].split("/", 1)[0]] / gold["doc"].split("/", 1)[1]
            assert _articles(path).get(gold["article"]), f"{row['id']}: {gold['doc']} {gold['article']}"
        first = row["gold"][0]
        text = _article_text(ROOTS[first["doc"].split("/", 1)[0]] / first["doc"].split("/", 1)[1], first["article"])
        assert "".join(row["evidence"].split()) in "".join(text.split()), f"{row['id']}: evidence not in its article"
    assert len(load_eval_set(TRAINING)) == len(rows)


def _civic_report_articles() -> set[tuple[str, str]]:
    """The 조 of each answerable civic report question, keyed as the inquiry gold is (file name, 조)."""
    out = set()
    for line in (ROOT / "eval" / "civic_dev.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else None
        if row and row["part"] == "report" and row["answerable"] and (match := re.match(r"제\d+조(?:의\d+)?", row["gold"]["section"] or "")):
            out.add((row["gold"]["doc_id"].replace("-", "_") + ".md", match.group(0)))
    return out


def test_no_training_inquiry_is_governed_by_an_article_of_a_report_question():
    # The halves keep an article's questions together; a training inquiry on a report article would teach it.
    reported = {(gold["doc"].split("/")[-1], gold["article"]) for row in _rows() if row["part"] == "report"
                for gold in row["gold"]} | _civic_report_articles()
    shared = [row["id"] for row in _rows(TRAINING)
              if any((gold["doc"].split("/")[-1], gold["article"]) in reported for gold in row["gold"])]
    assert shared == []


def test_no_training_inquiry_is_a_near_copy_of_a_report_question():
    """Against every report half under eval/ (turns of conversations included): a character
    similarity of 0.6 or more (difflib, whitespace removed) kept it out of the file."""
    assert near_report_questions({row["id"]: row["question"] for row in _rows(TRAINING)}) == []