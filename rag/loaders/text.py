"""Plain text (``.txt``): the whole file, normalised; its first line is the title."""

from __future__ import annotations

from rag.documents import Document, normalize_text
from rag.loaders.source import Source


def parse_text(source: Source) -> Document:
    """A ``.txt`` file as one document titled by its first non-empty line."""
    text = source.require_text(normalize_text(source.text))
    return Document(
        doc_id=source.id_or(), title=text.split("\n", 1)[0].strip(), text=text,
        metadata={"filename": source.filename},
    )
