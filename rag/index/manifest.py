"""What a generation of the index was built with and what it holds (``manifest.json``)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.chunking import ChunkerConfig
from rag.lexical import tokenizer_id

#: 2: segments with their own postings (1 held one bm25s index per generation).
FORMAT_VERSION = 2


class IndexMismatchError(RuntimeError):
    """The index on disk was built with another model, chunker, tokenizer or format than this one's."""


class IndexCorruptError(RuntimeError):
    """The index on disk cannot be read."""


@dataclass
class Manifest:
    """What an index was built with, and what it holds.

    ``segments`` lists the generation's segments in order, each as ``{"name": …, "deleted":
    [doc ids]}``: the documents of the segment that a later write replaced or removed.
    """

    model_id: str
    model_fingerprint: str
    dim: int
    chunker: dict
    tokenizer: str = ""
    documents: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    segments: list[dict] = field(default_factory=list)
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
