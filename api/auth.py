"""Bearer tokens: ``RAG_API_TOKEN`` guards writes, ``RAG_API_READ_TOKEN`` (when set) reads.

* No ``RAG_API_TOKEN``: writes answer 403 with how to enable them.
* Token required but none sent: 401 with ``WWW-Authenticate: Bearer``.
* Wrong token: 403. The write token also opens reads.

Tokens are compared with :func:`secrets.compare_digest` and never logged or echoed.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from api.errors import ApiError
from api.service import SettingsDep

bearer = HTTPBearer(
    auto_error=False,
    description="`Authorization: Bearer <token>`. Writes need RAG_API_TOKEN; reads need RAG_API_READ_TOKEN "
    "(or the write token) only when that is set.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def require_reader(settings: SettingsDep, credentials: Credentials) -> None:
    """Reads are open unless ``RAG_API_READ_TOKEN`` is set."""
    if settings.api_read_token is not None:
        _check(credentials, [t for t in (settings.api_read_token, settings.api_token) if t is not None])


async def require_writer(settings: SettingsDep, credentials: Credentials) -> None:
    """Writes need ``RAG_API_TOKEN``; without one configured they are disabled."""
    if settings.api_token is None:
        raise ApiError(
            403, "writes_disabled",
            "writes are disabled on this server: set RAG_API_TOKEN in its environment, restart it, "
            "and send the token as `Authorization: Bearer <token>`",
        )
    _check(credentials, [settings.api_token])


def _check(credentials: HTTPAuthorizationCredentials | None, accepted: list[SecretStr]) -> None:
    if credentials is None:
        raise ApiError(
            401, "unauthorized", "this endpoint needs a token: send `Authorization: Bearer <token>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    # Starlette decodes header bytes as latin-1; comparing raw bytes works for any token
    # (compare_digest refuses non-ASCII str). Every token is compared, so the time taken
    # does not depend on which one matched.
    presented = credentials.credentials.encode("latin-1")
    matches = [secrets.compare_digest(presented, token.get_secret_value().encode("utf-8")) for token in accepted]
    if not any(matches):
        raise ApiError(403, "forbidden", "the bearer token is not valid for this endpoint")
