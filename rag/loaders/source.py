"""One file on its way to a document: its bytes, name and id, and the errors loading raises.

Every format parser takes a :class:`Source`, so decoding, the choice of document id and
the wording of a parse error are the same for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from rag.documents import slugify


class LoaderError(ValueError):
    """A file that cannot be turned into a document; the message says which and why."""


class UnsupportedFormatError(LoaderError):
    """The file's extension (or, for XML, its schema) is not one this loader reads."""


class DocumentDecodeError(LoaderError):
    """The file is not valid UTF-8."""


class DocumentParseError(LoaderError):
    """The file has the right extension but its content is malformed or empty."""


@dataclass
class Source:
    """The bytes of one file, its name and the caller's id, if any; text is decoded once."""

    filename: str
    data: bytes
    doc_id: str | None = None

    @cached_property
    def text(self) -> str:
        """The file as text; a UTF-8 byte-order mark is dropped, other encodings are refused."""
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise DocumentDecodeError(
                f"{self.filename!r} is not valid UTF-8 (byte {error.start}); save it as UTF-8 and try again"
            ) from None

    def id_or(self, declared: Any = None) -> str:
        """The explicit id, else the one the file declares, else the slug of the file name."""
        if self.doc_id:
            return self.doc_id
        if declared is not None and str(declared).strip():
            return str(declared).strip()
        return slugify(Path(self.filename).stem)

    def fail(self, reason: str) -> DocumentParseError:
        """The error to raise when this file's content is malformed, naming the file."""
        return DocumentParseError(f"cannot read {self.filename!r}: {reason}")

    def require_text(self, text: str) -> str:
        """``text`` itself, or the parse error for a file with nothing to index."""
        if not text:
            raise self.fail("it contains no text")
        return text
