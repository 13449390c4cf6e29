"""The FastAPI application factory and the ``rag serve`` runner."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from importlib.metadata import version
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import metrics
from api.errors import BodyLimitMiddleware, install_error_handlers
from api.logging import REQUEST_ID_HEADER, RequestContextMiddleware, configure_logging
from api.routes import router
from api.routes_pages import router as pages_router
from api.service import Service
from rag.embedding.threads import shared_threads
from rag.settings import Settings

#: Room for multipart boundaries and part headers on top of the largest document.
_MULTIPART_ALLOWANCE = 64 * 1024

_DESCRIPTION = """\
Cited answers over Korean civic documents (news, statutes, ordinances).

* **Offsets**: every `start`/`end` (chunks, citations) indexes the document's normalised
  `text` from `GET /v1/documents/{doc_id}`: `text[start:end]` is exactly the quote.
* **Auth**: writes need `Authorization: Bearer <RAG_API_TOKEN>`; reads are open unless
  `RAG_API_READ_TOKEN` is set.
* **Errors**: every 4xx/5xx body is `{"error": {"code": "...", "message": "..."}}`.
* **Tracing**: every response carries `X-Request-ID` (yours, echoed, if you send one).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for ``settings`` (by default from ``RAG_*`` environment variables).

    The model and index start loading when the server starts (the lifespan), not here,
    so building the app is cheap.
    """
    settings = settings or Settings()
    configure_logging()
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The pool that runs every blocking handler and pipeline call of this process.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        service.start_loading()
        yield
        metrics.process_exited()

    app = FastAPI(title="rag-ko", version=version("rag-ko"), description=_DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.service = service
    install_error_handlers(app)
    app.include_router(router)
    app.include_router(pages_router)  # the chat and document pages, outside the schema
    app.openapi = _openapi_with_limits(app, settings)
    # add_middleware wraps what is there: the last one added sees the request first.
    app.add_middleware(
        BodyLimitMiddleware, limit=settings.max_upload_bytes + _MULTIPART_ALLOWANCE,
        max_upload_bytes=settings.max_upload_bytes,
    )
    if settings.cors_origins:
        # Outside the body limit, so a browser can read a 413 too.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER],
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware)
    return app


def _openapi_with_limits(app: FastAPI, settings: Settings) -> Callable[[], dict[str, Any]]:
    """FastAPI's schema plus the configured question length, which models cannot know."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            for model, field in (("AskRequest", "question"), ("SearchRequest", "query")):
                schema["components"]["schemas"][model]["properties"][field]["maxLength"] = settings.max_question_chars
        return app.openapi_schema

    return openapi


def serve(host: str, port: int, workers: int) -> None:
    """Run the API under uvicorn until interrupted; see :mod:`api.service` for workers."""
    import uvicorn

    with _shared_metrics(workers), _shared_cpus(workers):
        uvicorn.run(
            "api.app:create_app", factory=True, host=host, port=port, workers=workers,
            access_log=False,  # RequestContextMiddleware logs every request as JSON already
            # Loading the tokenizer and the ONNX session holds the GIL for seconds at a time,
            # during which a worker cannot answer the supervisor's 5 s ping and would be
            # restarted over and over.
            timeout_worker_healthcheck=60,
        )


@contextmanager
def _shared_cpus(workers: int) -> Iterator[None]:
    """``RAG_THREADS`` for the spawned workers, unless set: the available CPUs shared among them.

    Workers that each sized their thread pools by every CPU fought over the cores: 2 workers on
    2 cores, 16 clients, answer cache off, 112 req/s with p99 299 ms; one thread each, 124 req/s
    with p99 203 ms (bench/results, 2026-12-04)."""
    if workers == 1:
        yield
        return
    with _inherited("RAG_THREADS", str(shared_threads(workers))):
        yield


@contextmanager
def _shared_metrics(workers: int) -> Iterator[None]:
    """A folder for prometheus-client's multi-process mode while several workers run."""
    if workers == 1 or metrics.MULTIPROCESS_DIR_ENV in os.environ:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="rag-metrics-") as folder, _inherited(metrics.MULTIPROCESS_DIR_ENV, folder):
        yield


@contextmanager
def _inherited(name: str, value: str) -> Iterator[None]:
    """``name=value`` in the environment the spawned workers inherit, unless the operator set it."""
    if name in os.environ:
        yield
        return
    os.environ[name] = value
    try:
        yield
    finally:
        del os.environ[name]
