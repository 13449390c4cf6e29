"""A small statute indexed for real (with the test embedder), for the tests of article-level search."""

from __future__ import annotations

from pathlib import Path

from rag.documents import Document
from rag.loaders import load_file
from rag.pipeline import Pipeline
from rag.settings import Settings


def indexed_statute(tmp_path: Path, embedder, text: str, **settings) -> tuple[Pipeline, Document]:
    """A pipeline over an index of ``text`` written as ``laws/exam_act.md``, and its document."""
    folder = tmp_path / "laws"
    folder.mkdir()
    (folder / "exam_act.md").write_text(text, encoding="utf-8")
    pipeline = Pipeline(Settings(index_dir=tmp_path / "index", reader="rules", **settings), embedder)
    document = load_file(folder / "exam_act.md")
    pipeline.add_documents([document])
    return pipeline, document
