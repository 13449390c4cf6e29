import numpy as np

from rag.chunking import Chunker, index_text
from rag.documents import Document
from rag.index import Index, IndexedChunk, Manifest
from rag.lexical import tokenize_many
from rag.retrieval import Retriever, reciprocal_rank_fusion


def test_rrf_rewards_agreement_between_rankings():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 4]], rrf_k=60)
    ids = [i for i, _ in fused]
    assert ids[0] == 1  # ranks 1 and 2
    assert ids.index(3) < ids.index(2)  # 3 is in both lists, 2 in one
    assert set(ids) == {1, 2, 3, 4}
    assert fused[0][1] == 1 / 61 + 1 / 62


def test_rrf_single_ranking_keeps_order_and_empty_is_empty():
    assert [i for i, _ in reciprocal_rank_fusion([[5, 4, 9], []], rrf_k=1)] == [5, 4, 9]
    assert reciprocal_rank_fusion([[], []], rrf_k=60) == []


def _index(embedder, texts):
    docs = {f"d{i}": Document(doc_id=f"d{i}", title=f"문서 {i}", text=t) for i, t in enumerate(texts)}
    chunker = Chunker()
    pairs = [(doc, c) for doc in docs.values() for c in chunker.split(doc)]
    bodies = [index_text(d, c) for d, c in pairs]
    chunks = [IndexedChunk(c, toks) for (_, c), toks in zip(pairs, tokenize_many(bodies))]
    manifest = Manifest(model_id=embedder.model_id, model_fingerprint=embedder.fingerprint, dim=embedder.dim,
                        chunker={})
    return Index.build(manifest, docs, chunks, embedder.encode_passages(bodies))


def test_modes_report_their_own_scores(fake_embedder):
    index = _index(fake_embedder, ["이 재단은 2016년 설립되었다.", "위원회는 위원장 1명을 둔다.", "출범식은 오후 2시에 열렸다."])
    retriever = Retriever(index, fake_embedder)
    hybrid = retriever.search("재단 설립 연도", k=3)
    assert hybrid[0].chunk.doc_id == "d0"
    assert hybrid[0].dense_score is not None and hybrid[0].bm25_score is not None
    assert all(h.bm25_score is None for h in retriever.search("재단 설립", k=3, mode="dense"))
    bm25 = retriever.search("재단 설립", k=3, mode="bm25")
    assert [h.chunk.doc_id for h in bm25] == ["d0"]
    assert all(h.dense_score is None for h in bm25)
    assert np.isclose(bm25[0].score, bm25[0].bm25_score)


def test_k_larger_than_index_and_empty_index(fake_embedder):
    index = _index(fake_embedder, ["재단 설립"])
    assert len(Retriever(index, fake_embedder).search("재단", k=50)) == 1
    empty = _index(fake_embedder, [])
    assert Retriever(empty, fake_embedder).search("재단", k=5) == []


def test_rrf_weights_scale_each_ranking():
    fused = dict(reciprocal_rank_fusion([[1], [2]], rrf_k=5, weights=[1.0, 2.0]))
    assert fused == {2: 2 / 6, 1: 1 / 6}


def test_candidates_hold_both_lists_and_the_cosine_of_every_row(fake_embedder):
    texts = ["이 재단은 2016년 설립되었다.", "위원회는 위원장 1명을 둔다.", "출범식은 오후 2시에 열렸다."]
    index = _index(fake_embedder, texts)
    retriever = Retriever(index, fake_embedder)
    found = retriever.candidates("재단 설립", depth=1)
    assert len(found.dense) == 1 and found.depth == 1
    assert [row for row, _ in found.bm25] == [0]
    vector = fake_embedder.encode_query("재단 설립")
    embeddings = index.embeddings()
    # A row only one list holds still gets its cosine, the same the dense search would give.
    for row in {row for row, _ in found.dense + found.bm25}:
        assert np.isclose(found.cosine[row], float(embeddings[row] @ vector), atol=1e-5)
    assert np.allclose(index.vectors_of([2, 0]), embeddings[[2, 0]])
    assert index.vectors_of([]).shape == (0, index.manifest.dim)
    units = retriever.search_articles("재단 설립", k=5)
    assert units and all(len(unit.rows) == 1 and unit.article is None for unit in units)
