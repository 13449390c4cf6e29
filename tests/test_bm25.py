import bm25s
import numpy as np
import pytest

from rag.bm25 import BM25, Postings
from rag.lexical import tokenize, tokenize_many

ROWS = [
    "서울AI재단 출범식이 열렸다",
    "이 재단은 2016년 설립되었다",
    "인공지능위원회를 둔다",
    "재단은 재단법인으로 설립하며 재단의 사업은 정관으로 정한다",
    "위원회는 위원장 1명을 포함한 위원으로 구성한다",
    "제7조에 따라 재단은 매년 사업계획을 세운다",
]


def test_bm25_ranks_the_matching_row_first_and_drops_non_matches():
    index = BM25.of(tokenize_many(ROWS[:3]))
    ids, scores = index.search(tokenize("재단은 언제 설립되었나"), k=10)
    assert ids[0] == 1
    assert 2 not in ids.tolist()  # shares no token with the question
    assert np.all(np.diff(scores) <= 0)


def test_bm25_handles_empty_index_empty_query_and_unknown_words():
    assert BM25.of([]).search(["재단"], 5)[0].size == 0
    index = BM25.of(tokenize_many(["재단 설립", "위원회 구성"]))
    assert index.search([], 5)[0].size == 0
    assert index.search(["없는단어"], 5)[0].size == 0
    assert index.search(["위원회"], 5)[0].tolist() == [1]


@pytest.mark.parametrize("query", ["재단은 언제 설립되었나", "위원회 위원장", "제7조 재단 사업", "재단 재단 정관"])
def test_scores_are_those_of_bm25s_lucene_default(query):
    tokens = tokenize_many(ROWS)
    reference = bm25s.BM25()
    reference.index(tokens, show_progress=False)
    query_tokens = tokenize(query)
    ids, scores = BM25.of(tokens).search(query_tokens, k=len(ROWS))
    expected = reference.get_scores(query_tokens)
    assert ids.size and np.allclose(scores, expected[ids], rtol=1e-5)
    assert set(ids.tolist()) == set(np.flatnonzero(expected > 0).tolist())


def test_scores_do_not_depend_on_how_rows_are_split_into_parts_or_on_deleted_rows():
    tokens = tokenize_many(ROWS)
    whole = BM25.of(tokens[1:])
    # Rows 1-2 in one part, a deleted row 0 with them; rows 3-5 in another, numbered first.
    first = Postings.of(tokens[:3])
    second = Postings.of(tokens[3:])
    split = BM25([(first, np.array([-1, 3, 4])), (second, np.array([0, 1, 2]))])
    order = [3, 4, 0, 1, 2]  # whole's row i is split's order[i]
    for query in ["재단 설립", "위원회", "제7조 사업계획 재단"]:
        ids, scores = whole.search(tokenize(query), k=10)
        split_ids, split_scores = split.search(tokenize(query), k=10)
        assert dict(zip([order[i] for i in ids.tolist()], scores.tolist())) == pytest.approx(
            dict(zip(split_ids.tolist(), split_scores.tolist())))


def test_postings_read_back_as_written(tmp_path):
    postings = Postings.of(tokenize_many(ROWS))
    postings.save(tmp_path / "postings.npz")
    loaded = Postings.load(tmp_path / "postings.npz")
    assert loaded.terms == postings.terms
    assert (loaded.counts != postings.counts).nnz == 0 and np.array_equal(loaded.lengths, postings.lengths)
    query = tokenize("재단 설립 사업")
    assert BM25([(loaded, np.arange(len(ROWS)))]).search(query, 5)[0].tolist() == BM25.of(tokenize_many(ROWS)).search(query, 5)[0].tolist()
