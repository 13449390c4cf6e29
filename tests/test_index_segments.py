"""Segments: a write adds what it changes, and searches see the same index a fresh build would."""

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.documents import Document
from rag.index import IndexMismatchError, IndexStore
from rag.index.generation import MAX_SEGMENTS
from rag.pipeline import Pipeline
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TOPICS = ["재단은 2016년 설립되었다", "위원회는 위원장 1명을 둔다", "본부는 서울에 있다", "센터는 2030년 문을 열었다",
          "협회는 회원으로 구성한다", "지원단은 대전에 있다", "연구원은 인공지능 안전을 연구한다", "기금은 정부 출연금으로 조성한다"]
QUERIES = ["재단 설립", "위원장", "서울 본부", "인공지능 안전 연구", "정부 출연금 기금", "대전 지원단 회원"]


def _pipeline(folder: Path, embedder) -> Pipeline:
    return Pipeline(Settings(index_dir=folder), embedder)


def _doc(n: int, version: int = 0) -> Document:
    text = f"제{n}조 {TOPICS[n % len(TOPICS)]}. 개정 {version}회. " + TOPICS[(n * 3 + version) % len(TOPICS)] + "."
    return Document(doc_id=f"d{n}", title=f"문서 {n}", text=text)


def _results(pipeline: Pipeline) -> list:
    return [[(h.chunk, round(h.score, 5), h.dense_score and round(h.dense_score, 5), h.bm25_score and round(h.bm25_score, 5))
             for h in pipeline.search(query, k=8, mode=mode)]
            for query in QUERIES for mode in ("hybrid", "dense", "bm25")]


def _fresh_build(folder: Path, embedder, documents) -> Pipeline:
    fresh = _pipeline(folder, embedder)
    fresh.add_documents(list(documents))
    return fresh


def test_search_after_segment_writes_equals_a_fresh_build(tmp_path, fake_embedder):
    pipeline = _pipeline(tmp_path / "segments", fake_embedder)
    pipeline.add_documents([_doc(n) for n in range(6)])
    for n in range(6, 10):
        pipeline.add_documents([_doc(n)])
    pipeline.add_documents([_doc(2, version=1), _doc(7, version=1)])  # updates: new segment, old rows deleted
    pipeline.delete_document("d4")
    pipeline.delete_document("d8")
    index = pipeline.index
    assert len(index.segments) > 2 and any(index.deleted.values())
    # A fresh build of the same documents in the same order numbers the chunks alike.
    fresh = _fresh_build(tmp_path / "fresh", fake_embedder, index.documents.values())
    assert len(fresh.index.segments) == 1
    assert _results(pipeline) == _results(fresh)
    reopened = _pipeline(tmp_path / "segments", fake_embedder)
    assert _results(reopened) == _results(fresh)


def test_a_write_adds_one_segment_and_leaves_the_others_untouched(tmp_path, fake_embedder):
    pipeline = _pipeline(tmp_path / "index", fake_embedder)
    pipeline.add_documents([_doc(n) for n in range(4)])
    [first] = pipeline.index.segments
    folder = tmp_path / "index" / "segments" / first.name
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}
    pipeline.add_documents([_doc(4)])
    pipeline.delete_document("d1")
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()} == before
    old, new = pipeline.index.segments
    assert old is first and set(new.documents) == {"d4"}
    assert pipeline.index.deleted == {first.name: frozenset({"d1"}), new.name: frozenset()}
    assert set(pipeline.index.documents) == {"d0", "d2", "d3", "d4"}


def test_segments_are_merged_as_they_multiply_and_by_optimize(tmp_path, fake_embedder):
    pipeline = _pipeline(tmp_path / "index", fake_embedder)
    pipeline.add_documents([_doc(n) for n in range(8)])
    for n in range(8, 8 + MAX_SEGMENTS + 3):
        pipeline.add_documents([_doc(n)])
        assert len(pipeline.index.segments) <= MAX_SEGMENTS
    expected, before = _results(pipeline), len(pipeline.index.segments)
    assert before > 1 and pipeline.optimize() == (before, 1)
    assert len(pipeline.index.segments) == 1 and not any(pipeline.index.deleted.values())
    assert _results(pipeline) == expected
    # Only segments the kept generations list stay on disk.
    store = tmp_path / "index"
    listed = {s["name"] for g in store.glob("gen-*") for s in json.loads((g / "manifest.json").read_text())["segments"]}
    assert {p.name for p in (store / "segments").iterdir()} == listed


def test_a_segment_mostly_deleted_is_rewritten_without_its_deleted_chunks(tmp_path, fake_embedder):
    pipeline = _pipeline(tmp_path / "index", fake_embedder)
    pipeline.add_documents([_doc(n) for n in range(4)])
    pipeline.add_documents([_doc(4)])
    [first, _] = pipeline.index.segments
    for n in range(3):
        pipeline.delete_document(f"d{n}")
    assert first not in pipeline.index.segments  # 3 of 4 deleted: rewritten
    assert sum(len(s.chunks) for s in pipeline.index.segments) == len(pipeline.index.chunks)
    assert set(pipeline.index.documents) == {"d3", "d4"}


def test_an_index_of_the_earlier_format_is_refused_then_rebuilt_with_replace(tmp_path, fake_embedder):
    folder = tmp_path / "index"
    _pipeline(folder, fake_embedder).add_documents([_doc(0)])
    manifest_path = IndexStore(folder).current() / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format"] = 1
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="index format 1.*rag ingest corpus/ --replace"):
        _pipeline(folder, fake_embedder)
    rebuilt = Pipeline(Settings(index_dir=folder), fake_embedder, rebuild=True)
    rebuilt.add_documents([_doc(1)], replace=True)
    assert set(_pipeline(folder, fake_embedder).index.documents) == {"d1"}


WRITER = """
import json, sys
sys.path.insert(0, sys.argv[2])
from conftest import CharNgramEmbedder
from rag.documents import Document
from rag.lexical import tokenize_many
from rag.pipeline import Pipeline
from rag.settings import Settings

pipeline = Pipeline(Settings(index_dir=sys.argv[1]), CharNgramEmbedder())
ids = sorted(pipeline.index.documents, key=lambda d: int(d[1:]))
n = int(ids[-1][1:]) + 1 if ids else 0
tokenize_many(["준비"])  # the analyser loads before the kills start
print("ready", flush=True)
while True:
    doc = Document(doc_id=f"d{n}", title=f"문서 {n}", text=f"문서 d{n}의 본문. " * (1 + n % 5))
    ids.append(doc.doc_id)
    print("will", json.dumps(sorted(ids)), flush=True)
    pipeline.add_documents([doc])
    print("done", flush=True)
    if len(ids) > 6:
        drop = ids.pop(0)
        print("will", json.dumps(sorted(ids)), flush=True)
        pipeline.delete_document(drop)
        print("done", flush=True)
    n += 1
"""


@pytest.mark.slow
def test_a_writer_killed_at_random_points_leaves_the_previous_or_the_new_state(tmp_path):
    """A writer adding and deleting documents is killed 24 times at random moments (at least 20
    during a write); each time the index opens whole, holding the documents of its last commit or of the one in flight."""
    folder = tmp_path / "index"
    rng = random.Random(7)
    previous: list[str] = []
    during = 0
    for _ in range(24):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(folder), str(ROOT / "tests")], cwd=ROOT,
                                  stdout=subprocess.PIPE, text=True)
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.4))
        writer.send_signal(signal.SIGKILL)
        # Only whole lines: the kill may cut the last one short (printed, not yet written in full).
        lines = writer.communicate()[0].split("\n")[:-1]
        states = [json.loads(line[5:]) for line in lines if line.startswith("will ")]
        if not states:
            allowed = [previous]
        elif [line for line in lines if line][-1] == "done":
            allowed = [states[-1]]
        else:  # killed during a write: before it or after it
            during += 1
            allowed = [states[-2] if len(states) > 1 else previous, states[-1]]
        index = IndexStore(folder).load()
        held = sorted(index.documents) if index else []
        assert held in allowed
        if index:
            assert {c.chunk.doc_id for c in index.chunks} == set(held)
            assert all(c.chunk.doc_id + "의" in c.chunk.text for c in index.chunks)
            assert index.manifest.counts == {"documents": len(held), "chunks": len(index.chunks)}
        previous = held
    assert during >= 20, f"only {during} of 24 kills landed during a write"
    assert len(previous) >= 6  # the writes went on across kills
