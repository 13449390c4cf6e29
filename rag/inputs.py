"""Checks of what callers hand the pipeline: document ids and query text."""

from __future__ import annotations

import re
from typing import Container, Iterable

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
    """``text`` stripped; ``ValueError`` when it is empty, longer than :data:`MAX_QUERY_CHARS`, or
    holds no letter or digit (punctuation or control characters alone ask nothing: answering them
    would only abstain, as if the documents lacked an answer)."""
    text = (text or "").strip()
    if not text:
        raise ValueError(f"the {what} is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise ValueError(f"the {what} is too long ({len(text)} characters; at most {MAX_QUERY_CHARS})")
    if not any(character.isalnum() for character in text):
        raise ValueError(f"the {what} has no letter or digit")
    return text


def known_doc_ids(doc_ids: Iterable[str], indexed: Container[str]) -> list[str]:
    """``doc_ids`` as a list when each names an ``indexed`` document; ``ValueError`` naming those
    that do not (a mistyped id would otherwise restrict an answer to nothing, and it would abstain)."""
    doc_ids = list(doc_ids)
    unknown = [doc_id for doc_id in doc_ids if doc_id not in indexed]
    if unknown:
        raise ValueError(f"doc_ids: no document with id {', '.join(map(repr, unknown))} in the index")
    return doc_ids
