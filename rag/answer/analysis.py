"""Sentences and candidates of whole documents, computed once when a document is indexed.

Cutting a paragraph into sentences with Kiwi and extracting its typed candidates costs
about 1.4 ms per sentence: most of an uncached answer on a statute index, where a question
reads some 30 paragraphs. That work depends on the document's text alone, so the pipeline
does it for every line of a document when the document is indexed (:func:`analyse`), the
index directory keeps the result content-addressed (:class:`AnalysisStore`:
``analysis/<version>/<content hash>.jsonl``, shared by all generations), and
:class:`~rag.answer.evidence.Evidence` decodes only the lines a question reads. A file is
written once and never changed. A missing file, or one from another version of the
analysis code, only means the evidence analyses the paragraph itself, as it would
without an index.

The words that frame a sentence without being in it (the document's title, its sections'
titles, the list leads above item lines: :meth:`~rag.answer.evidence.Evidence.context`)
are stored too, so a question does not wait for Kiwi on them either.

File format, UTF-8 JSON lines. The first line is a header: ``{"version": ..., "lines":
[[char offset, byte offset, byte length], ...], "contexts": {text: [tokens]}}``, one line
entry per non-blank line of the document, byte offsets counted from the end of the
header line, and the BM25 tokens (:func:`rag.lexical.tokenize`) of each framing text. Each further line is
the record of one document line: its sentences as ``[start, end, morphemes,
candidates]``, a morpheme as ``[form, tag, start, end]`` and a candidate as ``[start,
end, types, role, next_noun, term, extent, gloss]`` (all offsets the document's).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Iterable

from rag.answer import candidates as _candidates_module
from rag.answer import compounds as _compounds_module
from rag.answer import phrases as _phrases_module
from rag.answer import shapes as _shapes_module
from rag.answer import question as _question_module
from rag.answer.candidates import Candidate, extract_candidates
from rag.documents import Document
from rag import lexical as _lexical_module
from rag import sentences as _sentences_module
from rag import tokenizer as _tokenizer_module
from rag.lexical import tokenize_many
from rag.sentences import Morpheme, SentenceSpan, split_sentences

#: A paragraph's analysis: its sentences, each with its candidates.
Paragraph = list[tuple[SentenceSpan, tuple[Candidate, ...]]]
#: A line introducing a list whose items follow it (다음 각 호의 어느 하나에 해당하는 자).
LIST_LEAD = re.compile(r"다음 각 (?:호|목)")
#: How many documents' headers (line tables) a store keeps in memory.
_HEADERS_KEPT = 256


def _version() -> str:
    """A fingerprint of everything the analysis depends on: the source of the modules that
    split and extract, and Kiwi's version. Changing any of them retires every stored file."""
    import kiwipiepy

    digest = hashlib.sha256(kiwipiepy.__version__.encode())
    for module in (_sentences_module, _tokenizer_module, _lexical_module, _candidates_module, _compounds_module,
                   _phrases_module, _shapes_module, _question_module):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


ANALYSIS_VERSION = _version()


def analyse(doc: Document) -> bytes:
    """The analysis file of ``doc`` (see the module docstring)."""
    text = doc.text
    framing = list(dict.fromkeys([doc.title, *(s.title for s in doc.sections if s.title),
                                  *(line for line in text.split("\n") if LIST_LEAD.search(line))]))
    contexts = dict(zip(framing, tokenize_many(framing)))
    by_line: OrderedDict[int, list] = OrderedDict()
    for span in split_sentences(text):
        line_start = text.rfind("\n", 0, span.start) + 1
        by_line.setdefault(line_start, []).append(_encode_sentence(span))
    records = [json.dumps(sentences, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
               for sentences in by_line.values()]
    lines, offset = [], 0
    for line_start, record in zip(by_line, records):
        lines.append([line_start, offset, len(record)])
        offset += len(record)
    header = json.dumps({"version": ANALYSIS_VERSION, "lines": lines, "contexts": contexts},
                        ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
    return header + b"".join(records)


def _encode_sentence(span: SentenceSpan) -> list:
    morphemes = [[m.form, m.tag, m.start, m.end] for m in span.morphemes]
    found = [[c.start, c.end, sorted(c.types), c.role, c.next_noun, c.term,
              list(c.extent) if c.extent else None, c.gloss] for c in extract_candidates(span)]
    return [span.start, span.end, morphemes, found]


def _decode_sentence(text: str, record: list) -> tuple[SentenceSpan, tuple[Candidate, ...]]:
    start, end, morphemes, found = record
    span = SentenceSpan(start, end, text[start:end], tuple(Morpheme(*m) for m in morphemes))
    return span, tuple(
        Candidate(s, e, text[s:e], frozenset(types), role, next_noun, term, tuple(extent) if extent else None, gloss)
        for s, e, types, role, next_noun, term, extent, gloss in found
    )


class DocumentAnalysis:
    """One stored analysis file: its line table in memory, records read as needed."""

    def __init__(self, path: Path):
        self.path = path
        with open(path, "rb") as handle:
            header_line = handle.readline()
        header = json.loads(header_line)
        if header.get("version") != ANALYSIS_VERSION:
            raise ValueError(f"{path} holds another analysis version")
        self._base = len(header_line)
        self._starts = [line[0] for line in header["lines"]]
        self._places = [(line[1], line[2]) for line in header["lines"]]
        #: The tokens of the document's framing texts (title, section titles, list leads).
        self.contexts = {text: frozenset(tokens) for text, tokens in header["contexts"].items()}

    def paragraph(self, text: str, left: int, right: int) -> Paragraph:
        """The sentences and candidates of the lines starting in ``[left, right)`` of ``text``
        (the document's text): what ``split_sentences(text, left, right)`` and
        :func:`extract_candidates` would give for whole lines."""
        first = bisect.bisect_left(self._starts, left)
        last = bisect.bisect_left(self._starts, right)
        if first >= last:
            return []
        begin = self._places[first][0]
        end = self._places[last - 1][0] + self._places[last - 1][1]
        with open(self.path, "rb") as handle:
            handle.seek(self._base + begin)
            data = handle.read(end - begin)
        return [_decode_sentence(text, sentence) for line in data.splitlines() for sentence in json.loads(line)]


class AnalysisStore:
    """The analysis files of an index directory, by document content hash."""

    def __init__(self, index_dir: Path):
        self.root = Path(index_dir) / "analysis"
        self.directory = self.root / ANALYSIS_VERSION
        self._headers: OrderedDict[str, DocumentAnalysis] = OrderedDict()
        self._lock = threading.Lock()

    def _path(self, content_hash: str) -> Path:
        return self.directory / f"{content_hash}.jsonl"

    def has(self, doc: Document) -> bool:
        """Whether ``doc``'s text has a stored analysis of this version."""
        return self._path(doc.content_hash).is_file()

    def missing(self, documents: Iterable[Document]) -> list[Document]:
        """Those of ``documents`` without a stored analysis of this version, in order."""
        return [doc for doc in documents if not self.has(doc)]

    def write(self, doc: Document) -> None:
        """Analyse ``doc`` and store the file; a temporary name renamed into place, so a
        reader never opens half a file."""
        self._save(doc.content_hash, analyse(doc))

    def _save(self, content_hash: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(tmp, self._path(content_hash))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, doc: Document) -> DocumentAnalysis | None:
        """``doc``'s stored analysis, or ``None`` when there is none of this version."""
        key = doc.content_hash
        with self._lock:
            found = self._headers.get(key)
            if found is not None:
                self._headers.move_to_end(key)
                return found
        try:
            found = DocumentAnalysis(self._path(key))
        except (OSError, ValueError):
            return None
        with self._lock:
            self._headers[key] = found
            while len(self._headers) > _HEADERS_KEPT:
                self._headers.popitem(last=False)
        return found

    def keep_only(self, content_hashes: Iterable[str]) -> None:
        """Delete the files of every other text, other versions' folders and leftovers of
        interrupted writes. Call it under the index's write lock."""
        keep = {f"{h}.jsonl" for h in content_hashes}
        if self.root.is_dir():
            for folder in self.root.iterdir():
                if folder != self.directory:
                    shutil.rmtree(folder, ignore_errors=True)
        if self.directory.is_dir():
            for path in self.directory.iterdir():
                if path.name not in keep:
                    path.unlink(missing_ok=True)
