"""One error shape for every failure: ``{"error": {"code": "...", "message": "..."}}``.

Starlette's 404 and 405, FastAPI's validation errors, body-parsing failures and the
service's own errors are all rewritten into it, so a client needs one code path. The
``code`` is stable and machine-readable; the ``message`` says what to change.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code.", examples=["invalid_request"])
    message: str = Field(
        description="What went wrong and how to fix it.", examples=["question: must contain text, not only whitespace"]
    )


class ErrorResponse(BaseModel):
    """The body of every 4xx and 5xx response."""

    error: ErrorDetail


class ApiError(Exception):
    """A failure the client can act on; rendered as :class:`ErrorResponse`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


class BodyTooLarge(HTTPException):
    """Raised while a request body is read, once it passes the size limit.

    A FastAPI ``HTTPException`` on purpose: FastAPI re-raises those from body parsing
    instead of turning them into a generic 400.
    """

    def __init__(self, max_upload_bytes: int):
        super().__init__(413, f"the request body is too large: documents may have at most {max_upload_bytes} bytes "
                              "(RAG_MAX_UPLOAD_BYTES)")


#: Codes for errors that Starlette and FastAPI raise themselves.
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    503: "not_ready",
}

#: What each status means in this API, for the OpenAPI document.
_DESCRIPTIONS = {
    400: "The body is not valid JSON, not UTF-8, or a malformed multipart upload.",
    401: "A bearer token is required and none was sent.",
    403: "The token is wrong, or writes are disabled because RAG_API_TOKEN is unset.",
    404: "No such document.",
    413: "The body or upload is larger than RAG_MAX_UPLOAD_BYTES.",
    415: "The Content-Type or the uploaded file's format is not supported.",
    422: "The request does not match the schema (types, ranges, unknown fields, blank or too long text).",
    503: "The model and index are still loading.",
}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorDetail(code=code, message=message))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI ``responses`` entries for these error statuses, all with :class:`ErrorResponse`."""
    return {status: {"model": ErrorResponse, "description": _DESCRIPTIONS[status]} for status in statuses}


def install_error_handlers(app: FastAPI) -> None:
    """Render every client error the app can raise in the one JSON shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    # FastAPI reports any failure to decode a body as a bare 400 and chains the cause.
    if isinstance(exc.__cause__, UnicodeDecodeError):
        return await _api_error(request, invalid_utf8())
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    return error_response(status, _CODES.get(status, "http_error"), detail, exc.headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    broken = next((e for e in errors if e["type"] == "json_invalid"), None)
    if broken is not None:
        return await _api_error(request, invalid_json(broken.get("ctx", {}).get("error", "?"), broken["loc"][-1]))
    return error_response(422, "invalid_request", describe_errors(errors))


def invalid_json(reason: str, position: object) -> ApiError:
    return ApiError(400, "invalid_json", f"the body is not valid JSON: {reason} (position {position})")


def invalid_utf8() -> ApiError:
    return ApiError(400, "invalid_utf8", "the request body is not valid UTF-8")


def describe_errors(errors: Sequence[Any]) -> str:
    """``question: must contain text, not only whitespace; top_k: …`` from pydantic errors."""
    shown = "; ".join(_describe(error) for error in errors[:5])
    return shown + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else "")


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"] if part != "body")
    message = error["msg"].removeprefix("Value error, ")
    if not where:  # the body as a whole: missing, not an object, or not sent as JSON
        return f"the body must be a JSON object sent as application/json ({message})"
    return f"{where}: {message}"


class BodyLimitMiddleware:
    """Refuses request bodies over ``limit`` bytes with 413 instead of buffering them.

    A declared ``Content-Length`` over the limit is refused before the body is read; a
    chunked body is counted as it arrives.
    """

    def __init__(self, app: ASGIApp, limit: int, max_upload_bytes: int):
        self.app = app
        self.limit = limit
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            error = BodyTooLarge(self.max_upload_bytes)
            await error_response(413, "payload_too_large", error.detail)(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.max_upload_bytes)
            return message

        await self.app(scope, counted_receive, send)
