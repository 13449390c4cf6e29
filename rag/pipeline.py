"""The public entry point: one object that ingests, searches and answers.

The CLI and the HTTP API only translate their inputs into calls on :class:`Pipeline`.
"""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from rag.answer.answerer import Answerer
from rag.answer.assemble import unindexed_abstention, with_implementations
from rag.answer.definitions import defined_terms, read_question
from rag.answer.kinds import PASSAGE_KINDS
from rag.answer.models import Answer, Timings
from rag.answer.question import QuestionAnalysis
from rag.answerers import answerer_mode, build_answerer
from rag.article_encoder import article_queries
from rag.articles import ArticleHit
from rag.cache import LRUCache
from rag.chunking import Chunker, ChunkerConfig
from rag.conversation import Turn, resolve
from rag.documents import Document
from rag.index import Index, IndexMismatchError, Manifest
from rag.inputs import DocumentNotFoundError, checked, known_doc_ids, validate_doc_id
from rag.lexical import tokenizer_id
from rag.mentions import Mentions
from rag.reader.answerer import ReaderAnswerer
from rag.retrieval import FusionConfig, Mode, Retriever, SearchHit
from rag.settings import Settings
from rag.stores import open_analyses, open_store
from rag.writing import IngestReport, ProgressCallback, new_segment

if TYPE_CHECKING:
    from rag.embedding import Embedder

@dataclass(frozen=True)
class Retrieval:
    """What an answer is read from: the hits, the documents the question names, the
    documents of the index generation the hits come from, and the question's analysis when
    retrieval read it (:meth:`Pipeline.retrieve`), so that the answerer need not again."""

    hits: list[SearchHit]
    mentions: Mentions
    documents: Mapping[str, Document]
    analysis: QuestionAnalysis | None = None


class Pipeline:
    """Documents in, ranked chunks and cited answers out, over one on-disk index."""

    def __init__(self, settings: Settings, embedder: Embedder, rebuild: bool = False):
        """``rebuild`` opens an index built with another model, chunker or tokenizer as empty
        instead of refusing it, so that ``add_documents(..., replace=True)`` can build it
        again (``rag ingest --replace``); any other write to such an index is still refused."""
        self.settings = settings
        self.embedder = embedder
        self.chunker = Chunker(ChunkerConfig(size=settings.chunk_size, overlap=settings.chunk_overlap))
        self.fusion = FusionConfig(
            settings.dense_candidates, settings.bm25_candidates, settings.rrf_k, settings.bm25_weight
        )
        self.store = open_store(settings)
        self.analyses = open_analyses(settings, self.store)
        self._answerer: Answerer | ReaderAnswerer | None = None
        self._answerer_lock = threading.Lock()
        self.answers: LRUCache[Answer] = LRUCache(settings.answer_cache)
        self._retriever: Retriever | None = None
        self._generation = 0  # bumped whenever another index is served
        self._rebuild = rebuild
        self._serve(self._load_index(rebuild))

    @classmethod
    def from_config(cls, settings: Settings | None = None, rebuild: bool = False) -> Pipeline:
        """Build a pipeline from settings (by default from ``RAG_*`` environment variables).

        Raises :class:`rag.index.IndexMismatchError` when the index on disk was built
        with another model or chunker, unless ``rebuild`` (see :class:`Pipeline`).
        """
        from rag.embedding import Embedder

        settings = settings or Settings()
        embedder = Embedder.from_name(
            settings.embedding_model, batch_size=settings.embed_batch_size, engine=settings.embed_engine,
            threads=settings.threads,
            # The reader's batch follows the query's embedding on the same cores: spinning threads would
            # take them (civic index, reader p50 20.1 -> 14.4 ms); the rules gain from it.
            spinning=answerer_mode(settings) == "rules",
        )
        return cls(settings, embedder, rebuild)

    @property
    def answerer(self) -> Answerer | ReaderAnswerer:
        """What answers questions (:func:`rag.answerers.build_answerer`), loaded on first use: ingesting needs no reader."""
        if self._answerer is None:
            with self._answerer_lock:
                if self._answerer is None:
                    self._answerer = build_answerer(self.settings, self.analyses)
        return self._answerer

    # -- reading -----------------------------------------------------------------------

    @property
    def retriever(self) -> Retriever:
        """The retriever of the index generation currently served."""
        return self._retriever

    @property
    def index(self) -> Index:
        """The index generation currently served."""
        return self._retriever.index

    def search(self, query: str, k: int | None = None, mode: Mode = "hybrid") -> list[SearchHit]:
        """Rank chunks for ``query``; ``mode`` picks hybrid, dense-only or BM25-only.

        Chunks of the documents the query names (인공지능기본법에서 …) rank first.
        """
        return self.retrieve(checked(query, "query"), k or self.settings.search_k, mode=mode).hits

    def ask(
        self, question: str, k: int | None = None, doc_ids: Iterable[str] | None = None,
        question_id: str | None = None, history: Sequence[Turn] = (),
    ) -> Answer:
        """Answer ``question`` with a span of the indexed text and its citations, or abstain.

        ``k``: chunks the answerer reads (default ``settings.answer_hits``); ``doc_ids``: only these, all indexed;
        ``history`` (earlier turns, oldest first): what a follow-up is about (:mod:`rag.conversation`), its readings
        answered until one does not abstain. Statute citations name the decree articles implementing them.
        """
        question = checked(question, "question")
        doc_ids = None if doc_ids is None else known_doc_ids(doc_ids, self._retriever.index.documents)
        key = self._answer_key(question, k, doc_ids, history)
        cached = self._cached(key, question_id)
        if cached is not None:
            return cached
        started = time.perf_counter()
        answers = []
        for reading in resolve(question, history, self._retriever.index.names).readings:
            answers.append(self._answer(reading, k, doc_ids, question_id).model_copy(
                update={"question": question, "resolved_question": reading}))
            if not answers[-1].abstained:
                break
        # When every reading abstains, the preferred one's abstention stands.
        answer = answers[-1] if not answers[-1].abstained else answers[0]
        if len(answers) > 1:
            total = round((time.perf_counter() - started) * 1000, 3)
            answer = answer.model_copy(update={"timings_ms": answer.timings_ms.model_copy(update={"total": total})})
        self.answers.put(key, answer)
        return answer

    def _answer(self, question: str, k: int | None, doc_ids: Iterable[str] | None, question_id: str | None) -> Answer:
        started = time.perf_counter()
        retrieval = self.retrieve(question, k, doc_ids, answering=True)
        retrieve_ms = (time.perf_counter() - started) * 1000
        mentions = retrieval.mentions
        if mentions.only_unindexed(hit.chunk.text for hit in retrieval.hits):
            analysis = retrieval.analysis or read_question(question, retrieval.documents, mentions)
            answer = unindexed_abstention(analysis, question_id, list(mentions.unindexed))
        else:
            answer = self.answerer.answer(question, retrieval.hits, retrieval.documents, question_id=question_id,
                                          hits_read=len(retrieval.hits), mentions=mentions, analysis=retrieval.analysis)
            answer = with_implementations(answer, self._retriever.index.references, retrieval.documents)
            if mentions.unindexed:
                answer = answer.model_copy(update={"unindexed_statutes": list(mentions.unindexed)})
        return answer.with_retrieval_time(round(retrieve_ms, 3))

    def cached_answer(
        self, question: str, k: int | None = None, doc_ids: Iterable[str] | None = None,
        question_id: str | None = None, history: Sequence[Turn] = (),
    ) -> Answer | None:
        """What :meth:`ask` would return from its answer cache, or ``None`` when it would have to work.

        Never blocks, so an event loop may call it before handing a miss to a thread.
        """
        return self._cached(self._answer_key(checked(question, "question"), k, doc_ids, history), question_id)

    def _cached(self, key: tuple, question_id: str | None) -> Answer | None:
        started = time.perf_counter()
        cached = self.answers.get(key)
        if cached is None:
            return None
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        return cached.model_copy(update={"id": question_id, "timings_ms": Timings(answer=elapsed, total=elapsed)})

    def _answer_key(self, question: str, k: int | None, doc_ids: Iterable[str] | None,
                    history: Sequence[Turn] = ()) -> tuple:
        # Keyed by the generation the answer was computed from; a write bumps the
        # generation, so entries from before it can never be returned again.
        return (self._generation, question, k or self.settings.answer_hits,
                None if doc_ids is None else tuple(sorted(set(doc_ids))), tuple(history))

    def retrieve(self, question: str, k: int | None = None, doc_ids: Iterable[str] | None = None,
                 mode: Mode = "hybrid", answering: bool = False) -> Retrieval:
        """The chunks :meth:`ask` reads for ``question``, best first, from one index generation.

        Documents the question names (:mod:`rag.mentions`) are read first; ``doc_ids``
        keeps only those documents. ``answering``: the chunks are for the answerer, which
        reads a question asking for a passage from the best article units unless
        ``settings.article_units`` says otherwise. A statute answers those by an article, and
        units found the gold article first more often than the fused chunks on the civic and
        inquiry sets; short facts keep the fused chunks, which ranked the news article's prose
        better (README).
        """
        k = k or self.settings.answer_hits
        retriever = self._retriever  # one generation for the whole question, even if a write swaps it
        documents = retriever.index.documents
        mentions = retriever.index.names.mentions(question)
        named, query = mentions.doc_ids, mentions.search_text(question)
        # What the question asks decides, for the answerer, when the setting leaves it open.
        analysis = read_question(question, documents, mentions) \
            if answering and self.settings.article_units is None else None
        units = bool(self.settings.article_units) if analysis is None else analysis.answer_kind in PASSAGE_KINDS
        # Article units rank both retrievers' chunks themselves: they stand in for hybrid fusion only.
        by_articles = units and mode == "hybrid"
        search = retriever.search_by_articles if by_articles else (lambda text, n: retriever.search(text, n, mode))
        if doc_ids is None and not named:
            hits = search(query, k)
        else:
            depth = max(self.fusion.dense_candidates, self.fusion.bm25_candidates, k)
            hits = search(query, depth)
            if doc_ids is not None:
                allowed = set(doc_ids)
                hits = [h for h in hits if h.chunk.doc_id in allowed]
            # A stable sort keeps the ranking within the named and the other documents.
            hits = sorted(hits, key=lambda h: h.chunk.doc_id not in named)[:k]
        return Retrieval(hits, mentions, documents, analysis)

    def search_articles(self, query: str, k: int | None = None) -> list[ArticleHit]:
        """Rank article units (:mod:`rag.articles`) for ``query``; those of the documents it names first."""
        retriever = self._retriever
        query = checked(query, "query")
        mentions = retriever.index.names.mentions(query)
        k = k or self.settings.search_k
        # With named documents every unit is ranked, so theirs can move up from anywhere.
        units = retriever.search_articles(mentions.search_text(query), None if mentions.doc_ids else k)
        # A stable sort keeps the learned order within the named and the other documents.
        return sorted(units, key=lambda unit: unit.doc_id not in mentions.doc_ids)[:k]

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait seconds for: Kiwi, the query encoder, the reader
        and the terms the statutes define (:mod:`rag.answer.definitions`: one pass over each statute's text)."""
        self.ask("무엇인가?")
        for document in self.index.documents.values():
            defined_terms(document)

    def documents(self) -> list[Document]:
        """All indexed documents, by id."""
        return sorted(self.index.documents.values(), key=lambda d: d.doc_id)

    def document(self, doc_id: str) -> Document:
        """One document with its normalised text; :class:`DocumentNotFoundError` if absent."""
        try:
            return self.index.documents[doc_id]
        except KeyError:
            raise DocumentNotFoundError(doc_id) from None

    def reload(self) -> None:
        """Pick up a generation another process committed (parsing only what it changed)."""
        self._serve(self._load_index(reuse=self.index))

    # -- writing -----------------------------------------------------------------------

    def add_documents(
        self, documents: Iterable[Document], replace: bool = False, progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Index ``documents``; unchanged ones are skipped, changed ones re-chunked.

        With ``replace=True`` every document not in ``documents`` is removed, which
        rebuilds the index from exactly this set.
        """
        documents = list(documents)
        seen: set[str] = set()
        for doc in documents:
            validate_doc_id(doc.doc_id)
            if doc.doc_id in seen:
                raise ValueError(f"document id {doc.doc_id!r} appears twice in one ingest")
            seen.add(doc.doc_id)
        with self.store.write_lock():
            current = self._committed(replace and self._rebuild)
            return self._write(current, documents, drop=set(), replace=replace, progress=progress)

    def delete_document(self, doc_id: str) -> None:
        """Remove one document and its chunks; :class:`DocumentNotFoundError` if absent."""
        with self.store.write_lock():
            current = self._committed()
            if doc_id not in current.documents:
                raise DocumentNotFoundError(doc_id)
            self._write(current, [], drop={doc_id}, replace=False, progress=None)

    def optimize(self) -> tuple[int, int]:
        """Fold the index's segments into one, without the chunks later writes deleted
        (``rag index optimize``); the number of segments before and after."""
        with self.store.write_lock():
            current = self._committed()
            if len(current.segments) <= 1 and not any(current.deleted.values()):
                return len(current.segments), len(current.segments)
            index = Index(self._new_manifest(), current.segments, current.deleted)
            index = index.merged(index.segments)
            self.store.commit(index)
            self._serve(index)
            return len(current.segments), len(index.segments)

    def _committed(self, rebuild: bool = False) -> Index:
        """The committed index, under the write lock: the one served unless another process
        has written since (then read again; see :meth:`_load_index` for ``rebuild``)."""
        served = self.index
        return served if self.store.is_current(served) else self._load_index(rebuild, reuse=served)

    def _write(self, current: Index, documents: list[Document], drop: set[str], replace: bool,
               progress: ProgressCallback | None) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        incoming = {d.doc_id: d for d in documents}
        kept = {
            doc_id: doc
            for doc_id, doc in current.documents.items()
            if not (replace and doc_id not in incoming) and doc_id not in drop
        }
        report.removed = sorted(set(current.documents) - set(kept))
        fresh = []
        for doc in documents:
            old = current.documents.get(doc.doc_id)
            if old is not None and old.content_hash == doc.content_hash:
                report.unchanged.append(doc.doc_id)
                continue
            (report.updated if old is not None else report.added).append(doc.doc_id)
            kept[doc.doc_id] = doc
            fresh.append(doc)
        if not (fresh or report.removed):
            if self._analyse(current.documents.values(), progress):  # analyses of another version are redone
                self.analyses.keep_only(d.content_hash for d in current.documents.values())
            self._serve(current)
            report.total_chunks = len(current.chunks)
            report.seconds = time.perf_counter() - started
            return report

        self._analyse(kept.values(), progress)
        added = new_segment(fresh, self.chunker, self.embedder, progress)
        if progress:
            progress("writing", 0, 1)
        index = current.written(self._new_manifest(), added, {d.doc_id for d in fresh} | set(report.removed))
        self.store.commit(index)
        # A reader may still be answering from the generation before this one.
        self.analyses.keep_only({d.content_hash for d in kept.values()} |
                                {d.content_hash for d in current.documents.values()})
        if progress:
            progress("writing", 1, 1)
        self._serve(index)
        report.chunks_embedded = len(added.chunks) if added else 0
        report.total_chunks = len(index.chunks)
        report.seconds = time.perf_counter() - started
        return report

    def _analyse(self, documents: Iterable[Document], progress: ProgressCallback | None) -> int:
        """Store the sentence and candidate analysis of each document that lacks one
        (:mod:`rag.answer.analysis`), so that answering from it never waits for Kiwi; how many."""
        missing = self.analyses.missing(documents)
        for n, doc in enumerate(missing, start=1):
            self.analyses.write(doc)
            if progress:
                progress("analysing", n, len(missing))
        return len(missing)

    def _serve(self, index: Index) -> None:
        """Answer from ``index`` from now on; answers cached from another generation are stale."""
        if self._retriever is None or self._retriever.index is not index:
            adapter = article_queries(self.settings, self.embedder.model_id, self.embedder.dim)
            self._retriever = Retriever(index, self.embedder, self.fusion, adapter=adapter)
            self._generation += 1
            self.answers.clear()
            # An index is a million objects at 170,000 chunks (each chunk's tokens, its line),
            # none of them garbage: a full collection that walks them stops every request for
            # 0.6-0.8 s. Frozen, the collector skips them; what a later generation drops is
            # still freed by reference counting (bench/results).
            gc.freeze()

    def _new_manifest(self) -> Manifest:
        return Manifest(
            model_id=self.embedder.model_id,
            model_fingerprint=self.embedder.fingerprint,
            dim=self.embedder.dim,
            chunker=asdict(self.chunker.config),
            tokenizer=tokenizer_id(),
        )

    def _load_index(self, rebuild: bool = False, reuse: Index | None = None) -> Index:
        """The committed index (``reuse``: see :meth:`Index.load`); with ``rebuild``, an incompatible one reads as empty."""
        index = self.store.load(reuse)
        if index is not None:
            try:
                index.manifest.check_compatible(
                    self.embedder.model_id, self.embedder.fingerprint, self.chunker.config, self.store.root
                )
                return index
            except IndexMismatchError:
                if not rebuild:
                    raise
        return Index(self._new_manifest(), [])
