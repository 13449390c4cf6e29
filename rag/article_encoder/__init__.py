"""A query encoder fine-tuned for article search (:mod:`.model`, learned by :mod:`.train`).

:func:`article_queries` picks what article search moves the query vector with: this encoder
when its weights are shipped for the model in use, else the query adapter
(:mod:`rag.query_adapter`), else nothing.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.article_encoder.model import META_FILE, WEIGHTS_DIR, installed, shipped_encoder
from rag.query_adapter import adapter_for
from rag.settings import Settings


class ArticleQueries(Protocol):
    """Gives article search its second query vector, and names the article ranker's weights
    learned with that vector's list."""

    article_weights: Path

    def vector(self, query: str, plain: np.ndarray) -> np.ndarray:
        """The vector for ``query``, whose plain vector is ``plain``."""


def article_queries(settings: Settings, model_id: str, dim: int) -> ArticleQueries | None:
    """The fine-tuned encoder when ``settings.article_encoder`` and its weights were learned
    against ``model_id``'s vectors; else the adapter when ``settings.query_adapter`` and it fits;
    else ``None`` (no second list)."""
    if settings.article_encoder and installed() and _meta().get("model") == model_id:
        return shipped_encoder(settings.threads)
    return adapter_for(model_id, dim) if settings.query_adapter else None


@lru_cache(maxsize=1)
def _meta() -> dict:
    """The shipped weights' settings, read once (every index generation asks)."""
    return json.loads((WEIGHTS_DIR / META_FILE).read_text(encoding="utf-8"))
