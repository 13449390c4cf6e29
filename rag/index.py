"""The on-disk index: documents, chunks, a FAISS vector index and a BM25 index.

Layout under the index directory::

    current -> gen-<time>-<id>/      symlink to the live generation
    gen-…/manifest.json              model, chunker, per-document hashes, counts
    gen-…/documents.jsonl            normalised documents (all offsets refer to these)
    gen-…/chunks.jsonl               chunks with their BM25 tokens
    gen-…/vectors.faiss              passage embeddings, row i = chunk i
    gen-…/bm25/                      bm25s index
    analysis/<version>/<hash>.jsonl  each document's sentences and candidates, by content
                                     hash, for all generations (:mod:`rag.answer.analysis`;
                                     written and pruned by the pipeline)
    .lock                            serialises writers across processes

A write builds a complete new generation in a temporary folder, renames it into place
and then swaps the ``current`` symlink with one atomic ``rename``. A crash at any point
leaves the previous generation whole, and readers never see a half-written index.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterator, Sequence

import faiss
import numpy as np

from rag.chunking import ChunkerConfig
from rag.documents import Chunk, Document
from rag.lexical import LexicalIndex, tokenizer_id
from rag.mentions import DocumentNames

FORMAT_VERSION = 1
_CURRENT = "current"
_KEEP_GENERATIONS = 2


class IndexMismatchError(RuntimeError):
    """The index on disk was built with another model, chunker or tokenizer than this one's."""


class IndexCorruptError(RuntimeError):
    """The index on disk cannot be read."""


@dataclass
class Manifest:
    """What an index was built with, and what it holds."""

    model_id: str
    model_fingerprint: str
    dim: int
    chunker: dict
    tokenizer: str = ""
    documents: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    format: int = FORMAT_VERSION
    created_at: float = field(default_factory=time.time)

    def check_compatible(self, model_id: str, model_fingerprint: str, chunker: ChunkerConfig, where: Path) -> None:
        """Refuse to mix vectors or chunks made differently; say how to rebuild."""
        problems = []
        if self.format != FORMAT_VERSION:
            problems.append(f"index format {self.format} (this version reads {FORMAT_VERSION})")
        if self.model_id != model_id:
            problems.append(f"embedding model {self.model_id!r} (configured: {model_id!r})")
        elif self.model_fingerprint != model_fingerprint:
            problems.append(f"other vectors of {model_id!r} ({_short(self.model_fingerprint)}; "
                            f"this version makes {_short(model_fingerprint)})")
        if self.chunker != asdict(chunker):
            problems.append(f"chunker {self.chunker} (configured: {asdict(chunker)})")
        if self.tokenizer != tokenizer_id():
            problems.append(f"BM25 tokens of {self.tokenizer or 'an earlier tokenizer'} (this version: {tokenizer_id()})")
        if problems:
            raise IndexMismatchError(
                f"The index at {where} was built with " + "; ".join(problems) + ". "
                "Rebuild it with `rag ingest corpus/ --replace` (add your other document folders), "
                "or point RAG_INDEX_DIR at another directory."
            )


def _short(fingerprint: str) -> str:
    """A fingerprint as a person compares it: its first 12 digits and its engine tag."""
    digest, plus, tag = fingerprint.partition("+")
    return digest[:12] + plus + tag


@dataclass
class IndexedChunk:
    """A chunk as stored in the index, with the tokens BM25 indexed for it."""

    chunk: Chunk
    tokens: list[str]

    @cached_property
    def json_line(self) -> str:
        """This chunk's line of ``chunks.jsonl``, made once: an index saves every chunk on every write."""
        return json.dumps(asdict(self.chunk) | {"tokens": self.tokens}, ensure_ascii=False)

    @classmethod
    def from_json_line(cls, line: str) -> IndexedChunk:
        """The chunk of a line :attr:`json_line` made, which it keeps as its own."""
        row = json.loads(line)
        tokens = row.pop("tokens")
        item = cls(Chunk(**row), tokens)
        item.__dict__["json_line"] = line.rstrip("\n")
        return item


class Index:
    """An immutable, fully loaded index generation.

    Writers never modify an ``Index``; they build a new one (see :meth:`replaced`), so
    a reader holding this object keeps a consistent view for as long as it wants.
    """

    def __init__(
        self,
        manifest: Manifest,
        documents: dict[str, Document],
        chunks: list[IndexedChunk],
        vectors: faiss.Index,
        lexical: LexicalIndex,
    ):
        self.manifest = manifest
        self.documents = documents
        self.chunks = chunks
        self.vectors = vectors
        self.lexical = lexical

    @classmethod
    def build(
        cls,
        manifest: Manifest,
        documents: dict[str, Document],
        chunks: list[IndexedChunk],
        embeddings: np.ndarray,
    ) -> Index:
        """Assemble an index from chunks and their (normalised) embeddings."""
        if len(chunks) != len(embeddings):
            raise ValueError(f"{len(chunks)} chunks but {len(embeddings)} embeddings")
        vectors = faiss.IndexFlatIP(manifest.dim)
        if len(embeddings):
            vectors.add(np.ascontiguousarray(embeddings, dtype=np.float32))
        manifest.documents = {doc_id: doc.content_hash for doc_id, doc in documents.items()}
        manifest.counts = {"documents": len(documents), "chunks": len(chunks)}
        lexical = LexicalIndex([c.tokens for c in chunks])
        return cls(manifest, documents, chunks, vectors, lexical)

    @cached_property
    def names(self) -> DocumentNames:
        """The names questions may call this generation's documents by."""
        return DocumentNames(self.documents)

    def embeddings(self) -> np.ndarray:
        """All stored chunk embeddings, row ``i`` for chunk ``i``."""
        if self.vectors.ntotal == 0:
            return np.empty((0, self.manifest.dim), dtype=np.float32)
        return self.vectors.reconstruct_n(0, self.vectors.ntotal)

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        """The stored embeddings of chunk ``rows``, one row each."""
        if not rows:
            return np.empty((0, self.manifest.dim), dtype=np.float32)
        return self.vectors.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def dense_search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and inner-product scores of the ``k`` nearest chunks."""
        k = min(k, self.vectors.ntotal)
        if k == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        scores, ids = self.vectors.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    # -- persistence -------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write every file of this generation into ``directory`` (which must exist)."""
        # Kept documents and chunks bring their lines from the generation before: a write
        # serialises only what it adds.
        with open(directory / "documents.jsonl", "w", encoding="utf-8") as out:
            out.writelines(doc.json_line + "\n" for doc in self.documents.values())
        with open(directory / "chunks.jsonl", "w", encoding="utf-8") as out:
            out.writelines(item.json_line + "\n" for item in self.chunks)
        faiss.write_index(self.vectors, str(directory / "vectors.faiss"))
        (directory / "bm25").mkdir(exist_ok=True)
        self.lexical.save(directory / "bm25")
        # The manifest goes last: a generation without one is incomplete by definition.
        (directory / "manifest.json").write_text(
            json.dumps(asdict(self.manifest), ensure_ascii=False, indent=1), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path, reuse: Index | None = None) -> Index:
        """Read a generation written by :meth:`save`.

        Documents and chunks whose lines are those of ``reuse`` (the generation read before)
        are taken from it instead of parsed again: after one write, a reload parses what the
        write changed, and unchanged documents are not held twice while both generations live.
        """
        known_documents = {d.json_line: d for d in reuse.documents.values()} if reuse else {}
        known_chunks = {c.json_line: c for c in reuse.chunks} if reuse else {}
        try:
            manifest = Manifest(**json.loads((directory / "manifest.json").read_text(encoding="utf-8")))
            with open(directory / "documents.jsonl", encoding="utf-8") as f:
                read = (known_documents.get(line.rstrip("\n")) or Document.from_json_line(line) for line in f)
                documents = {d.doc_id: d for d in read}
            with open(directory / "chunks.jsonl", encoding="utf-8") as f:
                chunks = [known_chunks.get(line.rstrip("\n")) or IndexedChunk.from_json_line(line) for line in f]
            vectors = faiss.read_index(str(directory / "vectors.faiss"))
            lexical = LexicalIndex.load(directory / "bm25", size=len(chunks))
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
            raise IndexCorruptError(f"cannot read the index at {directory}: {error}") from error
        if vectors.ntotal != len(chunks):
            raise IndexCorruptError(f"index at {directory}: {vectors.ntotal} vectors for {len(chunks)} chunks")
        return cls(manifest, documents, chunks, vectors, lexical)


class IndexStore:
    """Generations of an :class:`Index` under one directory, swapped atomically."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def current_path(self) -> Path | None:
        """The live generation's folder, or ``None`` when nothing was written yet."""
        link = self.root / _CURRENT
        if not link.is_symlink():
            return None
        target = self.root / os.readlink(link)
        return target if (target / "manifest.json").exists() else None

    def load(self, reuse: Index | None = None) -> Index | None:
        """The live generation (``reuse``: see :meth:`Index.load`), or ``None`` before the first write."""
        path = self.current_path()
        return Index.load(path, reuse) if path else None

    def is_current(self, index: Index) -> bool:
        """Whether ``index`` is the live generation: no process has committed another since
        it was read or written (one small manifest read)."""
        path = self.current_path()
        return path is not None and created_at(path) == index.manifest.created_at

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Serialise writers across threads and processes (readers never wait)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def commit(self, index: Index) -> Path:
        """Write ``index`` as a new generation and make it the live one."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"gen-{time.time_ns()}-{uuid.uuid4().hex[:8]}"
        staging = self.root / f".{name}.tmp"
        staging.mkdir()
        index.save(staging)
        _fsync_tree(staging)
        final = self.root / name
        os.rename(staging, final)
        link_tmp = self.root / f".{_CURRENT}.{uuid.uuid4().hex[:8]}"
        os.symlink(name, link_tmp)
        os.replace(link_tmp, self.root / _CURRENT)
        _fsync_dir(self.root)
        self._collect_garbage(keep=name)
        return final

    def _collect_garbage(self, keep: str) -> None:
        """Drop staging leftovers and all but the newest generations.

        The previous generation is kept so a reader that resolved ``current`` just
        before the swap can still finish reading it.
        """
        generations = sorted(p for p in self.root.glob("gen-*") if p.is_dir())
        stale = [p for p in generations if p.name != keep][: max(0, len(generations) - _KEEP_GENERATIONS)]
        stale += [p for p in self.root.glob(".gen-*.tmp")]
        for path in stale:
            shutil.rmtree(path, ignore_errors=True)


def created_at(generation: Path) -> float | None:
    """When the generation in folder ``generation`` was made (its manifest's ``created_at``),
    or ``None`` when the manifest cannot be read."""
    try:
        return json.loads((generation / "manifest.json").read_text(encoding="utf-8"))["created_at"]
    except (OSError, ValueError, KeyError):
        return None


def _fsync_tree(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
