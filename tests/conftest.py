"""Shared fixtures: paths to ../shared data and a small deterministic embedder."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

# The throwaway PostgreSQL server and per-test databases of the database tests.
pytest_plugins = ["database"]

ROOT = Path(__file__).resolve().parents[1]
#: The bundled news article: the small corpus most tests index (the statutes beside it are large).
NEWS = ROOT / "corpus" / "news"


def run_rag(*args: str, timeout: float, **env: str) -> subprocess.CompletedProcess:
    """The installed ``rag`` command run from the checkout with ``args`` (and more environment)."""
    return subprocess.run([str(Path(sys.executable).with_name("rag")), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **env})


def bench_over_the_ai_laws(name: str, tmp_path: Path, *args: str) -> dict:
    """The figures ``rag bench <name>`` prints over an index of corpus/laws built in ``tmp_path``."""
    import json

    out = tmp_path / f"{name}.json"
    completed = run_rag("bench", name, "--index-dir", str(tmp_path / "index"), "--corpus", str(ROOT / "corpus" / "laws"),
                        *args, "--json", str(out), timeout=900)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(out.read_text())


def near_report_questions(questions: dict[str, str], ratio: float = 0.6) -> list[str]:
    """The ids of ``questions`` (id → text) whose wording comes near a question of any ``report``
    half under eval/ (turns of conversations included): a character similarity of ``ratio`` or
    more (difflib, whitespace removed)."""
    import difflib
    import json

    reported = []
    for path in sorted((ROOT / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            if row.get("part") == "report":
                reported += [turn["question"] for turn in row["turns"]] if "turns" in row else [row["question"]]
    reported = ["".join(question.split()) for question in reported]
    return [qid for qid, text in questions.items()
            if any(difflib.SequenceMatcher(None, "".join(text.split()), other).ratio() >= ratio for other in reported)]


def shared_dir() -> Path:
    """``../shared`` beside the project root, or ``$RAG_SHARED_DIR``."""
    return Path(os.environ.get("RAG_SHARED_DIR", ROOT.parent / "shared"))


@pytest.fixture
def laws_dir() -> Path:
    """The bundled AI statutes."""
    return ROOT / "corpus" / "laws"


class CharNgramEmbedder:
    """Hashes character bigrams into a normalised vector: fast and deterministic.

    It stands in for the real model only where a test isolates indexing or storage;
    retrieval quality is tested with the real model.
    """

    model_id = "test:char-bigrams"
    fingerprint = "char-bigrams-v1"
    dim = 64

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for a, b in zip(text, text[1:]):
            vector[int(hashlib.md5((a + b).encode()).hexdigest(), 16) % self.dim] += 1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def encode_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def encode_passages(self, texts, progress=None) -> np.ndarray:
        vectors = np.stack([self._vector(t) for t in texts]) if texts else np.empty((0, self.dim), np.float32)
        if progress:
            progress(len(texts))
        return vectors


@pytest.fixture
def fake_embedder() -> CharNgramEmbedder:
    return CharNgramEmbedder()


@pytest.fixture(scope="module")
def api(server):
    """A client of the running ``server`` that the test module defines (tests/servers.py)."""
    with server.client() as client:
        yield client
