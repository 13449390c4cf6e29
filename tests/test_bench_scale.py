import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

from bench.scale import StageClock, SyntheticPassages, main, stages, statute_documents
from conftest import ROOT
from rag.documents import Document
from rag.pipeline import Pipeline
from rag.settings import Settings

LEASE_ACTS = {"주택임대차보호법": "housing_lease_protection_act.md",
              "상가건물임대차보호법": "commercial_building_lease_protection_act.md"}


def _archive(folder: Path) -> Path:
    """A statutes archive in the statutes-kr layout holding the two lease acts (copied from it)."""
    path = folder / "statutes.tar.xz"
    with tarfile.open(path, "w:xz") as tar:
        for name, file in LEASE_ACTS.items():
            tar.add(ROOT / "eval" / "inquiry_corpus" / file, arcname=f"kr/{name}/법률.md")
    return path


def test_statutes_are_read_from_the_archive_by_name(tmp_path):
    documents = statute_documents(_archive(tmp_path), tmp_path / "out")
    assert [d.doc_id for d in documents] == sorted(LEASE_ACTS)
    assert all(d.kind == "statute" and d.sections for d in documents)


def test_stages_end_near_each_size_and_the_last_takes_the_rest(tmp_path, fake_embedder):
    pipeline = Pipeline(Settings(index_dir=tmp_path / "index"), fake_embedder)
    documents = [Document(f"d{n}", "가", "위원회는 위원장 1명을 둔다. " * 60) for n in range(12)]
    chunks = len(pipeline.chunker.split(documents[0]))
    batches = stages(documents, pipeline.chunker, 2, [3 * chunks + 1, 8 * chunks])
    # the corpus first; then up to the first stage that reaches each size; then the rest
    assert [len(b) for b in batches] == [2, 2, 4, 4]
    assert [d for b in batches for d in b] == documents


def test_synthetic_passages_are_unit_vectors_fixed_by_the_text_and_queries_stay_real(fake_embedder):
    embedder = SyntheticPassages(fake_embedder)
    first = embedder.encode_passages(["가", "나", "가"])
    assert first.shape == (3, fake_embedder.dim) and np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(first[0], first[2]) and not np.array_equal(first[0], first[1])
    assert not np.array_equal(first[:1], fake_embedder.encode_passages(["가"]))
    embedder.synthetic = False
    assert np.array_equal(embedder.encode_passages(["가"]), fake_embedder.encode_passages(["가"]))
    assert np.array_equal(embedder.encode_query("가"), fake_embedder.encode_query("가"))


def test_the_stage_clock_adds_up_the_time_of_each_stage(monkeypatch):
    now = iter([0.0, 1.0, 3.0, 3.5, 4.0])
    monkeypatch.setattr("bench.scale.time.perf_counter", lambda: next(now))
    clock = StageClock()  # 0.0
    clock("chunking", 1, 2)  # 1.0: chunking starts
    clock("chunking", 2, 2)
    clock("embedding", 1, 1)  # 3.0
    clock("chunking", 1, 1)  # 3.5
    clock.close()  # 4.0
    assert clock.seconds == {"chunking": 2.5, "embedding": 0.5}


def _run(tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / "scale.json"
    assert main(["--statutes", str(_archive(tmp_path)), "--corpus", str(ROOT / "corpus" / "news"),
                 "--sizes", "40", "--questions", "5", "--rounds", "1", "--json", str(out), *extra]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def _check_store(rows: list[dict]) -> None:
    assert len(rows) == 3 and rows[0]["documents"] == 1 and rows[-1]["documents"] == 3
    assert rows[0]["chunks"] < rows[1]["chunks"] < rows[2]["chunks"]
    for row in rows:
        assert row["bytes"] > 0 and row["ingest"]["chunks_per_second"] > 0
        assert {"tokenising", "analysing", "writing"} <= set(row["ingest"]["stages_s"])
        assert set(row["search_ms"]) == {"dense", "bm25", "hybrid"}
        assert all(0 < figures["p50"] <= figures["p99"] for figures in row["search_ms"].values())
        assert row["write_ms"]["add_ms"]["p50"] > 0


@pytest.mark.slow
def test_a_small_scale_run_measures_every_stage_and_serves_it(tmp_path):
    result = _run(tmp_path, "--load-seconds", "2")
    assert set(result["stores"]) == {"embedded"} and "synthetic" in result["vectors"]
    rows = result["stores"]["embedded"]
    _check_store(rows)
    serve = rows[-1]["serve"]
    assert serve["servers"] == 1 and serve["ask@16"]["requests"] > 0 and serve["ask@16"]["errors"] == 0
    assert serve["mixed@16"]["errors"] == 0 and serve["mixed@16"]["writes"]["stale_reads"] == 0


@pytest.mark.slow
@pytest.mark.database
def test_a_small_scale_run_in_postgresql(tmp_path, database_dsn):
    result = _run(tmp_path, "--load-seconds", "0", "--dsn", database_dsn)
    assert set(result["stores"]) == {"embedded", "postgresql"}
    _check_store(result["stores"]["postgresql"])
    assert [row["chunks"] for row in result["stores"]["postgresql"]] == [
        row["chunks"] for row in result["stores"]["embedded"]]


def test_without_the_archive_it_says_so_and_skips(tmp_path, capsys):
    assert main(["--statutes", str(tmp_path / "missing.tar.xz")]) == 0
    assert "skipped: the statutes archive is not at" in capsys.readouterr().err
