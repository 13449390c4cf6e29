"""The query adapter of article search (rag/query_adapter.py) and how it is learned (rag/adapter_learn.py)."""

from __future__ import annotations

import numpy as np
import pytest

from rag import adapter_learn
from rag.adapter_learn import AdapterConfig
from rag.article_learn import rank_figures
from rag.query_adapter import ADAPTER_FILE, QueryAdapter, adapter_for, shipped_adapter
from rag.settings import BUNDLED_MODEL


def _adapter(dim=4, rank=2, seed=0, scale=1.0) -> QueryAdapter:
    rng = np.random.default_rng(seed)
    return QueryAdapter((rng.normal(size=(dim, rank)) * scale).astype(np.float32),
                        (rng.normal(size=(dim, rank)) * scale).astype(np.float32), "m", {"seed": seed})


def test_the_adapter_moves_a_vector_by_its_factors_and_normalises_it():
    adapter = _adapter()
    q = np.asarray([0.5, 0.5, 0.5, 0.5], dtype=np.float32)
    moved = q + adapter.a @ (adapter.b.T @ q)
    assert adapter.apply(q) == pytest.approx(moved / np.linalg.norm(moved), abs=1e-6)
    assert np.linalg.norm(adapter.apply(q)) == pytest.approx(1.0) and adapter.apply(q).dtype == np.float32
    # One row per vector gives the same as one at a time.
    rows = np.stack([q, np.asarray([1, 0, 0, 0], dtype=np.float32)])
    assert adapter.apply(rows) == pytest.approx(np.stack([adapter.apply(r) for r in rows]), abs=1e-6)
    zero = QueryAdapter(np.zeros((4, 2), np.float32), np.zeros((4, 2), np.float32), "m")
    assert zero.apply(q) == pytest.approx(q, abs=1e-6)
    with pytest.raises(ValueError, match="dim × rank"):
        QueryAdapter(np.zeros((4, 2), np.float32), np.zeros((4, 3), np.float32), "m")


def test_the_adapter_round_trips_and_knows_its_model(tmp_path):
    adapter = _adapter()
    path = tmp_path / "adapter.json"
    adapter.save(path)
    loaded = QueryAdapter.load(path)
    assert loaded.a == pytest.approx(adapter.a, abs=1e-6) and loaded.b == pytest.approx(adapter.b, abs=1e-6)
    assert loaded.model == "m" and loaded.meta == {"seed": 0} and loaded.dim == 4
    assert loaded.fits("m", 4) and not loaded.fits("m", 8) and not loaded.fits("other", 4)


def test_the_shipped_adapter_is_learned_for_the_bundled_model_and_says_how():
    adapter = shipped_adapter()
    assert ADAPTER_FILE.is_file() and adapter is not None
    assert adapter.model == BUNDLED_MODEL and adapter.dim == 384 and adapter.a.shape[1] == 8
    assert adapter.meta["command"].startswith("rag train adapter")
    assert all(part.endswith("part tune") for part in adapter.meta["data"])
    # Shipped because it finds unseen articles better than the plain vector (folds grouped by article).
    cv = adapter.meta["cv"]
    assert cv["grouped_by"] == "gold article" and cv["adapted"]["recall@10"] > cv["plain"]["recall@10"]
    assert adapter_for(BUNDLED_MODEL, 384) is adapter and adapter_for("another-model", 384) is None


def _synthetic():
    """Eight passages (the unit vectors) in eight units; each question points at the passage
    after its gold one, so the plain vector always ranks the wrong unit first."""
    passages = np.eye(8, dtype=np.float32)
    units = [f"u{i}" for i in range(8)]
    queries = np.stack([np.roll(passages[i], 1) + 0.05 * passages[i] for i in range(8)] * 4).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    positives = np.stack([passages[i] > 0 for i in range(8)] * 4)
    golds = [frozenset({units[i]}) for i in range(8)] * 4
    return queries, positives, passages, units, golds


def test_fitting_is_reproducible_and_learns_where_the_questions_point():
    queries, positives, passages, units, _ = _synthetic()
    config = AdapterConfig(rank=8, epochs=60, learning_rate=0.05, batch_size=8)
    a, b = adapter_learn.fit(queries, positives, passages, config, seed=3)
    again = adapter_learn.fit(queries, positives, passages, config, seed=3)
    assert np.array_equal(a, again[0]) and np.array_equal(b, again[1])
    plain = rank_figures(adapter_learn.article_ranks(queries, positives, passages, units))
    moved = QueryAdapter(a, b, "m").apply(queries)
    learned = rank_figures(adapter_learn.article_ranks(moved, positives, passages, units))
    assert plain["recall@1"] == 0.0 and learned["recall@1"] == 1.0


def test_learning_keeps_its_cross_validated_figures_and_data():
    queries, positives, passages, units, golds = _synthetic()
    config = AdapterConfig(rank=2, epochs=1, folds=4)
    adapter = adapter_learn.learn(queries, positives, passages, units, golds, "m", seed=0,
                                  meta={"command": "test"}, config=config)
    assert adapter.model == "m" and adapter.a.shape == (8, 2)
    assert adapter.meta["command"] == "test" and adapter.meta["questions"] == 32 and adapter.meta["config"]["rank"] == 2
    assert set(adapter.meta["cv"]) == {"folds", "grouped_by", "plain", "adapted"}
    assert adapter.meta["cv"]["plain"] == {"recall@1": 0.0, "recall@10": 1.0, "mrr": 0.5}
    with pytest.raises(ValueError, match="nothing to learn"):
        adapter_learn.learn(queries[:0], positives[:0], passages, units, [], "m", seed=0)


def test_the_training_command_says_which_statutes_are_missing(tmp_path):
    from typer.testing import CliRunner

    from rag.cli import app

    result = CliRunner().invoke(app, ["train", "adapter", "--civic-laws", str(tmp_path / "none"), "--out",
                                      str(tmp_path / "adapter.json")])
    assert result.exit_code == 2 and "statutes not found" in result.output
    assert not (tmp_path / "adapter.json").exists()
