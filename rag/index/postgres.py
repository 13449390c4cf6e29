"""The index's generations and segments in PostgreSQL, for several serving processes on several machines.

:class:`PostgresStore` does what :class:`rag.index.IndexStore` does on a folder, in a database
(``RAG_STORE=postgresql://…``): the same immutable segments (documents, chunks with their
BM25 tokens, vectors as pgvector ``vector`` values) and the same generations (each a manifest
listing its segments), so any number of ``rag serve`` processes, wherever they run, serve one
index. Each process reads the generation into memory and searches it there exactly as it would
a folder's (FAISS and :mod:`rag.bm25`): rankings and scores are the embedded store's.

* A commit is one transaction: the segments the generation adds, its manifest, and the removal
  of generations and segments no longer needed. A writer killed half-way leaves the previous
  generation, and readers see the new one whole as soon as it commits.
* Writers are serialised by a session-level advisory lock, held for a whole write (reading the
  committed generation, embedding, committing); a killed writer's connection closes and the
  lock goes with it. Readers never wait.
* ``current()`` is one indexed query for the newest generation's id; a serving process asks it
  before each request and reloads only the segments it does not hold yet.

Tables (created by :meth:`PostgresStore.initialise`, versioned in ``rag_schema``)::

    rag_segment(name)                                   one row per segment
    rag_document(segment, position, doc_id, line)       Document.json_line
    rag_chunk(segment, position, line, embedding)       IndexedChunk.json_line, vector
    rag_generation(id, created_at, manifest)            the newest is the live one
    rag_analysis(version, content_hash, body)           rag.answer.analysis files, by content hash
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import asdict
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from rag.bm25 import Postings
from rag.documents import Document
from rag.index.generation import Index
from rag.index.manifest import IndexCorruptError, Manifest
from rag.index.segment import IndexedChunk, Segment, flat_index

SCHEMA_VERSION = 1
#: Generations kept: the live one and the one before, which a reader may still be loading.
_KEEP_GENERATIONS = 2
_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS rag_schema (version integer NOT NULL);
CREATE TABLE IF NOT EXISTS rag_segment (name text PRIMARY KEY);
CREATE TABLE IF NOT EXISTS rag_document (
    segment text NOT NULL REFERENCES rag_segment (name) ON DELETE CASCADE,
    position integer NOT NULL,
    doc_id text NOT NULL,
    line text NOT NULL,
    PRIMARY KEY (segment, position));
CREATE TABLE IF NOT EXISTS rag_chunk (
    segment text NOT NULL REFERENCES rag_segment (name) ON DELETE CASCADE,
    position integer NOT NULL,
    line text NOT NULL,
    embedding vector NOT NULL,
    PRIMARY KEY (segment, position));
CREATE TABLE IF NOT EXISTS rag_generation (
    id bigserial PRIMARY KEY,
    created_at double precision NOT NULL,
    manifest jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS rag_analysis (
    version text NOT NULL,
    content_hash text NOT NULL,
    body bytea NOT NULL,
    PRIMARY KEY (version, content_hash));
"""


class StoreUnavailableError(RuntimeError):
    """The database ``RAG_STORE`` names cannot be reached."""


def redacted(dsn: str) -> str:
    """``dsn`` without its password, for messages and logs."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresStore:
    """Generations of an :class:`Index` in the PostgreSQL database at ``dsn`` (see the module docstring)."""

    #: Asking which generation is live may wait on the network.
    remote = True

    def __init__(self, dsn: str):
        try:
            from psycopg_pool import ConnectionPool
        except ImportError as error:  # pragma: no cover - the extra is not installed
            raise RuntimeError("RAG_STORE=postgresql://… needs psycopg, psycopg-pool and pgvector: "
                               "pip install -e '.[postgres]'") from error
        self.dsn = dsn
        self.root = redacted(dsn)  # where the index is, as messages name it
        # The advisory lock's key: one per database, whatever else shares it.
        self._lock_key = int.from_bytes(hashlib.sha256(b"rag-index-write").digest()[:8], "big", signed=True)
        # The tables first: the pool's connections look up the vector type as they open.
        self.initialise()
        # A request waits at most a few seconds for a connection: a server whose database is gone
        # goes on answering from the generation it holds (api/service.py) instead of hanging. Each
        # connection is checked as it is handed out (one round trip): one the server closed, after a
        # restart or a failover, is replaced instead of failing the request.
        self._pool = ConnectionPool(dsn, min_size=1, max_size=4, configure=_configure, open=True, timeout=3,
                                    check=ConnectionPool.check_connection)

    def close(self) -> None:
        """Close the pool's connections."""
        self._pool.close()

    def initialise(self) -> None:
        """Create the tables when missing; refuse a database of another schema version. A
        database that has them is only read here, so a read-only replica serves too."""
        import psycopg

        try:
            connection = psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as error:
            # psycopg's message spans lines (a hint after the reason): one line here.
            reason = " ".join(str(error).split())
            raise StoreUnavailableError(f"cannot reach the index's database at {self.root}: {reason}") from error
        with connection:
            found = connection.execute("SELECT to_regclass('rag_schema') IS NOT NULL").fetchone()[0]
            if not found:
                with connection.transaction():
                    # Two processes starting on an empty database: one creates, the other waits.
                    connection.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key - 1,))
                    connection.execute(_SCHEMA)
                    if connection.execute("SELECT count(*) FROM rag_schema").fetchone()[0] == 0:
                        connection.execute("INSERT INTO rag_schema VALUES (%s)", (SCHEMA_VERSION,))
            version = connection.execute("SELECT version FROM rag_schema").fetchone()[0]
        if version != SCHEMA_VERSION:
            raise IndexCorruptError(f"{self.root} holds index tables of schema {version}; this version reads {SCHEMA_VERSION}")

    # -- reading ---------------------------------------------------------------------------

    def current(self) -> int | None:
        """The live generation's id, or ``None`` before the first write."""
        with self._pool.connection() as connection:
            row = connection.execute("SELECT max(id) FROM rag_generation").fetchone()
        return row[0]

    def created_at(self, generation: int) -> float | None:
        """When generation ``generation`` was made, or ``None`` when it is gone."""
        with self._pool.connection() as connection:
            row = connection.execute("SELECT created_at FROM rag_generation WHERE id = %s", (generation,)).fetchone()
        return None if row is None else row[0]

    def is_current(self, index: Index) -> bool:
        """Whether ``index`` is the live generation (one small query)."""
        with self._pool.connection() as connection:
            row = connection.execute("SELECT created_at FROM rag_generation ORDER BY id DESC LIMIT 1").fetchone()
        return row is not None and row[0] == index.manifest.created_at

    def load(self, reuse: Index | None = None) -> Index | None:
        """The live generation, or ``None`` before the first write; segments ``reuse`` holds are
        taken from it. Read in one repeatable-read transaction: a commit meanwhile is not seen
        half."""
        held = {s.name: s for s in reuse.segments} if reuse else {}
        with self._pool.connection() as connection:
            with connection.transaction():
                connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                row = connection.execute("SELECT manifest FROM rag_generation ORDER BY id DESC LIMIT 1").fetchone()
                if row is None:
                    return None
                try:
                    manifest = Manifest(**row[0])
                    segments = [held.get(entry["name"]) or _read_segment(connection, entry["name"], manifest.dim)
                                for entry in manifest.segments]
                except (ValueError, KeyError, TypeError) as error:
                    raise IndexCorruptError(f"cannot read the index at {self.root}: {error}") from error
        return Index(manifest, segments, {e["name"]: frozenset(e["deleted"]) for e in manifest.segments})

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Serialise writers across processes and machines (readers never wait)."""
        with self._pool.connection() as connection:
            connection.execute("SELECT pg_advisory_lock(%s)", (self._lock_key,))
            try:
                yield
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s)", (self._lock_key,))

    def commit(self, index: Index) -> int:
        """Write the segments ``index`` adds and its manifest as the live generation, in one
        transaction, and drop what no kept generation needs. Call it holding :meth:`write_lock`."""
        from psycopg.types.json import Jsonb

        manifest = Jsonb(asdict(index.manifest))
        with self._pool.connection() as connection:
            with connection.transaction():
                stored = {name for (name,) in connection.execute("SELECT name FROM rag_segment")}
                for segment in index.segments:
                    if segment.name in stored:  # segments never change: stored means written
                        continue
                    connection.execute("INSERT INTO rag_segment VALUES (%s)", (segment.name,))
                    with connection.cursor() as cursor:
                        cursor.executemany("INSERT INTO rag_document VALUES (%s, %s, %s, %s)",
                                           [(segment.name, n, doc.doc_id, doc.json_line)
                                            for n, doc in enumerate(segment.documents.values())])
                        vectors = segment.vectors.reconstruct_n(0, segment.vectors.ntotal) if segment.chunks else []
                        cursor.executemany("INSERT INTO rag_chunk VALUES (%s, %s, %s, %s)",
                                           [(segment.name, n, item.json_line, vector)
                                            for n, (item, vector) in enumerate(zip(segment.chunks, vectors))])
                generation = connection.execute(
                    "INSERT INTO rag_generation (created_at, manifest) VALUES (%s, %s) RETURNING id",
                    (index.manifest.created_at, manifest)).fetchone()[0]
                connection.execute("DELETE FROM rag_generation WHERE id <= %s", (generation - _KEEP_GENERATIONS,))
                connection.execute(
                    "DELETE FROM rag_segment WHERE name NOT IN (SELECT jsonb_array_elements(manifest->'segments')->>'name' "
                    "FROM rag_generation)")
        return generation

    # -- document analyses -----------------------------------------------------------------

    def analysis(self, version: str, content_hash: str) -> bytes | None:
        """The stored analysis of a text (:mod:`rag.answer.analysis`), or ``None``."""
        with self._pool.connection() as connection:
            row = connection.execute("SELECT body FROM rag_analysis WHERE version = %s AND content_hash = %s",
                                     (version, content_hash)).fetchone()
        return None if row is None else bytes(row[0])

    def stored_analyses(self, version: str, content_hashes: set[str]) -> set[str]:
        """Which of ``content_hashes`` have a stored analysis of ``version``."""
        with self._pool.connection() as connection:
            return {h for (h,) in connection.execute(
                "SELECT content_hash FROM rag_analysis WHERE version = %s AND content_hash = ANY(%s)",
                (version, list(content_hashes)))}

    def put_analysis(self, version: str, content_hash: str, body: bytes) -> None:
        with self._pool.connection() as connection:
            connection.execute("INSERT INTO rag_analysis VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                               (version, content_hash, body))

    def keep_analyses(self, version: str, content_hashes: set[str]) -> None:
        """Delete the analyses of other versions and of texts not in ``content_hashes``."""
        with self._pool.connection() as connection:
            connection.execute("DELETE FROM rag_analysis WHERE version <> %s OR NOT (content_hash = ANY(%s))",
                               (version, list(content_hashes)))


def _configure(connection) -> None:
    from pgvector.psycopg import register_vector

    connection.autocommit = True  # each statement alone, unless inside connection.transaction()
    register_vector(connection)


def _read_segment(connection, name: str, dim: int) -> Segment:
    documents = {d.doc_id: d for d in (Document.from_json_line(line) for (line,) in connection.execute(
        "SELECT line FROM rag_document WHERE segment = %s ORDER BY position", (name,)))}
    rows = connection.execute("SELECT line, embedding FROM rag_chunk WHERE segment = %s ORDER BY position",
                              (name,)).fetchall()
    chunks = [IndexedChunk.from_json_line(line) for line, _ in rows]
    vectors = np.asarray([vector.to_numpy() for _, vector in rows], dtype=np.float32).reshape(len(rows), dim)
    return Segment(name, documents, chunks, flat_index(vectors, dim), Postings.of([c.tokens for c in chunks]))
