"""The query encoder fine-tuned for article search: learning, its weights, their assembly, serving."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag.article_encoder import article_queries
from rag.article_encoder import model as encoder_model
from rag.article_encoder import train
from rag.article_encoder.model import ArticleEncoder, ensure_article_encoder, installed, save_weights
from rag.articles import ARTICLE_WEIGHTS_FILE, ENCODER_WEIGHTS_FILE, default_article_weights
from rag.embedding.cache import ensure_bundled_model
from rag.embedding.onnx_encoder import OnnxEncoder
from rag.query_adapter import QueryAdapter
from rag.retrieval import Retriever
from rag.settings import BUNDLED_MODEL, Settings

PASSAGES = ["임대인은 임차인에게 보증금을 돌려주어야 한다.", "개인정보처리자는 정보주체의 동의를 받아야 한다.",
            "공공기관은 정보공개 청구를 받은 날부터 10일 이내에 공개 여부를 결정하여야 한다.",
            "누구든지 타인의 저작물을 허락 없이 복제하여서는 아니 된다."]
QUESTIONS = ["집주인이 전세금을 안 돌려줘요", "회사가 제 정보를 마음대로 써도 되나요",
             "구청에 자료를 달라고 했는데 언제까지 답을 줘야 하나요", "남의 글을 베껴도 되나요"]
TINY = train.EncoderTrainConfig(learning_rate=1e-4, epochs=2, batch_size=2, folds=2)


@pytest.fixture(scope="module")
def base_dir():
    return ensure_bundled_model()


@pytest.fixture(scope="module")
def passages(base_dir):
    return OnnxEncoder(base_dir).encode(PASSAGES, "passage: ")


def _margins(queries: np.ndarray, passages: np.ndarray) -> np.ndarray:
    """Each question's cosine to its own passage less its best cosine to another."""
    sims = queries @ passages.T
    own = np.diag(sims)
    return own - np.where(np.eye(len(own), dtype=bool), -np.inf, sims).max(axis=1)


def test_article_search_takes_the_adapter_unless_the_encoder_is_asked_for_and_fits():
    assert isinstance(article_queries(Settings(), BUNDLED_MODEL, 384), QueryAdapter)  # the default
    assert article_queries(Settings(query_adapter=False), BUNDLED_MODEL, 384) is None
    assert article_queries(Settings(article_encoder=True), "another-model", 384) is None
    assert Retriever(None, None).articles.weights == default_article_weights(ARTICLE_WEIGHTS_FILE)
    encoder = default_article_weights(ENCODER_WEIGHTS_FILE)
    assert encoder.source == "learned" and encoder.meta["command"] == "RAG_ARTICLE_ENCODER=true rag train articles --seed 0"
    assert encoder != default_article_weights(ARTICLE_WEIGHTS_FILE)


@pytest.mark.slow
def test_fine_tuning_moves_questions_to_their_passages_and_is_reproducible(base_dir, passages):
    gold = np.eye(len(QUESTIONS), dtype=bool)
    before = train.TorchQueries(*_untrained(base_dir)).encode(QUESTIONS)
    tuned = train.fine_tune(base_dir, QUESTIONS, gold, passages, TINY, seed=0)
    after = tuned.encode(QUESTIONS)
    assert _margins(after, passages).mean() > _margins(before, passages).mean()
    again = train.delta(train.fine_tune(base_dir, QUESTIONS, gold, passages, TINY, seed=0))
    first = train.delta(tuned)
    assert set(first) == set(again) and train.FROZEN not in first
    assert all(bool((first[name] == again[name]).all()) for name in first)


@pytest.mark.slow
def test_the_weights_assemble_into_an_onnx_encoder_that_encodes_as_torch_does(tmp_path, base_dir, passages):
    gold = np.eye(len(QUESTIONS), dtype=bool)
    tuned = train.fine_tune(base_dir, QUESTIONS, gold, passages, TINY, seed=1)
    meta = train.card_meta(TINY, 1, len(QUESTIONS), len(PASSAGES), None, "test", encoder_model.base_sha256(base_dir),
                           ["four questions"])
    weights = tmp_path / "weights"
    save_weights(train.delta(tuned), {**meta, "model": BUNDLED_MODEL}, weights)
    assert installed(weights) and "four questions" in (weights / encoder_model.CARD_FILE).read_text(encoding="utf-8")
    assert json.loads((weights / encoder_model.META_FILE).read_text(encoding="utf-8"))["seed"] == 1
    cache = tmp_path / "cache"
    assembled = ensure_article_encoder(weights, cache)
    assert ensure_article_encoder(weights, cache) == assembled  # built once
    assert not (assembled / "model.safetensors").exists()
    served = ArticleEncoder(assembled)
    plain = OnnxEncoder(base_dir).encode(QUESTIONS[:1], "query: ")[0]
    expected = tuned.vector(QUESTIONS[0], plain)
    vector = served.vector(QUESTIONS[0], plain)
    assert float(vector @ expected) > 0.99 and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert float(vector @ plain) < 0.9999  # the tuned half moved it


def _untrained(base_dir):
    import transformers

    model = transformers.AutoModel.from_pretrained(base_dir, add_pooling_layer=False, attn_implementation="eager")
    return model.eval(), transformers.AutoTokenizer.from_pretrained(base_dir)


@pytest.mark.slow
def test_article_search_over_a_real_index_searches_with_the_shipped_encoder(tmp_path):
    from rag.pipeline import Pipeline

    from statutes import indexed_statute
    from test_articles import STATUTE

    embedder = Pipeline.from_config(Settings(reader="rules")).embedder
    pipeline, document = indexed_statute(tmp_path, embedder, STATUTE, article_encoder=True)
    retriever = pipeline.retriever
    assert isinstance(retriever.adapter, ArticleEncoder) and installed()
    assert retriever.articles.weights == default_article_weights(ENCODER_WEIGHTS_FILE)
    question = "응시료는 언제까지 내야 하나요?"
    candidates = retriever.candidates(question, 10)
    plain = retriever.encoder.encode_query(question)
    moved = retriever.adapter.vector(question, plain)
    assert candidates.adapted and candidates.adapted[0][1] == pytest.approx(
        float(np.max(pipeline.index.embeddings() @ moved)), abs=1e-5)
    assert pipeline.search_articles(question, 3)[0].unit == (document.doc_id, "제3조")
