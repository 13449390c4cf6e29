"""The shipped article-query encoder: its weights, their assembly into an int8 ONNX graph, and serving.

The repository holds only what fine-tuning changed (:mod:`rag.article_encoder.train`): the
encoder layers, position and type embeddings and layer norms in fp16. The frozen word
embeddings come from the bundled base model (:func:`rag.embedding.cache.ensure_bundled_model`).
On first use the two are put together, exported to ONNX and quantised to int8 in the user
cache (about 30 s, once per machine), as the reader is; serving then runs onnxruntime only.
"""

from __future__ import annotations

import json
import os
import shutil
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.articles import ENCODER_WEIGHTS_FILE
from rag.embedding.bundled import QUERY_PROMPT, file_sha256
from rag.embedding.cache import build_once, default_cache_dir, ensure_bundled_model
from rag.embedding.convert import MARKER_FILE
from rag.embedding.export import ONNX_FILES, export_onnx
from rag.embedding.onnx_encoder import OnnxEncoder, l2_normalise

#: Where the trained delta, its settings and its card live in the package.
WEIGHTS_DIR = Path(__file__).parent / "weights"
DELTA_FILE = "encoder-delta.safetensors"
META_FILE = "encoder.json"
CARD_FILE = "CARD.md"
#: What the assembled directory needs of the base one besides the weights.
_BASE_FILES = ("config.json", "tokenizer.json")


def installed(weights_dir: Path = WEIGHTS_DIR) -> bool:
    """Whether fine-tuned weights and their settings are there."""
    return (weights_dir / DELTA_FILE).is_file() and (weights_dir / META_FILE).is_file()


def base_sha256(base_dir: Path) -> str:
    """The fingerprint of the bundled base model's source weights."""
    return json.loads((base_dir / MARKER_FILE).read_text(encoding="utf-8"))["source_sha256"]


def assemble(base_dir: Path, weights_dir: Path, out_dir: Path) -> None:
    """Write the base model with the delta loaded into ``out_dir`` and export it to int8 ONNX
    (the fp32 weights and graph are removed after: only the int8 graph serves)."""
    import torch
    from safetensors.torch import load_file, save_file
    import transformers

    transformers.utils.logging.disable_progress_bar()  # would break a command's own progress display
    model = transformers.AutoModel.from_pretrained(base_dir, dtype=torch.float32, add_pooling_layer=False)
    trained = {name: tensor.float() for name, tensor in load_file(str(weights_dir / DELTA_FILE)).items()}
    missing, unexpected = model.load_state_dict(trained, strict=False)
    if unexpected or set(missing) - {"embeddings.word_embeddings.weight"}:
        raise ValueError(f"article encoder weights do not fit the base model: missing {missing}, unexpected {unexpected}")
    for name in _BASE_FILES:
        shutil.copy2(base_dir / name, out_dir / name)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out_dir / "model.safetensors"))
    export_onnx(out_dir)
    (out_dir / "model.safetensors").unlink()
    (out_dir / ONNX_FILES["fp32"]).unlink()


def ensure_article_encoder(weights_dir: Path = WEIGHTS_DIR, cache_dir: Path | None = None) -> Path:
    """The assembled encoder's directory for ``weights_dir``, built into the cache on first use
    (in a temporary directory renamed into place under a lock, so workers build it once)."""
    meta = json.loads((weights_dir / META_FILE).read_text(encoding="utf-8"))
    base_dir = ensure_bundled_model(cache_dir)
    base = base_sha256(base_dir)
    if meta["base_sha256"] != base:
        raise ValueError("the article encoder was fine-tuned from another base model; "
                         "fine-tune it again with `rag train article-encoder`")
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    final = cache_dir / f"article-encoder-{file_sha256(weights_dir / DELTA_FILE)[:12]}-{base[:12]}"
    build_once(cache_dir, final, (final / ONNX_FILES["int8"]).is_file, lambda tmp: assemble(base_dir, weights_dir, tmp))
    return final


class ArticleEncoder:
    """Query vectors for article search from the fine-tuned encoder on onnxruntime.

    Article search searches with the normalised sum of the plain query vector and the tuned
    one: out of fold (grouped by gold article) the sum found the gold article in the first ten
    more often than either alone, and first more often than the tuned vector alone, which
    gains reach at the cost of order (bench/results, "A query encoder for article search").
    """

    #: The article ranker's weights learned with this encoder's list.
    article_weights = ENCODER_WEIGHTS_FILE

    def __init__(self, model_dir: Path, threads: int | None = None):
        # Not spinning: it runs right after the plain encoder, whose spinning threads it would
        # fight (article search p50 36.7 ms spinning, 24.9 ms not; bench/results).
        self._encoder = OnnxEncoder(model_dir, "int8", threads, spinning=False)

    def vector(self, query: str, plain: np.ndarray) -> np.ndarray:
        """The vector article search searches with for ``query``, whose plain vector is ``plain``."""
        tuned = self._encoder.encode([query], QUERY_PROMPT)[0]
        return l2_normalise(np.asarray(plain, dtype=np.float32) + tuned)


@lru_cache(maxsize=2)
def shipped_encoder(threads: int | None = None) -> ArticleEncoder | None:
    """The package's encoder, assembled on first use and loaded once per process (every index
    generation's retriever shares it); ``None`` when no weights are shipped."""
    if not installed():
        return None
    return ArticleEncoder(ensure_article_encoder(), threads)


def save_weights(tensors: dict, meta: dict, out_dir: Path) -> Path:
    """Write the trained ``tensors`` (fp16 torch tensors by name) as safetensors, ``meta`` as
    ``encoder.json`` and a card beside them; return the weights file."""
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out_dir / DELTA_FILE))
    os.chmod(out_dir / DELTA_FILE, 0o644)  # safetensors creates it owner-only
    (out_dir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out_dir / CARD_FILE).write_text(_card(meta), encoding="utf-8")
    return out_dir / DELTA_FILE


def _card(meta: dict) -> str:
    cfg, cv = meta["config"], meta.get("cv")
    figures = (f"- Dense article ranks out of fold ({cv['folds']} folds grouped by gold article: no fold's encoder saw an "
               f"article of its held-out questions): plain {cv['plain']}, tuned {cv['tuned']}, their normalised sum "
               f"(what article search uses) {cv['summed']}.\n" if cv else "")
    return f"""# Article encoder weights: the query side of multilingual-e5-small fine-tuned for article search

- Base: the bundled multilingual-e5-small as converted by `rag.embedding` (sha256 {meta['base_sha256'][:16]}…);
  the frozen word embeddings are not stored here but taken from it.
- Data: {'; '.join(meta['data'])}: {meta['questions']} questions with a gold article among {meta['passages']} chunks.
  The `report` halves are never read.
- Command: `{meta['command']}`; trained {meta['trained_on']}, seed {meta['seed']}, {meta.get('seconds', '?')} s on
  {cfg['threads']} CPU threads; {cfg['epochs']} epochs of batches of {cfg['batch_size']}, AdamW lr {cfg['learning_rate']},
  weight decay {cfg['weight_decay']}, softmax over every chunk at temperature {cfg['temperature']}.
{figures}- Stored: every trained parameter in fp16 (`{DELTA_FILE}`); `rag.article_encoder.model` assembles the full
  model and exports it to int8 ONNX in the user cache on first use.
"""
