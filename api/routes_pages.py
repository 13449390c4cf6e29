"""The browser pages: a chat over ``/v1/ask`` and a document viewer that highlights a cited span.

The pages are static files shipped in ``api/static`` (plain HTML, CSS and JavaScript, no
build step); everything they show comes from the JSON API, called from the same origin.
They need no token themselves (they hold no data): the API calls they make do, and the
page asks the reader for the token when one is needed. They stay out of the OpenAPI
schema, which describes the API only.

Every page and asset carries a strict Content-Security-Policy: scripts, styles and
fetches from this origin only, no inline script or style, so an answer that slips into
the page as markup could not run.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from api.errors import ApiError

STATIC_DIR = Path(__file__).with_name("static")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Revalidated on every load, so a page and its scripts never come from two releases.
    "Cache-Control": "no-cache",
}
#: The assets a page may load, with their media types; anything else is a 404.
_ASSETS = {
    "chat.css": "text/css; charset=utf-8",
    "chat.js": "text/javascript; charset=utf-8",
    "common.js": "text/javascript; charset=utf-8",
    "document.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / name, media_type="text/html; charset=utf-8", headers=_HEADERS)


@router.get("/")
@router.get("/chat")
def chat_page() -> FileResponse:
    """The chat: questions, answers with their citations, follow-up turns."""
    return _page("chat.html")


@router.get("/documents/{doc_id}")
def document_page(doc_id: str) -> FileResponse:
    """One document's text; the URL fragment ``#start-end`` marks the cited span. The page
    reads the id from its own URL, so any id gets the page and an unknown one is reported
    there, in words."""
    return _page("document.html")


@router.get("/static/{name}")
def asset(name: str) -> FileResponse:
    """A script, style sheet or icon of the pages (a fixed list, so no path reaches the disk)."""
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise ApiError(404, "not_found", f"no static file {name!r}")
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=_HEADERS)
