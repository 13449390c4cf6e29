"""The `rag` command end to end, in subprocesses, with the real model and a temporary index."""

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


def rag(*args, index_dir, check=True, **env):
    result = subprocess.run(
        [sys.executable, "-m", "rag", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "RAG_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1", **env}, timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"rag {args} exited {result.returncode}: {result.stderr}")
    return result


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("cli") / "index"
    report = json.loads(rag("ingest", ROOT / "corpus", "--json", index_dir=index_dir).stdout)
    assert report["added"] == ["seoul-ai-foundation"] and report["total_chunks"] > 1
    return index_dir


def test_search_json_has_offsets_and_all_scores(index_dir):
    out = json.loads(rag("search", "재단은 언제 설립되었나?", "-k", 3, "--json", index_dir=index_dir).stdout)
    assert out["query"] == "재단은 언제 설립되었나?" and len(out["results"]) == 3
    doc = json.loads(rag("docs", "show", "seoul-ai-foundation", "--json", index_dir=index_dir).stdout)
    for hit in out["results"]:
        assert doc["text"][hit["start"]:hit["end"]] == hit["text"]
        assert set(hit) == {"doc_id", "title", "start", "end", "text", "section", "score", "dense_score", "bm25_score"}
    assert any("2016년" in hit["text"] for hit in out["results"])


def test_batch_search_keeps_ids_and_order(index_dir, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "question": "출범식은 어디서 열렸나?"}\n\n{"id": 7, "question": "이사장은 누구인가?"}\n',
                     encoding="utf-8")
    lines = rag("search", "--batch", batch, "-k", 2, "--json", index_dir=index_dir).stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["id"] for r in rows] == ["a", 7]
    assert all(len(r["results"]) == 2 and r["query"] for r in rows)


def test_bad_batch_line_is_a_clear_error(index_dir, tmp_path):
    batch = tmp_path / "bad.jsonl"
    batch.write_text('{"id": "a", "question": ""}\n', encoding="utf-8")
    result = rag("search", "--batch", batch, "--json", index_dir=index_dir, check=False)
    assert result.returncode == 2 and "bad.jsonl:1" in result.stderr


def test_reingest_is_a_no_op_and_docs_list(index_dir):
    report = json.loads(rag("ingest", ROOT / "corpus", "--json", index_dir=index_dir).stdout)
    assert report["unchanged"] == ["seoul-ai-foundation"] and report["chunks_embedded"] == 0
    docs = json.loads(rag("docs", "list", "--json", index_dir=index_dir).stdout)
    assert [d["doc_id"] for d in docs] == ["seoul-ai-foundation"] and docs[0]["chunks"] > 1


def test_unknown_document_and_unsupported_file(index_dir, tmp_path):
    assert rag("docs", "show", "nope", index_dir=index_dir, check=False).returncode == 4
    odd = tmp_path / "a.pdf"
    odd.write_bytes(b"%PDF")
    result = rag("ingest", odd, index_dir=index_dir, check=False)
    assert result.returncode == 2 and ".pdf" in result.stderr


def test_delete_then_mismatched_settings_are_refused(index_dir, tmp_path):
    other = tmp_path / "other"
    (tmp_path / "n.txt").write_text("공지\n재단 설립", encoding="utf-8")
    rag("ingest", tmp_path / "n.txt", index_dir=other)
    rag("docs", "delete", "n", index_dir=other)
    assert json.loads(rag("docs", "list", "--json", index_dir=other).stdout) == []
    refused = rag("search", "재단", index_dir=index_dir, check=False, RAG_CHUNK_SIZE="300")
    assert refused.returncode == 3 and "--replace" in refused.stderr
