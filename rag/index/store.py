"""Generations of the index under one directory, committed atomically.

Layout under the index directory::

    current -> gen-<time>-<id>/      symlink to the live generation
    gen-…/manifest.json              model, chunker, segments (and what each lost), documents
    segments/seg-<time>-<id>/        one segment's documents, chunks, vectors and postings
                                     (:mod:`rag.index.segment`), shared by the generations
                                     that list it
    analysis/<version>/<hash>.jsonl  each document's sentences and candidates, by content
                                     hash, for all generations (:mod:`rag.answer.analysis`;
                                     written and pruned by the pipeline)
    .lock                            serialises writers across processes

A commit writes the segments the generation adds (each in a temporary folder renamed into
place complete), then the generation's manifest the same way, then swaps the ``current``
symlink with one atomic ``rename``. A crash at any point leaves the previous generation
whole, and readers never see a half-written index.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Iterator

from rag.index.generation import Index
from rag.index.manifest import IndexCorruptError

_CURRENT = "current"
_SEGMENTS = "segments"
_KEEP_GENERATIONS = 2


class IndexStore:
    """Generations of an :class:`Index` under one directory, swapped atomically."""

    #: Asking which generation is live is a local ``readlink``.
    remote = False

    def __init__(self, root: Path):
        self.root = Path(root)

    def current(self) -> Path | None:
        """The live generation's folder (compare it with :meth:`created_at`), or ``None`` when
        nothing was written yet: one ``readlink``."""
        link = self.root / _CURRENT
        if not link.is_symlink():
            return None
        target = self.root / os.readlink(link)
        return target if (target / "manifest.json").exists() else None

    @staticmethod
    def created_at(generation: Path) -> float | None:
        """When the generation :meth:`current` named was made."""
        return created_at(generation)

    def load(self, reuse: Index | None = None) -> Index | None:
        """The live generation (``reuse``: see :meth:`Index.load`), or ``None`` before the first write."""
        path = self.current()
        if path is None:
            return None
        try:
            return Index.load(path, reuse)
        except IndexCorruptError:
            # Two commits since `current` was read can collect the generation being read: the
            # live one is whole.
            if self.current() in (path, None):
                raise
            return Index.load(self.current(), reuse)

    def is_current(self, index: Index) -> bool:
        """Whether ``index`` is the live generation: no process has committed another since
        it was read or written (one small manifest read)."""
        path = self.current()
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
        """Write the segments ``index`` adds and its manifest as a new generation, and make it
        the live one. Call it holding :meth:`write_lock`."""
        segments = self.root / _SEGMENTS
        segments.mkdir(parents=True, exist_ok=True)
        for segment in index.segments:
            if not (segments / segment.name).exists():  # segments never change: on disk means written
                _write_folder(segments, segment.name, segment.save)
        name = f"gen-{time.time_ns()}-{uuid.uuid4().hex[:8]}"
        manifest = json.dumps(asdict(index.manifest), ensure_ascii=False, indent=1)
        final = _write_folder(self.root, name, lambda d: (d / "manifest.json").write_text(manifest, encoding="utf-8"))
        link_tmp = self.root / f".{_CURRENT}.{uuid.uuid4().hex[:8]}"
        os.symlink(name, link_tmp)
        os.replace(link_tmp, self.root / _CURRENT)
        _fsync_dir(self.root)
        self._collect_garbage(keep=name)
        return final

    def _collect_garbage(self, keep: str) -> None:
        """Drop staging leftovers, all but the newest generations and the segments none of
        those lists.

        The previous generation is kept so a reader that resolved ``current`` just
        before the swap can still finish reading it.
        """
        generations = sorted(p for p in self.root.glob("gen-*") if p.is_dir())
        stale = [p for p in generations if p.name != keep][: max(0, len(generations) - _KEEP_GENERATIONS)]
        stale += list(self.root.glob(".gen-*.tmp")) + list((self.root / _SEGMENTS).glob(".seg-*.tmp"))
        for path in stale:
            shutil.rmtree(path, ignore_errors=True)
        listed = {entry["name"] for generation in self.root.glob("gen-*") for entry in _segments_of(generation)}
        for path in (self.root / _SEGMENTS).glob("seg-*"):
            if path.name not in listed:
                shutil.rmtree(path, ignore_errors=True)


def created_at(generation: Path) -> float | None:
    """When the generation in folder ``generation`` was made (its manifest's ``created_at``),
    or ``None`` when the manifest cannot be read."""
    try:
        return json.loads((generation / "manifest.json").read_text(encoding="utf-8"))["created_at"]
    except (OSError, ValueError, KeyError):
        return None


def _segments_of(generation: Path) -> list[dict]:
    """The segments the manifest in ``generation`` lists (none when it cannot be read)."""
    try:
        return json.loads((generation / "manifest.json").read_text(encoding="utf-8")).get("segments", [])
    except (OSError, ValueError):
        return []


def _write_folder(parent: Path, name: str, write) -> Path:
    """Make ``parent/name`` by ``write(folder)`` into a temporary sibling, synced and renamed into place."""
    staging = parent / f".{name}.tmp"
    staging.mkdir()
    write(staging)
    for path in staging.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    _fsync_dir(staging)
    final = parent / name
    os.rename(staging, final)
    _fsync_dir(parent)
    return final


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
