"""Where the index lives (``RAG_STORE``): files in ``RAG_INDEX_DIR``, or a PostgreSQL database.

Both hold the same generations of immutable segments (:mod:`rag.index`) and the document
analyses the answerer reads (:mod:`rag.answer.analysis`); the pipeline does not know which
one it writes to. With a database, ``RAG_INDEX_DIR`` only caches the analyses a serving
process has read (files named by content hash, fetched from the database once).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from rag.answer.analysis import ANALYSIS_VERSION, AnalysisStore, DocumentAnalysis, analyse
from rag.documents import Document
from rag.index import IndexStore
from rag.index.postgres import PostgresStore
from rag.settings import Settings


def open_store(settings: Settings) -> IndexStore | PostgresStore:
    """The index store ``settings.store`` names."""
    if settings.store == "embedded":
        return IndexStore(settings.index_dir)
    return PostgresStore(settings.store)


def open_analyses(settings: Settings, store: IndexStore | PostgresStore) -> AnalysisStore:
    """The document analyses beside ``store``: its folder's, or the database's cached in ``settings.index_dir``."""
    if isinstance(store, PostgresStore):
        return DatabaseAnalysisStore(store, settings.index_dir)
    return AnalysisStore(settings.index_dir)


class DatabaseAnalysisStore(AnalysisStore):
    """Analyses kept in the database (every process writes and reads the same ones), each read
    from a local copy: the file of :class:`AnalysisStore`, fetched once."""

    def __init__(self, database: PostgresStore, cache_dir: Path):
        super().__init__(cache_dir)
        self.database = database

    def has(self, doc: Document) -> bool:
        return super().has(doc) or not self.missing([doc])

    def missing(self, documents: Iterable[Document]) -> list[Document]:
        # One query for all of them: a write checks every document of the index.
        documents = list(documents)
        stored = self.database.stored_analyses(ANALYSIS_VERSION, {doc.content_hash for doc in documents})
        return [doc for doc in documents if doc.content_hash not in stored]

    def write(self, doc: Document) -> None:
        data = analyse(doc)
        self.database.put_analysis(ANALYSIS_VERSION, doc.content_hash, data)
        self._save(doc.content_hash, data)

    def get(self, doc: Document) -> DocumentAnalysis | None:
        if not super().has(doc):
            data = self.database.analysis(ANALYSIS_VERSION, doc.content_hash)
            if data is None:
                return None
            self._save(doc.content_hash, data)
        return super().get(doc)

    def keep_only(self, content_hashes: Iterable[str]) -> None:
        keep = set(content_hashes)
        self.database.keep_analyses(ANALYSIS_VERSION, keep)
        super().keep_only(keep)
