import numpy as np

from bench.writes import NOTICE, grown, write_rounds
from rag.documents import Document
from rag.pipeline import Pipeline
from rag.settings import Settings


def _pipeline(folder, embedder):
    return Pipeline(Settings(index_dir=folder, answer_cache=0), embedder)


def test_a_grown_index_repeats_documents_under_new_ids_with_their_vectors(tmp_path, fake_embedder):
    pipeline = _pipeline(tmp_path / "index", fake_embedder)
    pipeline.add_documents([Document("a", "가", "재단은 2016년 설립되었다."), Document("b", "나", "위원회는 위원장 1명을 둔다.")])
    big = grown(pipeline.index, 5)
    assert len(big.chunks) == 6 and len(big.segments) == 1
    assert set(big.documents) == {"a", "b", "a~1", "b~1", "a~2", "b~2"}
    assert big.documents["a~2"].text == pipeline.index.documents["a"].text
    assert np.array_equal(big.embeddings(), np.concatenate([pipeline.index.embeddings()] * 3))
    assert [h.chunk.doc_id for h in pipeline.search("재단 설립", k=1, mode="bm25")] == ["a"]


def test_write_rounds_add_and_delete_the_notice_and_leave_the_index_as_it_was(tmp_path, fake_embedder):
    pipeline = _pipeline(tmp_path / "index", fake_embedder)
    pipeline.add_documents([Document("a", "가", "재단은 2016년 설립되었다.")])
    figures = write_rounds(pipeline, 3)
    assert set(figures) == {"add_ms", "delete_ms", "chunks", "segments"}
    assert figures["add_ms"]["p50"] > 0 and figures["delete_ms"]["max"] >= figures["delete_ms"]["p50"]
    assert NOTICE.doc_id not in pipeline.index.documents and set(pipeline.index.documents) == {"a"}
