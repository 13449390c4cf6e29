"""What a write brings to the index: the new segment of its documents, and its report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from rag.chunking import Chunker, index_text
from rag.documents import Document
from rag.index import IndexedChunk, Segment
from rag.lexical import tokenize_many

if TYPE_CHECKING:
    from rag.embedding import Embedder

#: ``(stage, done, total)``: stages are ``chunking``, ``embedding``, ``tokenising``, ``analysing`` and ``writing``.
ProgressCallback = Callable[[str, int, int], None]
#: Chunks tokenised for BM25 between two progress reports: Kiwi reads about 500 a second.
_TOKENISE_BATCH = 1000


@dataclass
class IngestReport:
    """What an ingest changed."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    total_chunks: int = 0
    seconds: float = 0.0

    @property
    def chunks_per_second(self) -> float:
        return self.chunks_embedded / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict:
        return asdict(self) | {"chunks_per_second": round(self.chunks_per_second, 2)}


def new_segment(documents: list[Document], chunker: Chunker, embedder: Embedder,
                progress: ProgressCallback | None) -> Segment | None:
    """``documents`` chunked, embedded and tokenised for BM25 as one new segment (``None``
    for no documents), with progress reported by stage."""
    if not documents:
        return None
    pieces = []
    for n, doc in enumerate(documents, start=1):
        pieces.extend((doc, chunk) for chunk in chunker.split(doc))
        if progress:
            progress("chunking", n, len(documents))
    texts = [index_text(doc, chunk) for doc, chunk in pieces]
    embedded = 0

    def on_batch(done: int) -> None:
        nonlocal embedded
        embedded += done
        if progress:
            progress("embedding", embedded, len(texts))

    vectors = embedder.encode_passages(texts, progress=on_batch) if texts else np.empty((0, embedder.dim), np.float32)
    tokens = []
    for start in range(0, len(texts), _TOKENISE_BATCH):
        tokens += tokenize_many(texts[start:start + _TOKENISE_BATCH])
        if progress:
            progress("tokenising", len(tokens), len(texts))
    chunks = [IndexedChunk(chunk, chunk_tokens) for (_, chunk), chunk_tokens in zip(pieces, tokens)]
    return Segment.build({d.doc_id: d for d in documents}, chunks, vectors, embedder.dim)
