"""Segments: the immutable parts an index generation is made of.

A write adds one segment holding just the documents it brought (their chunks, vectors and
BM25 postings) and marks the documents it replaced or removed as deleted in the older
segments (:class:`rag.index.Index`); nothing already on disk is written again. A segment's
folder, ``segments/<name>/``, holds::

    documents.jsonl   normalised documents (all offsets refer to these)
    chunks.jsonl      chunks with their BM25 tokens
    vectors.faiss     passage embeddings, row i = chunk i
    postings.npz      BM25 term counts of each chunk (:class:`rag.bm25.Postings`)

A segment is written under a temporary name and renamed into place complete, and never
changes after: a reader may keep it for as long as it wants, and a reload takes the
segments it already holds by name instead of reading them again.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Sequence

import faiss
import numpy as np

from rag.bm25 import Postings
from rag.documents import Chunk, Document

# One query against a flat index is a short scan of memory. OpenMP threads for it only wait for
# the cores the query encoder's threads were just spinning on, or that other workers hold: at
# 20,000 chunks one thread searches in 0.8 ms, two in 11 ms beside a busy core (bench/results).
faiss.omp_set_num_threads(1)


@dataclass
class IndexedChunk:
    """A chunk as stored in the index, with the tokens BM25 indexed for it."""

    chunk: Chunk
    tokens: list[str]

    @cached_property
    def json_line(self) -> str:
        """This chunk's line of ``chunks.jsonl``, made once (a merge writes it again)."""
        return json.dumps(asdict(self.chunk) | {"tokens": self.tokens}, ensure_ascii=False)

    @classmethod
    def from_json_line(cls, line: str) -> IndexedChunk:
        """The chunk of a line :attr:`json_line` made, which it keeps as its own."""
        row = json.loads(line)
        tokens = row.pop("tokens")
        item = cls(Chunk(**row), tokens)
        item.__dict__["json_line"] = line.rstrip("\n")
        return item


def flat_index(embeddings: np.ndarray, dim: int) -> faiss.Index:
    """An exact inner-product FAISS index of ``embeddings`` (normalised: cosine similarity), row ``i`` = vector ``i``."""
    vectors = faiss.IndexFlatIP(dim)
    if len(embeddings):
        vectors.add(np.ascontiguousarray(embeddings, dtype=np.float32))
    return vectors


def new_segment_name() -> str:
    """A name no other segment has, sorting by creation time."""
    return f"seg-{time.time_ns()}-{uuid.uuid4().hex[:8]}"


@dataclass(eq=False)
class Segment:
    """Documents, their chunks, the chunks' vectors (row ``i`` = chunk ``i``) and postings."""

    name: str
    documents: dict[str, Document]
    chunks: list[IndexedChunk]
    vectors: faiss.Index
    postings: Postings

    @classmethod
    def build(cls, documents: dict[str, Document], chunks: list[IndexedChunk], embeddings: np.ndarray,
              dim: int) -> Segment:
        """A new segment of ``chunks`` and their (normalised) ``embeddings``."""
        if len(chunks) != len(embeddings):
            raise ValueError(f"{len(chunks)} chunks but {len(embeddings)} embeddings")
        return cls(new_segment_name(), documents, chunks, flat_index(embeddings, dim), Postings.of([c.tokens for c in chunks]))

    @classmethod
    def merged(cls, parts: Sequence[tuple[Segment, frozenset[str]]], dim: int) -> Segment:
        """One segment of what ``parts`` (segments and the ids deleted from each) still hold,
        in their order. Vectors and tokens are copied; nothing is embedded or analysed again."""
        documents: dict[str, Document] = {}
        chunks: list[IndexedChunk] = []
        embeddings = []
        for segment, deleted in parts:
            documents.update((d, doc) for d, doc in segment.documents.items() if d not in deleted)
            rows = [i for i, c in enumerate(segment.chunks) if c.chunk.doc_id not in deleted]
            chunks.extend(segment.chunks[i] for i in rows)
            if rows:
                embeddings.append(segment.vectors.reconstruct_batch(np.asarray(rows, dtype=np.int64)))
        return cls.build(documents, chunks, np.concatenate(embeddings) if embeddings else np.empty((0, dim), np.float32), dim)

    def save(self, directory: Path) -> None:
        """Write every file of this segment into ``directory`` (which must exist)."""
        with open(directory / "documents.jsonl", "w", encoding="utf-8") as out:
            out.writelines(doc.json_line + "\n" for doc in self.documents.values())
        with open(directory / "chunks.jsonl", "w", encoding="utf-8") as out:
            out.writelines(item.json_line + "\n" for item in self.chunks)
        faiss.write_index(self.vectors, str(directory / "vectors.faiss"))
        self.postings.save(directory / "postings.npz")

    @classmethod
    def load(cls, directory: Path) -> Segment:
        """Read a segment :meth:`save` wrote (errors: those of the files and parsers)."""
        with open(directory / "documents.jsonl", encoding="utf-8") as f:
            documents = {d.doc_id: d for d in map(Document.from_json_line, f)}
        with open(directory / "chunks.jsonl", encoding="utf-8") as f:
            chunks = [IndexedChunk.from_json_line(line) for line in f]
        vectors = faiss.read_index(str(directory / "vectors.faiss"))
        postings = Postings.load(directory / "postings.npz")
        if vectors.ntotal != len(chunks) or postings.rows != len(chunks):
            raise ValueError(f"{vectors.ntotal} vectors and {postings.rows} postings rows for {len(chunks)} chunks")
        return cls(directory.name, documents, chunks, vectors, postings)
