"""A learned map of query vectors for article retrieval: how citizens' questions sit to statute text.

Statute text says 임대인, 차임 and 개인정보처리자 where a citizen writes 집주인, 월세 and 회사; the
bundled embedding model places the two wordings less close than a person would. The adapter
moves a question's vector, ``q → normalise((I + A Bᵀ) q)``, with ``A`` and ``B`` of rank 8: a
few directions, learned from questions written to learn from (``rag train adapter``,
:mod:`rag.adapter_learn`), not a new model. Passage vectors stay as indexed, so the index
is the same with or without it.

It is read by article retrieval only (:meth:`rag.retrieval.Retriever.candidates`): the adapted
vector's own dense list is a third list of candidates, and its ranks and similarity are three
features of :mod:`rag.articles`, beside (not instead of) the plain dense ones. Learned on
statute questions, it moved KorQuAD's Wikipedia questions away from their paragraphs
(bench/results), so plain chunk search never uses it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from rag.articles import ARTICLE_WEIGHTS_FILE

#: The shipped adapter, learned for the bundled embedding model.
ADAPTER_FILE = Path(__file__).with_name("query-adapter.json")


@dataclass(frozen=True)
class QueryAdapter:
    """``I + A Bᵀ`` for query vectors of ``model`` (``A`` and ``B``: dim × rank), and where it comes from."""

    a: np.ndarray
    b: np.ndarray
    model: str
    meta: dict[str, Any] = field(default_factory=dict)
    #: The article ranker's weights learned with the adapter's list.
    article_weights: ClassVar[Path] = ARTICLE_WEIGHTS_FILE

    def __post_init__(self) -> None:
        if self.a.shape != self.b.shape or self.a.ndim != 2:
            raise ValueError(f"adapter factors must both be dim × rank, not {self.a.shape} and {self.b.shape}")

    @property
    def dim(self) -> int:
        return self.a.shape[0]

    def apply(self, vector: np.ndarray) -> np.ndarray:
        """The adapted, L2-normalised float32 vector (one vector, or one per row)."""
        vector = np.asarray(vector, dtype=np.float32)
        moved = vector + (vector @ self.b) @ self.a.T
        norm = np.linalg.norm(moved, axis=-1, keepdims=True)
        return (moved / np.where(norm > 0, norm, 1.0)).astype(np.float32)

    def vector(self, query: str, plain: np.ndarray) -> np.ndarray:
        """The vector article search searches with: ``plain`` moved (``query`` is not read)."""
        return self.apply(plain)

    def fits(self, model: str, dim: int) -> bool:
        """Whether it was learned for vectors of ``model`` with ``dim`` dimensions."""
        return self.model == model and self.dim == dim

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (factors rounded to 7 decimals, far below their effect)."""
        return {"model": self.model, "rank": int(self.a.shape[1]),
                "a": np.round(self.a, 7).tolist(), "b": np.round(self.b, 7).tolist(), "meta": self.meta}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueryAdapter:
        """An adapter from its JSON form."""
        return cls(np.asarray(data["a"], dtype=np.float32), np.asarray(data["b"], dtype=np.float32),
                   str(data["model"]), dict(data.get("meta", {})))

    def save(self, path: Path) -> None:
        """Write the adapter as JSON, readable by :meth:`load`."""
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> QueryAdapter:
        """Read an adapter written by :meth:`save`."""
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def shipped_adapter() -> QueryAdapter | None:
    """The package's adapter, read once; ``None`` when the file is not there."""
    return QueryAdapter.load(ADAPTER_FILE) if ADAPTER_FILE.is_file() else None


def adapter_for(model: str, dim: int) -> QueryAdapter | None:
    """The shipped adapter when it was learned for ``model``'s vectors, else ``None`` (no adapted list)."""
    adapter = shipped_adapter()
    return adapter if adapter is not None and adapter.fits(model, dim) else None
