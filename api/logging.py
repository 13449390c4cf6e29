"""Request ids, one structured JSON log line per request, and the last-resort 500.

Every response carries ``X-Request-ID``: the client's own when it sent a sane one
(letters, digits, ``._:-``, at most 128), else a fresh one. The log line, written to
stdout, holds that id, the method, the route template (never the raw path or any
header, so neither document text nor tokens reach the log), the status, the latency
and, for questions, whether the service abstained.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import metrics
from api.errors import error_response

logger = logging.getLogger("rag.api")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, event, and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging() -> None:
    """Send the API's log records to stdout as JSON lines (once per process)."""
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def log_event(event: str, level: int = logging.INFO, exc_info: bool = False, **fields: object) -> None:
    logger.log(level, event, exc_info=exc_info, extra={"fields": fields})


class RequestContextMiddleware:
    """Outermost middleware: request id, access log line, metrics, and a JSON 500 for bugs.

    Endpoints report extra log fields through ``request.state`` (``abstained``).
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        state = scope.setdefault("state", {})
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log_event("unhandled_error", logging.ERROR, exc_info=True, request_id=request_id)
            if response_started:
                raise
            response = error_response(
                500, "internal_error", f"internal error; quote request id {request_id} when reporting it"
            )
            await response(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route_template(scope)
            metrics.observe_request(scope["method"], route, status, seconds)
            log_event(
                "request", request_id=request_id, method=scope["method"], route=route, status=status,
                latency_ms=round(seconds * 1000, 2), abstained=state.get("abstained"),
            )


def _request_id(scope: Scope) -> str:
    sent = Headers(scope=scope).get(REQUEST_ID_HEADER)
    return sent if sent is not None and _SANE_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex


def _route_template(scope: Scope) -> str:
    """The matched route's template (``/v1/documents/{doc_id}``): bounded label values.

    FastAPI records its own routes in the scope; the OpenAPI and docs pages are plain
    Starlette routes that it does not record, so those are looked up.
    """
    route = scope.get("route")
    if route is None:
        routes = getattr(scope.get("app"), "routes", ())
        route = next((r for r in routes if r.matches(scope)[0] is Match.FULL), None)
    return getattr(route, "path", "unmatched")
