"""The on-disk index: generations of immutable segments, each with its documents, chunks,
FAISS vectors and BM25 postings.

- :mod:`rag.index.manifest`: what a generation was built with and holds;
- :mod:`rag.index.segment`: the parts a write adds, never changed after;
- :mod:`rag.index.generation`: one generation read as one index (rows across segments);
- :mod:`rag.index.store`: committing generations atomically, and collecting old ones.
"""

from rag.index.generation import Index
from rag.index.manifest import FORMAT_VERSION, IndexCorruptError, IndexMismatchError, Manifest
from rag.index.segment import IndexedChunk, Segment
from rag.index.store import IndexStore, created_at

__all__ = ["FORMAT_VERSION", "Index", "IndexCorruptError", "IndexMismatchError", "IndexStore", "IndexedChunk",
           "Manifest", "Segment", "created_at"]
