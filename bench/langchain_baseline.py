"""The retrieval pipeline a team would assemble from LangChain's documentation, for ``rag bench speed``.

``RecursiveCharacterTextSplitter`` → ``HuggingFaceEmbeddings`` (sentence-transformers on
torch) → the ``FAISS`` vector store of ``langchain_community`` → ``similarity_search(question,
k=5)``: retrieval only. It embeds with the very model directory this project converts
(:func:`rag.embedding.cache.ensure_bundled_model`) and the same e5 prefixes, and splits the same
normalised document text, so the benchmark compares pipelines, not models or inputs.

``HuggingFaceEmbeddings`` hands ``encode_kwargs`` to ``SentenceTransformer.encode`` for
documents and ``query_encode_kwargs`` for queries (these replace ``encode_kwargs`` when
given), and the converted model declares no default prompt: the prefixes have to be
passed in both, or LangChain embeds bare text. :func:`check_prefixes` verifies the result
against sentence-transformers itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.embedding.bundled import PASSAGE_PROMPT, QUERY_PROMPT

if TYPE_CHECKING:
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document as LCDocument
    from langchain_huggingface import HuggingFaceEmbeddings

    from rag.documents import Document

#: Chunks a question retrieves, as in LangChain's retrieval examples.
K = 5
PASSAGE_ENCODE_KWARGS: dict[str, Any] = {"prompt": PASSAGE_PROMPT, "normalize_embeddings": True}
QUERY_ENCODE_KWARGS: dict[str, Any] = {"prompt": QUERY_PROMPT, "normalize_embeddings": True}
#: Cosine under which LangChain's vectors are not sentence-transformers' with the prefixes.
SAME_VECTOR_COSINE = 0.9999


def embeddings_fields(model_dir: Path) -> dict[str, Any]:
    """The ``HuggingFaceEmbeddings`` fields: the converted e5 directory, on CPU, with the e5 prefixes."""
    return {"model_name": str(model_dir), "model_kwargs": {"device": "cpu"},
            "encode_kwargs": dict(PASSAGE_ENCODE_KWARGS), "query_encode_kwargs": dict(QUERY_ENCODE_KWARGS)}


def load_embeddings(model_dir: Path) -> HuggingFaceEmbeddings:
    """``HuggingFaceEmbeddings`` with :func:`embeddings_fields`; this loads the model (and torch)."""
    import transformers
    from langchain_huggingface import HuggingFaceEmbeddings

    transformers.utils.logging.disable_progress_bar()  # cosmetic: keeps the bench's tables readable
    return HuggingFaceEmbeddings(**embeddings_fields(model_dir))


def to_langchain_documents(documents: Iterable[Document]) -> list[LCDocument]:
    """The project's documents as LangChain ``Document``s: the same normalised text, the id kept."""
    from langchain_core.documents import Document as LCDocument

    return [LCDocument(page_content=d.text, metadata={"doc_id": d.doc_id, "title": d.title}) for d in documents]


def _faiss() -> type[FAISS]:
    with warnings.catch_warnings():
        # langchain-community announces its sunset on import; the warning says nothing about this run.
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.vectorstores import FAISS
    return FAISS


class LangChainBaseline:
    """A built (or loaded) LangChain FAISS store and its retrieval call."""

    def __init__(self, store: FAISS):
        self.store = store

    @classmethod
    def build(cls, documents: Iterable[Document], embeddings: HuggingFaceEmbeddings, chunk_size: int,
              chunk_overlap: int) -> LangChainBaseline:
        """Split with LangChain's default separators, embed every chunk, index them in FAISS."""
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
        chunks = splitter.split_documents(to_langchain_documents(documents))
        return cls(_faiss().from_documents(chunks, embeddings))

    @classmethod
    def load(cls, folder: Path, embeddings: HuggingFaceEmbeddings) -> LangChainBaseline:
        """A store written by :meth:`save`; the pickle it reads is the one this run wrote."""
        return cls(_faiss().load_local(str(folder), embeddings, allow_dangerous_deserialization=True))

    def save(self, folder: Path) -> None:
        self.store.save_local(str(folder))

    @property
    def chunks(self) -> int:
        return self.store.index.ntotal

    def search(self, question: str, k: int = K) -> list[LCDocument]:
        return self.store.similarity_search(question, k=k)


@dataclass(frozen=True)
class PrefixCheck:
    """Cosines between LangChain's vectors and sentence-transformers' on prefixed text.

    ``unprefixed_query_cosine`` compares with the bare question: it shows that the check
    could tell a missing prefix apart. ``ours_query_cosine`` compares with this project's
    int8 ONNX query vector: the same model, another engine.
    """

    query_cosine: float
    passage_cosine: float
    unprefixed_query_cosine: float
    ours_query_cosine: float

    @property
    def ok(self) -> bool:
        return min(self.query_cosine, self.passage_cosine) >= SAME_VECTOR_COSINE


def check_prefixes(embeddings: HuggingFaceEmbeddings, query: str, passage: str,
                   ours_query_vector: np.ndarray) -> PrefixCheck:
    """Embed ``query`` and ``passage`` through LangChain and through the sentence-transformers model it wraps."""
    model = embeddings._client  # the SentenceTransformer LangChain holds; it has no public accessor

    def reference(text: str) -> np.ndarray:
        return model.encode(text, normalize_embeddings=True, show_progress_bar=False)

    query_vector = np.asarray(embeddings.embed_query(query))
    passage_vector = np.asarray(embeddings.embed_documents([passage])[0])
    return PrefixCheck(
        query_cosine=float(query_vector @ reference(QUERY_PROMPT + query)),
        passage_cosine=float(passage_vector @ reference(PASSAGE_PROMPT + passage)),
        unprefixed_query_cosine=float(query_vector @ reference(query)),
        ours_query_cosine=float(query_vector @ ours_query_vector),
    )
