"""The endpoints: each one validates its input, makes one :class:`~rag.pipeline.Pipeline`
call and shapes the result.

Reads are plain ``def`` endpoints, so FastAPI runs them in its thread pool and a slow
question never blocks the event loop; ``/v1/ask`` serves cached answers on the loop and
sends the rest to the pool. Writes go through :meth:`Service.write`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api import metrics
from api.auth import require_reader, require_writer
from api.errors import ApiError, describe_errors, invalid_json, invalid_utf8, responses
from api.models import (
    ArticleResult,
    ArticleSearchResponse,
    AskRequest,
    DocumentDetail,
    DocumentIn,
    DocumentPage,
    DocumentSummary,
    DocumentWritten,
    Health,
    Readiness,
    SearchRequest,
    SearchResponse,
    SearchResult,
)
from api.service import PipelineDep, ServiceDep, SettingsDep
from rag.answer.models import Answer
from rag.documents import Document, normalize_text, slugify
from rag.index import Index
from rag.loaders import SUPPORTED_EXTENSIONS, LoaderError, UnsupportedFormatError, load_bytes
from rag.inputs import DocumentNotFoundError, validate_doc_id
from rag.pipeline import Pipeline
from rag.settings import Settings

router = APIRouter()
#: Response header of ``/v1/ask``: ``hit`` when the answer came from the answer cache, else ``miss``
#: (load tests count cache hits with it, so uncached figures can be told from cached ones).
CACHE_HEADER = "X-Answer-Cache"

_READERS = [Depends(require_reader)]
_WRITERS = [Depends(require_writer)]

# POST /v1/documents takes JSON or a multipart upload; FastAPI can declare only one body
# type per route, so the body is parsed here and both forms are described explicitly.
_DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": DocumentIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string", "format": "binary",
                            "description": f"The document, one of {', '.join(SUPPORTED_EXTENSIONS)} "
                            "(.xml: 국가법령정보센터 law XML).",
                        },
                        "id": {
                            "type": "string",
                            "description": "Document id; by default the front-matter id, else a slug of the file name.",
                        },
                    },
                }
            },
        },
    }
}


# -- questions ----------------------------------------------------------------------------


@router.post(
    "/v1/ask", tags=["questions"], summary="Answer a question with citations",
    dependencies=_READERS, responses=responses(400, 401, 403, 413, 422, 503),
)
async def ask(body: AskRequest, request: Request, response: Response, pipeline: PipelineDep,
              settings: SettingsDep) -> Answer:
    """An extractive answer whose citations quote the stored text exactly
    (``document.text[start:end] == quote``), or an abstention (``answer`` null) when the
    evidence is weak. Instructions inside the question are treated as plain text. With
    ``history``, a follow-up is read with the conversation's topic (``resolved_question``).
    The ``X-Answer-Cache`` header says whether the answer came from the answer cache (``hit``)
    or was worked out (``miss``)."""
    _check_length("question", body.question, settings)
    for turn in body.history:
        _check_length("history question", turn.question, settings)
    history = body.turns()
    with _refused_input():
        # A repeated question is answered from the cache without leaving the event loop;
        # only real work goes to the thread pool.
        answer = pipeline.cached_answer(body.question, body.top_k, body.doc_ids, history=history)
        response.headers[CACHE_HEADER] = "miss" if answer is None else "hit"
        answer = answer or await run_in_threadpool(pipeline.ask, body.question, body.top_k, body.doc_ids,
                                                   history=history)
    request.state.abstained = answer.abstained  # for the access log line
    if answer.abstained:
        metrics.ABSTENTIONS.inc()
    return answer


@router.post(
    "/v1/search", tags=["questions"], summary="Rank chunks for a query",
    dependencies=_READERS, responses=responses(400, 401, 403, 413, 422, 503),
)
def search(body: SearchRequest, pipeline: PipelineDep, settings: SettingsDep) -> SearchResponse:
    """Hybrid (dense + BM25) retrieval: chunks with their offsets and each retriever's score."""
    _check_length("query", body.query, settings)
    with _refused_input():
        hits = pipeline.search(body.query, body.k)
    return SearchResponse(query=body.query, results=[SearchResult.from_hit(hit) for hit in hits])


@router.post(
    "/v1/search/articles", tags=["questions"], summary="Rank statute articles for a query",
    dependencies=_READERS, responses=responses(400, 401, 403, 413, 422, 503),
)
def search_articles(body: SearchRequest, pipeline: PipelineDep, settings: SettingsDep) -> ArticleSearchResponse:
    """Article units: the chunks both retrievers found, grouped by their 조 (a chunk outside any
    article is a unit of its own) and ranked by learned weights; each with its chunks among the hits."""
    _check_length("query", body.query, settings)
    with _refused_input():
        hits = pipeline.search_articles(body.query, body.k)
        index = pipeline.index
    return ArticleSearchResponse(query=body.query, results=[ArticleResult.from_hit(hit, index) for hit in hits])


@contextmanager
def _refused_input() -> Iterator[None]:
    """The pipeline's own input checks (it raises ValueError for bad input) as 422."""
    try:
        yield
    except ValueError as error:
        raise ApiError(422, "invalid_request", str(error)) from None


def _check_length(field: str, text: str, settings: Settings) -> None:
    if len(text) > settings.max_question_chars:
        raise ApiError(
            422, "question_too_long",
            f"{field}: at most {settings.max_question_chars} characters (RAG_MAX_QUESTION_CHARS), got {len(text)}",
        )


# -- documents ----------------------------------------------------------------------------


@router.get(
    "/v1/documents", tags=["documents"], summary="List documents",
    dependencies=_READERS, responses=responses(401, 403, 422, 503),
)
def list_documents(
    pipeline: PipelineDep,
    offset: Annotated[int, Query(ge=0, description="Documents to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
) -> DocumentPage:
    """Document metadata ordered by id, one page at a time."""
    index = pipeline.index  # one generation for the whole page
    documents = sorted(index.documents.values(), key=lambda d: d.doc_id)
    counts = Counter(item.chunk.doc_id for item in index.chunks)
    page = [DocumentSummary.of(d, counts[d.doc_id]) for d in documents[offset : offset + limit]]
    return DocumentPage(total=len(documents), offset=offset, limit=limit, documents=page)


@router.get(
    "/v1/documents/{doc_id}", tags=["documents"], summary="One document with its text",
    dependencies=_READERS, responses=responses(401, 403, 404, 422, 503),
)
def get_document(doc_id: str, pipeline: PipelineDep) -> DocumentDetail:
    """Metadata and the normalised ``text`` that citation offsets index into, so a front
    end can highlight ``text[start:end]``."""
    index = pipeline.index
    document = index.documents.get(_path_doc_id(doc_id))
    if document is None:
        raise _not_found(doc_id)
    return DocumentDetail.of(document, _chunk_count(index, doc_id))


@router.post(
    "/v1/documents", tags=["documents"], summary="Add or replace a document", status_code=201,
    dependencies=_WRITERS, responses=responses(400, 401, 403, 413, 415, 422, 503),
    openapi_extra=_DOCUMENT_BODY,
)
async def add_document(request: Request, service: ServiceDep, settings: SettingsDep) -> DocumentWritten:
    """Index a document sent as JSON (``{id?, title, text, source?, published?}``) or as
    a multipart upload (``file``, optional ``id``) in any supported format. A document
    with an existing id replaces it; the same title and text again change nothing.
    Needs ``RAG_API_TOKEN``."""
    service.loaded()  # 503 before reading a body that could not be indexed yet
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        document = _json_document(await request.body(), settings)
    elif media_type == "multipart/form-data":
        document = await _uploaded_document(request, settings)
    else:
        raise ApiError(
            415, "unsupported_media_type",
            "send the document as application/json or as multipart/form-data with a `file` part",
        )
    return await service.write(lambda pipeline: _index(pipeline, document))


@router.delete(
    "/v1/documents/{doc_id}", tags=["documents"], summary="Delete a document", status_code=204,
    response_class=Response, dependencies=_WRITERS, responses=responses(401, 403, 404, 422, 503),
)
async def delete_document(doc_id: str, service: ServiceDep) -> Response:
    """Remove a document and its chunks. Needs ``RAG_API_TOKEN``."""
    doc_id = _path_doc_id(doc_id)
    try:
        await service.write(lambda pipeline: pipeline.delete_document(doc_id))
    except DocumentNotFoundError:
        raise _not_found(doc_id) from None
    return Response(status_code=204)


def _path_doc_id(doc_id: str) -> str:
    """The id from a URL path; one that could never be valid names no document (404)."""
    try:
        return validate_doc_id(doc_id)
    except ValueError as error:
        raise ApiError(404, "invalid_doc_id", str(error)) from None


def _not_found(doc_id: str) -> ApiError:
    return ApiError(404, "document_not_found", f"no document with id {doc_id!r}")


def _chunk_count(index: Index, doc_id: str) -> int:
    return sum(1 for item in index.chunks if item.chunk.doc_id == doc_id)


def _json_document(body: bytes, settings: Settings) -> Document:
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise invalid_utf8() from None
    except json.JSONDecodeError as error:
        raise invalid_json(error.msg, error.pos) from None
    try:
        incoming = DocumentIn.model_validate(data)
    except ValidationError as error:
        raise ApiError(422, "invalid_request", describe_errors(error.errors())) from None
    if len(incoming.text.encode("utf-8")) > settings.max_upload_bytes:
        raise ApiError(
            413, "payload_too_large", f"text: at most {settings.max_upload_bytes} bytes (RAG_MAX_UPLOAD_BYTES)"
        )
    text = normalize_text(incoming.text)
    if not text:
        raise ApiError(422, "invalid_request", "text: nothing is left after normalisation")
    return Document(
        # A slug keeps only word characters and '-', so it is always a valid id once cut to 200.
        doc_id=incoming.id or slugify(incoming.title)[:200],
        title=incoming.title.strip(),
        text=text,
        source=incoming.source,
        date=incoming.published.isoformat() if incoming.published else None,
    )


async def _uploaded_document(request: Request, settings: Settings) -> Document:
    async with request.form(max_files=1, max_fields=1) as form:
        upload, doc_id = form.get("file"), form.get("id")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ApiError(422, "invalid_request", "file: send the document as a multipart file part named `file`")
        if doc_id is not None and not isinstance(doc_id, str):
            raise ApiError(422, "invalid_request", "id: must be a text field, not a file")
        if upload.size is not None and upload.size > settings.max_upload_bytes:
            raise ApiError(
                413, "payload_too_large", f"file: at most {settings.max_upload_bytes} bytes (RAG_MAX_UPLOAD_BYTES)"
            )
        data = await upload.read()
        filename = upload.filename
    try:
        # Parsing a large HTML or XML file takes a while: off the event loop.
        document = await run_in_threadpool(load_bytes, data, filename, doc_id or None)
        validate_doc_id(document.doc_id)
    except UnsupportedFormatError as error:
        raise ApiError(415, "unsupported_format", str(error)) from None
    except LoaderError as error:
        raise ApiError(422, "unreadable_document", str(error)) from None
    except ValueError as error:
        raise ApiError(422, "invalid_request", f"id: {error}") from None
    return document


def _index(pipeline: Pipeline, document: Document) -> DocumentWritten:
    report = pipeline.add_documents([document])
    status = "added" if report.added else "updated" if report.updated else "unchanged"
    return DocumentWritten(doc_id=document.doc_id, chunks=_chunk_count(pipeline.index, document.doc_id), status=status)


# -- operations ---------------------------------------------------------------------------


@router.get("/healthz", tags=["operations"], summary="Liveness")
def healthz() -> Health:
    """The process is up (the model may still be loading)."""
    return Health()


@router.get("/readyz", tags=["operations"], summary="Readiness", responses=responses(503))
def readyz(pipeline: PipelineDep) -> Readiness:
    """200 once the model and index are loaded, with the index size; 503 until then."""
    index = pipeline.index
    return Readiness(documents=len(index.documents), chunks=len(index.chunks), model=pipeline.embedder.model_id)


@router.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=PlainTextResponse)
def prometheus_metrics() -> Response:
    """Requests and latency per route and status, abstentions, index size, writes in progress."""
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
