"""Checks of what callers hand the pipeline: document ids and query text."""

from __future__ import annotations

import re

_DOC_ID = re.compile(r"^[\w\-.]{1,200}$", re.UNICODE)
#: Longer input is pasted text, not a question; analysing it would take seconds.
MAX_QUERY_CHARS = 1000


class DocumentNotFoundError(KeyError):
    """No document with that id is in the index."""

    def __str__(self) -> str:
        return f"no document with id {self.args[0]!r}"


def validate_doc_id(doc_id: str) -> str:
    """Reject ids that could be mistaken for paths or carry control characters."""
    if not _DOC_ID.match(doc_id) or doc_id.strip(".") == "" or ".." in doc_id:
        raise ValueError(
            f"invalid document id {doc_id!r}: use letters, digits, '-', '_' or '.' (at most 200), no '..'"
        )
    return doc_id


def checked(text: str, what: str) -> str:
    """``text`` stripped; ``ValueError`` when it is empty or longer than :data:`MAX_QUERY_CHARS`."""
    text = (text or "").strip()
    if not text:
        raise ValueError(f"the {what} is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise ValueError(f"the {what} is too long ({len(text)} characters; at most {MAX_QUERY_CHARS})")
    return text
