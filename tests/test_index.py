import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from rag.chunking import ChunkerConfig
from rag.documents import Document
from rag.index import IndexMismatchError, IndexStore
from rag.pipeline import Pipeline
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _pipeline(tmp_path, embedder, **overrides):
    return Pipeline(Settings(index_dir=tmp_path / "index", **overrides), embedder)


def _doc(doc_id, text):
    return Document(doc_id=doc_id, title=doc_id, text=text)


def test_commit_writes_a_generation_and_swaps_the_link(tmp_path, fake_embedder):
    pipeline = _pipeline(tmp_path, fake_embedder)
    pipeline.add_documents([_doc("a", "재단은 2016년 설립되었다.")])
    first = pipeline.store.current()
    [segment] = json.loads((first / "manifest.json").read_text(encoding="utf-8"))["segments"]
    assert (tmp_path / "index" / "segments" / segment["name"] / "vectors.faiss").exists()
    pipeline.add_documents([_doc("b", "위원회는 위원장 1명을 둔다.")])
    second = pipeline.store.current()
    assert second != first
    reloaded = IndexStore(tmp_path / "index").load()
    assert set(reloaded.documents) == {"a", "b"}
    assert sum(s.vectors.ntotal for s in reloaded.segments) == len(reloaded.chunks) == 2
    assert reloaded.manifest.counts == {"documents": 2, "chunks": 2}


def test_old_generations_are_collected(tmp_path, fake_embedder):
    pipeline = _pipeline(tmp_path, fake_embedder)
    for n in range(5):
        pipeline.add_documents([_doc(f"d{n}", f"문서 {n} 본문")])
    assert len(list((tmp_path / "index").glob("gen-*"))) == 2


def test_crash_before_swap_leaves_previous_index_whole(tmp_path, fake_embedder, monkeypatch):
    pipeline = _pipeline(tmp_path, fake_embedder)
    pipeline.add_documents([_doc("a", "재단은 2016년 설립되었다.")])
    before = pipeline.store.current()

    def crash(*args, **kwargs):
        raise OSError("simulated crash while swapping")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        pipeline.add_documents([_doc("b", "새 문서")])
    monkeypatch.undo()
    assert pipeline.store.current() == before
    assert set(IndexStore(tmp_path / "index").load().documents) == {"a"}
    # The next write succeeds and sweeps the leftovers of the failed one.
    pipeline.add_documents([_doc("c", "다음 문서")])
    assert not list((tmp_path / "index").glob(".gen-*.tmp"))
    assert set(IndexStore(tmp_path / "index").load().documents) == {"a", "c"}


def test_index_built_with_another_model_or_chunker_is_refused(tmp_path, fake_embedder):
    _pipeline(tmp_path, fake_embedder).add_documents([_doc("a", "본문")])
    with pytest.raises(IndexMismatchError, match="rag ingest corpus/ --replace"):
        _pipeline(tmp_path, fake_embedder, chunk_size=300)

    class OtherModel(type(fake_embedder)):
        model_id = "test:other"

    with pytest.raises(IndexMismatchError, match="embedding model 'test:char-bigrams'"):
        _pipeline(tmp_path, OtherModel())
    manifest = IndexStore(tmp_path / "index").load().manifest
    assert manifest.chunker == asdict(ChunkerConfig())


def test_an_index_built_another_way_is_rebuilt_only_by_a_replacing_write(tmp_path, fake_embedder):
    _pipeline(tmp_path, fake_embedder).add_documents([_doc("a", "본문"), _doc("b", "다른 본문")])

    class OtherVectors(type(fake_embedder)):
        fingerprint = "0123456789abcdef" * 4 + "+other"

    with pytest.raises(IndexMismatchError, match=r"other vectors of 'test:char-bigrams' \(.*this version makes 0123456789ab\+other\)"):
        _pipeline(tmp_path, OtherVectors())
    settings = Settings(index_dir=tmp_path / "index")
    rebuilding = Pipeline(settings, OtherVectors(), rebuild=True)
    with pytest.raises(IndexMismatchError):  # adding to it would mix vectors made two ways
        rebuilding.add_documents([_doc("c", "새 문서")])
    assert set(IndexStore(tmp_path / "index").load().documents) == {"a", "b"}  # nothing lost
    report = rebuilding.add_documents([_doc("a", "본문"), _doc("c", "새 문서")], replace=True)
    assert sorted(report.added) == ["a", "c"] and report.total_chunks == 2
    rebuilt = IndexStore(tmp_path / "index").load()
    assert set(rebuilt.documents) == {"a", "c"} and rebuilt.manifest.model_fingerprint == OtherVectors.fingerprint
    assert set(Pipeline(settings, OtherVectors()).index.documents) == {"a", "c"}  # opens as any index does


@pytest.mark.slow
def test_sigkill_during_ingest_keeps_the_old_index(tmp_path):
    """A real `rag ingest` killed while embedding: the previous index still loads."""
    index_dir = tmp_path / "index"
    env = {**os.environ, "RAG_INDEX_DIR": str(index_dir)}
    small = tmp_path / "small"
    small.mkdir()
    (small / "a.txt").write_text("첫 문서\n이 재단은 2016년 설립되었다.", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "rag", "ingest", str(small)], env=env, check=True, cwd=ROOT,
                   capture_output=True)
    before = IndexStore(index_dir).current()

    big = tmp_path / "big"
    big.mkdir()
    for n in range(60):
        (big / f"doc{n}.txt").write_text(f"문서 {n}\n" + "서울AI재단은 다양한 사업을 추진한다. " * 40, encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "rag", "ingest", str(big)], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # Without a terminal the CLI logs each stage as a line; kill once embedding is under way.
    for line in process.stderr:
        if line.startswith("embedding"):
            time.sleep(1.0)
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "ingest finished before it could be killed"
    assert IndexStore(index_dir).current() == before
    assert set(IndexStore(index_dir).load().documents) == {"a"}


def test_index_whose_bm25_tokens_came_from_another_tokenizer_is_refused(tmp_path, fake_embedder):
    _pipeline(tmp_path, fake_embedder).add_documents([_doc("a", "본문")])
    generation = IndexStore(tmp_path / "index").current()
    manifest_path = generation / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["tokenizer"].startswith("kiwipiepy-")
    del manifest["tokenizer"]  # as an index written before tokenizers were recorded
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="BM25 tokens of an earlier tokenizer"):
        _pipeline(tmp_path, fake_embedder)


def test_a_write_reads_the_index_again_only_when_another_process_committed(tmp_path, fake_embedder, monkeypatch):
    from rag.index import Index

    first, second = _pipeline(tmp_path, fake_embedder), _pipeline(tmp_path, fake_embedder)
    reads = []
    real_load = Index.load.__func__
    monkeypatch.setattr(Index, "load", classmethod(lambda cls, d, *rest: reads.append(d) or real_load(cls, d, *rest)))
    first.add_documents([_doc("a", "재단은 2016년 설립되었다.")])
    first.add_documents([_doc("b", "위원회는 위원장 1명을 둔다.")])
    first.delete_document("b")
    assert reads == []  # the index it serves is the committed one: nothing to read
    second.add_documents([_doc("c", "센터는 2030년 문을 열었다.")])  # its view is stale: it reads
    assert len(reads) == 1 and set(second.index.documents) == {"a", "c"}
    first.add_documents([_doc("d", "본부는 서울에 있다.")])  # so is first's now: nothing is lost
    assert len(reads) == 2 and set(first.index.documents) == {"a", "c", "d"}
    assert set(IndexStore(tmp_path / "index").load().documents) == {"a", "c", "d"}


def test_a_saved_segment_reads_back_and_saves_again_byte_for_byte(tmp_path, fake_embedder):
    from rag.index import Segment

    pipeline = _pipeline(tmp_path, fake_embedder)
    pipeline.add_documents([_doc("a", "재단은 2016년 설립되었다.\n위원회는 위원장 1명을 둔다."), _doc("b", "본문 {\"따옴표\"}")])
    [segment] = pipeline.index.segments
    written = tmp_path / "index" / "segments" / segment.name
    again = tmp_path / "again"
    again.mkdir()
    loaded = Segment.load(written)
    loaded.save(again)
    for name in ("documents.jsonl", "chunks.jsonl", "vectors.faiss", "postings.npz"):
        assert (again / name).read_bytes() == (written / name).read_bytes()
    assert [d.to_dict() for d in loaded.documents.values()] == [d.to_dict() for d in pipeline.index.documents.values()]
    assert [json.loads(d.json_line) for d in loaded.documents.values()] == [d.to_dict() for d in loaded.documents.values()]


def test_a_reload_parses_only_what_another_process_changed(tmp_path, fake_embedder):
    writer = _pipeline(tmp_path, fake_embedder)
    writer.add_documents([_doc("a", "재단은 2016년 설립되었다."), _doc("b", "위원회는 위원장 1명을 둔다."),
                          _doc("c", "본부는 서울에 있다."), _doc("e", "지원단은 대전에 있다."), _doc("f", "협회는 회원으로 구성한다.")])
    reader = _pipeline(tmp_path, fake_embedder)
    before = reader.index
    writer.add_documents([_doc("d", "센터는 2030년 문을 열었다."), _doc("c", "본부는 부산으로 옮겼다.")])
    writer.delete_document("b")
    reader.reload()
    after, fresh = reader.index, IndexStore(tmp_path / "index").load()
    assert after.documents["a"] is before.documents["a"]  # unchanged: the object already held
    assert after.documents["c"] is not before.documents["c"] and "부산" in after.documents["c"].text
    assert [d.to_dict() for d in after.documents.values()] == [d.to_dict() for d in fresh.documents.values()]
    assert [(c.chunk, c.tokens) for c in after.chunks] == [(c.chunk, c.tokens) for c in fresh.chunks]
    assert [(h.chunk, h.score) for h in reader.search("본부 부산", k=4)] == \
        [(h.chunk, h.score) for h in _pipeline(tmp_path, fake_embedder).search("본부 부산", k=4)]
