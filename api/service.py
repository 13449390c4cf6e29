"""The pipeline one server process answers from, and how it changes safely.

* The model and index load once, in a background thread at start-up, followed by one
  warm-up question, so ``/healthz`` answers at once, ``/readyz`` says 503 until loading
  is done, and the first real request is as fast as the rest.
* Writes are serialised: one asyncio lock per process, and the index store's file lock
  across processes. They run in a worker thread; until the pipeline swaps in the new
  generation (one attribute assignment), readers keep answering from the previous one,
  which stays whole in memory, so no request ever sees a half-written index.
* Several worker processes (``rag serve --workers N``) share one index directory, and any
  number of servers one database (``RAG_STORE``). Before each request a worker asks the
  store which generation is live (one ``readlink``, or one small query) and compares it
  with the generation it serves; when another process has committed, it reloads before
  answering (a request that finds another's reload in progress waits for it), so a document
  added through one is visible through all.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Annotated, Callable, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from api import metrics
from api.errors import ApiError
from api.logging import log_event
from api.models import SEED_QUESTION
from rag.index import IndexCorruptError, IndexMismatchError
from rag.pipeline import Pipeline
from rag.settings import Settings

T = TypeVar("T")
#: Seconds a server answers from the generation it holds, without asking the store, after the store failed to answer.
_RETRY_STORE_AFTER = 5.0


class Service:
    """Holds the :class:`~rag.pipeline.Pipeline` once it is loaded; see the module docstring."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.pipeline: Pipeline | None = None
        self.load_error: str | None = None
        self._lock = asyncio.Lock()  # one write or reload at a time
        self._writing = False
        # What named the generation last confirmed to be the one served (its folder, or its
        # id in a database); None forces a check.
        self._confirmed: object = None
        self._unreachable_until = 0.0  # monotonic time before which the store is not asked again

    # -- start-up -------------------------------------------------------------------------

    def start_loading(self) -> None:
        """Load the model and index in a daemon thread; the event loop keeps serving probes."""
        threading.Thread(target=self._load, name="rag-load", daemon=True).start()

    def _load(self) -> None:
        log_event("loading", index_dir=str(self.settings.index_dir), model=self.settings.embedding_model)
        try:
            pipeline = Pipeline.from_config(self.settings)
            # Loads the tokenizer and the ONNX session and fills the answerer's caches.
            pipeline.ask(SEED_QUESTION)
        except Exception as error:  # noqa: BLE001 - whatever it is, /readyz must say so
            self.load_error = f"loading failed: {error}"
            log_event("load_failed", logging.ERROR, exc_info=True)
            return
        metrics.observe_index(pipeline.index)
        self.pipeline = pipeline
        log_event("ready", documents=len(pipeline.index.documents), chunks=len(pipeline.index.chunks))

    # -- serving --------------------------------------------------------------------------

    def loaded(self) -> Pipeline:
        """The pipeline, or 503 while it loads (or when loading failed)."""
        if self.pipeline is None:
            message = self.load_error or "the model and index are still loading; retry in a few seconds"
            raise ApiError(503, "not_ready", message, headers={"Retry-After": "5"})
        return self.pipeline

    async def reader(self) -> Pipeline:
        """The pipeline, first caught up with any generation another process committed."""
        pipeline = self.loaded()
        # While this process writes, the write itself loads the latest generation under the
        # store's lock, so readers go on with the current one instead of waiting. A reload that
        # another request started is waited for: a read after another process's write sees it.
        if not self._writing and await self._check(pipeline):
            async with self._lock:
                if await self._check(pipeline):
                    await run_in_threadpool(self._reload, pipeline)
        return pipeline

    async def _check(self, pipeline: Pipeline) -> bool:
        # A database may keep the question waiting on the network: off the event loop then. A
        # readlink is cheaper than the hand-off to a thread.
        if pipeline.store.remote:
            return await run_in_threadpool(self._stale, pipeline)
        return self._stale(pipeline)

    async def write(self, change: Callable[[Pipeline], T]) -> T:
        """Run ``change(pipeline)`` in a worker thread, one write at a time."""
        pipeline = self.loaded()
        async with self._lock:
            metrics.WRITES_IN_PROGRESS.inc()
            self._writing = True
            try:
                return await run_in_threadpool(change, pipeline)
            finally:
                self._writing = False
                metrics.WRITES_IN_PROGRESS.dec()
                metrics.observe_index(pipeline.index)

    def _stale(self, pipeline: Pipeline) -> bool:
        if time.monotonic() < self._unreachable_until:
            return False
        try:
            current = pipeline.store.current()
        except Exception as error:  # noqa: BLE001 - e.g. the database is unreachable
            # The generation in memory is whole: answer from it, and ask the store again a few
            # seconds later rather than make every request wait for it.
            self._unreachable_until = time.monotonic() + _RETRY_STORE_AFTER
            log_event("store_unreachable", logging.WARNING, error=str(error))
            return False
        if current == self._confirmed:
            return False
        # The link moved: our own write, or another process's. The manifest tells which
        # (read once per new generation, not per request).
        if current is not None and pipeline.store.created_at(current) == pipeline.index.manifest.created_at:
            self._confirmed = current
            return False
        return current is not None

    def _reload(self, pipeline: Pipeline) -> None:
        try:
            pipeline.reload()
        except (IndexCorruptError, IndexMismatchError) as error:
            # E.g. the generation was collected while we read it: keep serving the one we
            # have; the next request tries again.
            log_event("reload_failed", logging.WARNING, error=str(error))
            return
        metrics.observe_index(pipeline.index)
        log_event("reloaded", documents=len(pipeline.index.documents), chunks=len(pipeline.index.chunks))


# -- dependencies ---------------------------------------------------------------------------


# Dependencies are ``async def`` although they never await: FastAPI runs a plain ``def``
# dependency in its thread pool, and the hand-off costs more than the work.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_service(request: Request) -> Service:
    return request.app.state.service


async def reading_pipeline(service: Annotated[Service, Depends(get_service)]) -> Pipeline:
    return await service.reader()


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[Service, Depends(get_service)]
PipelineDep = Annotated[Pipeline, Depends(reading_pipeline)]
