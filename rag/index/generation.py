"""One generation of the index: its segments, minus what later writes deleted, read as one."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from rag.bm25 import BM25
from rag.documents import Document
from rag.index.manifest import FORMAT_VERSION, IndexCorruptError, Manifest
from rag.index.segment import IndexedChunk, Segment
from rag.mentions import DocumentNames
from rag.references import ReferenceGraph

#: More segments than this and a write merges the smaller ones (:meth:`Index.merge_plan`).
MAX_SEGMENTS = 8
#: A segment with more than this share of its chunks deleted is rewritten without them.
MAX_DELETED_SHARE = 0.5


class Index:
    """An immutable, fully loaded index generation.

    Rows are numbered across segments, in segment order, over the chunks not deleted:
    ``chunks[row]``, and the rows :meth:`dense_search` and ``lexical`` return, agree. Writers
    never modify an ``Index``; they make a new one from its segments (see
    :meth:`rag.pipeline.Pipeline.add_documents`), so a reader holding this object keeps a
    consistent view for as long as it wants.
    """

    def __init__(self, manifest: Manifest, segments: Sequence[Segment],
                 deleted: Mapping[str, frozenset[str]] | None = None):
        deleted = deleted or {}
        self.manifest = manifest
        self.segments = list(segments)
        self.deleted = {s.name: frozenset(deleted.get(s.name, ())) for s in self.segments}
        self.documents: dict[str, Document] = {}
        self.chunks: list[IndexedChunk] = []
        self._rows: list[np.ndarray] = []  # per segment: each chunk's row here, -1 when deleted
        segment_of, local_of = [np.empty(0, np.int64)], [np.empty(0, np.int64)]  # per row: where it is stored
        for n, segment in enumerate(self.segments):
            gone = self.deleted[segment.name]
            self.documents.update((d, doc) for d, doc in segment.documents.items() if d not in gone)
            live = np.fromiter((item.chunk.doc_id not in gone for item in segment.chunks), bool, len(segment.chunks))
            rows = np.full(len(segment.chunks), -1, dtype=np.int64)
            rows[live] = np.arange(len(self.chunks), len(self.chunks) + int(live.sum()))
            self.chunks.extend(item for item, keep in zip(segment.chunks, live) if keep)
            self._rows.append(rows)
            local_of.append(np.flatnonzero(live))
            segment_of.append(np.full(len(local_of[-1]), n, dtype=np.int64))
        self._segment_of, self._local_of = np.concatenate(segment_of), np.concatenate(local_of)
        self._deleted_rows = [int((rows < 0).sum()) for rows in self._rows]  # per segment
        self.lexical = BM25([(s.postings, rows) for s, rows in zip(self.segments, self._rows)])
        manifest.documents = {doc_id: doc.content_hash for doc_id, doc in self.documents.items()}
        manifest.counts = {"documents": len(self.documents), "chunks": len(self.chunks)}
        manifest.segments = [{"name": s.name, "deleted": sorted(self.deleted[s.name])} for s in self.segments]

    @classmethod
    def build(cls, manifest: Manifest, documents: dict[str, Document], chunks: list[IndexedChunk],
              embeddings: np.ndarray) -> Index:
        """An index of one new segment: ``chunks`` and their (normalised) ``embeddings``."""
        return cls(manifest, [Segment.build(documents, chunks, embeddings, manifest.dim)] if chunks or documents else [])

    @cached_property
    def names(self) -> DocumentNames:
        """The names questions may call this generation's documents by."""
        return DocumentNames(self.documents)

    @cached_property
    def references(self) -> ReferenceGraph:
        """The references between this generation's statute articles (:mod:`rag.references`),
        parsed on first use."""
        return ReferenceGraph.build(self.documents.values())

    def embeddings(self) -> np.ndarray:
        """All stored chunk embeddings, row ``i`` for chunk ``i``."""
        return self.vectors_of(range(len(self.chunks)))

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        """The stored embeddings of chunk ``rows``, one row each."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), self.manifest.dim), dtype=np.float32)
        segment_of = self._segment_of[rows]
        for n in np.unique(segment_of):
            here = segment_of == n
            out[here] = self.segments[n].vectors.reconstruct_batch(self._local_of[rows[here]])
        return out

    def dense_search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and inner-product scores of the ``k`` nearest chunks (equal scores: lower row first)."""
        k = min(k, len(self.chunks))
        if k == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        query = np.asarray(query, dtype=np.float32).reshape(1, -1)
        found, scores = [], []
        for segment, rows, dead in zip(self.segments, self._rows, self._deleted_rows):
            # Deleted chunks are still in the segment's vectors: look far enough past them.
            depth = min(segment.vectors.ntotal, k + dead)
            if depth == 0:
                continue
            near, ids = segment.vectors.search(query, depth)
            ids = ids[0][ids[0] >= 0]
            here = rows[ids]
            found.append(here[here >= 0])
            scores.append(near[0][: len(ids)][here >= 0])
        found, scores = np.concatenate(found), np.concatenate(scores)
        best = np.lexsort((found, -scores))[:k]
        return found[best], scores[best]

    def written(self, manifest: Manifest, added: Segment | None, changed: set[str]) -> Index:
        """The generation a write makes of this one: ``added`` (a new segment of the documents
        written) after this one's segments, which lose the ``changed`` documents (replaced or
        removed); segments are merged as :meth:`merge_plan` says."""
        segments = self.segments + ([added] if added else [])
        deleted = {s.name: self.deleted[s.name] | (changed & s.documents.keys()) for s in self.segments}
        index = Index(manifest, segments, deleted)
        return index.merged(index.merge_plan())

    def merge_plan(self) -> list[Segment]:
        """The segments a write should merge into one, if any: those with most of their
        chunks deleted or none of their documents left, and all but the largest when there are more than :data:`MAX_SEGMENTS`.

        A merge copies what the merged segments hold, so keeping the largest segment out of
        it keeps a write's cost proportional to what was written since the last merge.
        """
        plan = [s for s, rows in zip(self.segments, self._rows)
                if (len(rows) and (rows < 0).mean() > MAX_DELETED_SHARE) or set(s.documents) <= self.deleted[s.name]]
        if len(self.segments) > MAX_SEGMENTS:
            largest = max(zip(self.segments, self._rows), key=lambda pair: int((pair[1] >= 0).sum()))[0]
            plan = [s for s in self.segments if s is not largest]
        return plan

    def merged(self, segments: Sequence[Segment]) -> Index:
        """This generation with ``segments`` folded into one new segment, where the first of them was."""
        if not segments:
            return self
        chosen = {s.name for s in segments}
        merged = Segment.merged([(s, self.deleted[s.name]) for s in self.segments if s.name in chosen], self.manifest.dim)
        first = next(n for n, s in enumerate(self.segments) if s.name in chosen)
        kept = [s for n, s in enumerate(self.segments) if s.name not in chosen or n == first]
        order = [merged if s.name in chosen else s for s in kept]
        return Index(replace(self.manifest), [s for s in order if s.chunks or s.documents],
                     {s.name: self.deleted[s.name] for s in kept if s.name not in chosen})

    # -- reading -------------------------------------------------------------------------

    @classmethod
    def load(cls, directory: Path, reuse: Index | None = None) -> Index:
        """Read the generation in ``directory``, its segments from ``directory/../segments``.

        Segments ``reuse`` (the generation read before) holds are taken from it, not read
        again: they never change, so a reload reads only the segments written since.
        """
        try:
            manifest = Manifest(**json.loads((directory / "manifest.json").read_text(encoding="utf-8")))
            if manifest.format != FORMAT_VERSION:
                return cls(manifest, [])  # nothing this version can read; check_compatible says so
            held = {s.name: s for s in reuse.segments} if reuse else {}
            segments = [held.get(entry["name"]) or Segment.load(directory.parent / "segments" / entry["name"])
                        for entry in manifest.segments]
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
            raise IndexCorruptError(f"cannot read the index at {directory}: {error}") from error
        return cls(manifest, segments, {e["name"]: frozenset(e["deleted"]) for e in manifest.segments})
