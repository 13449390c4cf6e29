"""``rag bench latency``: one real run, neural reader, over a one-document index (slow)."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, run_rag
from rag.dialogue_eval import questions_of


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_run_times_every_stage_and_the_reader_over_the_distinct_dev_questions(tmp_path):
    out = tmp_path / "latency.json"
    completed = run_rag("bench", "latency", "--index-dir", str(tmp_path / "index"), "--corpus", str(ROOT / "corpus" / "news"),
                        "--json", str(out), timeout=600, RAG_READER="neural")
    assert completed.returncode == 0, completed.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert json.loads(completed.stdout) == figures
    questions = {q for path in (ROOT / "eval").glob("*_dev.jsonl") for q in questions_of(path)}
    assert figures["answerer"] == "ReaderAnswerer" and figures["questions"] == len(questions)
    assert 0 < figures["read_questions"] < figures["questions"]  # passage questions are not read
    for stage in ("retrieve_ms", "answer_ms", "total_ms", "read_ms"):
        assert 0 < figures[stage]["p50"] <= figures[stage]["p95"] <= figures[stage]["p99"]
    assert figures["peak_rss_mb"] > 100
