"""Read source files into :class:`~rag.documents.Document` records.

Supported formats, one module each:

* ``.txt`` — plain text; the first non-empty line is the title (:mod:`rag.loaders.text`).
* ``.md`` / ``.markdown`` — prose with optional YAML front matter, or a statute in the
  legalize-kr layout (``##### 제1조 (목적)`` headings), detected by its 조 headings
  (:mod:`rag.loaders.markdown`).
* ``.html`` / ``.htm`` — visible text only; block elements become line breaks
  (:mod:`rag.loaders.html`).
* ``.xml`` — 국가법령정보센터 law XML (``<법령>`` root) (:mod:`rag.loaders.law_xml`).

Statutes from either source share one layout with a :class:`~rag.documents.Section` per
조 and 항 (:mod:`rag.loaders.statute`). This module is the entry point: it finds the
files, picks the parser by extension and hands it a :class:`~rag.loaders.source.Source`.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path, PureWindowsPath
from typing import Callable, Iterable

from rag.documents import Document
from rag.loaders.html import parse_html
from rag.loaders.law_xml import parse_law_xml
from rag.loaders.markdown import parse_markdown
from rag.loaders.source import (DocumentDecodeError, DocumentParseError, LoaderError, Source,
                                UnsupportedFormatError)
from rag.loaders.text import parse_text

__all__ = [
    "SUPPORTED_EXTENSIONS", "LoaderError", "UnsupportedFormatError", "DocumentDecodeError", "DocumentParseError",
    "iter_files", "load_path", "load_file", "load_bytes",
]

SUPPORTED_EXTENSIONS = (".txt", ".md", ".markdown", ".html", ".htm", ".xml")

_PARSERS: dict[str, Callable[[Source], Document]] = {
    ".txt": parse_text,
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
    ".xml": parse_law_xml,
}


def iter_files(paths: Iterable[Path | str]) -> list[Path]:
    """Every file that ``paths`` names, folders expanded recursively, in a stable order.

    Used before loading so a progress bar knows the total. Inside folders, hidden files
    and folders, unsupported extensions and provenance notes (:data:`PROVENANCE_NOTES`)
    are skipped silently; a file named explicitly
    must exist and have a supported extension, otherwise this raises
    :class:`FileNotFoundError` or :class:`UnsupportedFormatError` before any work is done.
    """
    found: dict[Path, None] = {}
    for path in map(Path, paths):
        if path.is_dir():
            found.update(dict.fromkeys(_folder_files(path)))
        elif path.is_file():
            _check_extension(path.name)
            found[path] = None
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return list(found)


def load_path(path: Path | str) -> list[Document]:
    """Load one file, or every supported file under a folder (see :func:`iter_files`)."""
    return [load_file(file) for file in iter_files([path])]


def load_file(path: Path | str) -> Document:
    """Load one file; its id is the front-matter ``id`` if any, else the slug of its name
    (for a file of the statute layout :data:`STATUTE_FILE_KINDS`, of its folder's name)."""
    path = Path(path)
    _check_extension(path.name)
    return load_bytes(path.read_bytes(), _document_name(path))


#: legalize-kr, the layout of the statutes in ``corpus/`` and of the full statute collection,
#: names a statute's files after their kind inside a folder named after the statute
#: (``kr/개인정보보호법/법률.md``, ``kr/개인정보보호법/시행령.md``): every file name repeats.
STATUTE_FILE_KINDS = frozenset({"법률", "시행령", "시행규칙"})


def _document_name(path: Path) -> str:
    """The name a file's id is made from: its own, or for a statute-layout file its folder's
    (``개인정보보호법.md``; ``개인정보보호법 시행령.md`` for the decree)."""
    stem = unicodedata.normalize("NFC", path.stem)
    folder = path.resolve().parent.name
    if stem not in STATUTE_FILE_KINDS or not folder:
        return path.name
    return (folder if stem == "법률" else f"{folder} {stem}") + path.suffix


def load_bytes(data: bytes, filename: str, doc_id: str | None = None) -> Document:
    """Load a document from raw bytes, e.g. an HTTP upload; ``filename`` picks the format.

    ``doc_id`` overrides the id found in front matter or derived from ``filename``.
    Raises :class:`UnsupportedFormatError` for an unknown extension,
    :class:`DocumentDecodeError` for bytes that are not UTF-8 and
    :class:`DocumentParseError` for malformed or empty content.
    """
    # Uploads may carry a client-side path with either separator; only the name counts.
    name = PureWindowsPath(filename).name
    parser = _PARSERS[_check_extension(name)]
    return parser(Source(name, data, doc_id))


def _check_extension(name: str) -> str:
    """The lower-cased extension of ``name``, or UnsupportedFormatError naming the choices."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise UnsupportedFormatError(
            f"unsupported file type {suffix or '(no extension)'!r} for {name!r}; "
            f"supported: {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    return suffix


#: File names (case-insensitive) that describe a folder's documents rather than being
#: one: where the statutes came from and under what licence. Indexed, they would answer
#: questions about the law with download notes, and every folder's ``SOURCES.md`` would
#: claim the same document id.
PROVENANCE_NOTES = frozenset({"sources.md"})


def _folder_files(folder: Path) -> list[Path]:
    """Supported, non-hidden files below ``folder`` that are not provenance notes, sorted by path."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in SUPPORTED_EXTENSIONS
        and path.name.lower() not in PROVENANCE_NOTES
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )
