"""The bundled model on onnxruntime: tokenise, run the ONNX graph, mean-pool, normalise.

What a serving process uses by default: no torch, a quarter of the fp32 model's memory
with the int8 graph (:mod:`rag.embedding.export`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.embedding.export import onnx_model_path
from rag.embedding.pieces import shared_pieces, truncate
from rag.embedding.threads import onnx_session

#: The model's positions: longer inputs keep their first pieces.
MAX_PIECES = 512


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows of ``vectors`` as float32 unit vectors, so a dot product is the cosine."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class OnnxEncoder:
    """Mean-pooled, normalised e5 embeddings from the exported ONNX graph (no torch).

    Reads the model's sentence pieces (:mod:`rag.embedding.pieces`, truncated to 512), runs
    onnxruntime on ``threads`` threads (default every available CPU) and averages the last hidden states over the
    attention mask, exactly as the sentence-transformers pooling does.
    """

    def __init__(self, model_dir: Path, precision: str = "int8", threads: int | None = None, spinning: bool = True):
        self.precision = precision
        # Shared with the reader, and so unconfigured: :meth:`encode` truncates.
        self._pieces = shared_pieces(model_dir / "tokenizer.json")
        self._pad_id = self._pieces.pad_id
        # Idle threads spin unless told not to: a short query gained from it (bench/results,
        # 2026-12-03), but the neural reader, run right after it, lost more (2026-12-05).
        self._session = onnx_session(onnx_model_path(model_dir, precision), threads, spinning)

    @property
    def threads(self) -> int:
        """Intra-op threads the session computes with."""
        return self._session.get_session_options().intra_op_num_threads

    def encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        """Embed ``texts``, each prefixed with ``prefix`` (``query: `` …).

        The int8 graph runs each text alone: it quantises its activations with one scale per
        run, taken over the whole batch and its padding, so a text embedded beside others got
        a vector that depended on them (cosine 0.996–0.997 to itself alone), and an index on
        the order its documents came in. Alone, a text always gets the same vector, at the
        same speed here (bench/results, 2026-12-07). The fp32 graph has no such scale.
        """
        if self.precision == "int8" and len(texts) > 1:
            return np.concatenate([self._run([text], prefix) for text in texts])
        return self._run(texts, prefix)

    def _run(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        """One batch through the graph."""
        pieces = [truncate(ids, MAX_PIECES) for ids in self._pieces.ids([prefix + t for t in texts])]
        width = max(len(p) for p in pieces)
        ids = np.full((len(pieces), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(pieces), width), dtype=np.int64)
        for row, piece_ids in enumerate(pieces):
            ids[row, : len(piece_ids)] = piece_ids
            mask[row, : len(piece_ids)] = 1
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return l2_normalise(pooled)
