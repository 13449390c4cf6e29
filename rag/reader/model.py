"""The shipped reader weights and their assembly into an int8 ONNX model.

The repository holds only what training changed (:mod:`rag.reader.train`): the encoder
layers, position and type embeddings, layer norms and the span head in fp16, about 43 MB.
The frozen word-embedding matrix comes from the bundled base model
(:func:`rag.embedding.cache.ensure_bundled_model`). On first use the two are put together,
exported to ONNX and quantised to int8 in the user cache (about 30 s, once), the way the
embedding model is; a serving process then runs onnxruntime only.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

from rag.embedding.bundled import file_sha256
from rag.embedding.cache import build_once, default_cache_dir, ensure_bundled_model
from rag.embedding.convert import MARKER_FILE
from rag.embedding.export import ONNX_OPSET, quantize_int8

#: Where the trained delta, its settings and its card live in the package.
WEIGHTS_DIR = Path(__file__).parent / "weights"
DELTA_FILE = "reader-delta.safetensors"
META_FILE = "reader.json"
CARD_FILE = "CARD.md"
#: The learned choice between the reader's and the rules' answers (:mod:`rag.reader.chooser`).
CHOOSER_FILE = "chooser.json"
ONNX_FILE = "reader_int8.onnx"
#: Signed int8 weights: on 2 cores with VNNI they read three 144-token windows in 73 ms where
#: unsigned weights (the embedding model's, chosen there for cosine) take 139 ms, with the
#: same best start and end on every window tried (bench/results: the same EM and F1).
READER_INT8_WEIGHT_TYPE = "QInt8"


@dataclass(frozen=True)
class ReaderFiles:
    """An assembled reader: its int8 graph, the tokenizer directory and its window settings."""

    onnx: Path
    tokenizer_dir: Path
    max_length: int
    stride: int
    fingerprint: str


def load_torch_reader(base_dir: Path, weights_dir: Path = WEIGHTS_DIR):
    """The full ``BertForQuestionAnswering``: the base model with the trained delta loaded."""
    import torch
    import transformers
    from safetensors.torch import load_file

    model = transformers.AutoModelForQuestionAnswering.from_pretrained(
        base_dir, dtype=torch.float32, attn_implementation="eager")
    delta = {k: v.float() for k, v in load_file(str(weights_dir / DELTA_FILE)).items()}
    missing, unexpected = model.load_state_dict(delta, strict=False)
    if unexpected or set(missing) - {"bert.embeddings.word_embeddings.weight"}:
        raise ValueError(f"reader weights do not fit the base model: missing {missing}, unexpected {unexpected}")
    return model.eval()


def export_reader(model, out_dir: Path) -> Path:
    """Export ``model`` (ids + mask → start and end logits) to ONNX and quantise it to int8."""
    import torch

    class _Spans(torch.nn.Module):
        def __init__(self, qa):
            super().__init__()
            self.qa = qa

        def forward(self, input_ids, attention_mask):
            out = self.qa(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=torch.zeros_like(input_ids))
            return out.start_logits, out.end_logits

    fp32 = out_dir / "reader.onnx"
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Spans(model), (torch.tensor([[0, 6, 2]]), torch.ones(1, 3, dtype=torch.long)), str(fp32),
            dynamo=False, opset_version=ONNX_OPSET, input_names=["input_ids", "attention_mask"],
            output_names=["start_logits", "end_logits"],
            dynamic_axes={n: axes for n in ("input_ids", "attention_mask", "start_logits", "end_logits")},
        )
    int8 = out_dir / ONNX_FILE
    quantize_int8(fp32, int8, READER_INT8_WEIGHT_TYPE)
    fp32.unlink()
    return int8


def _meta(weights_dir: Path) -> dict:
    path = weights_dir / META_FILE
    if not path.is_file() or not (weights_dir / DELTA_FILE).is_file():
        raise FileNotFoundError(f"no reader weights in {weights_dir}: train them with `rag train reader`")
    return json.loads(path.read_text(encoding="utf-8"))


def ensure_reader(weights_dir: Path = WEIGHTS_DIR, cache_dir: Path | None = None) -> ReaderFiles:
    """The assembled int8 reader for ``weights_dir``, built into the cache on first use.

    Built in a temporary directory and renamed into place under a lock, as the embedding
    model is, so concurrent workers build it once and nobody reads half a file.
    """
    meta = _meta(weights_dir)
    base_dir = ensure_bundled_model(cache_dir)
    base_sha = json.loads((base_dir / MARKER_FILE).read_text(encoding="utf-8"))["source_sha256"]
    if meta["base_sha256"] != base_sha:
        raise ValueError("the reader weights were trained on another base model; retrain with `rag train reader`")
    fingerprint = file_sha256(weights_dir / DELTA_FILE)[:12]
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    # The weight type is in the name: a reader quantised another way is another model.
    final = cache_dir / f"reader-{fingerprint}-{base_sha[:12]}-{READER_INT8_WEIGHT_TYPE.lower()}"
    files = ReaderFiles(final / ONNX_FILE, base_dir, meta["max_length"], meta["stride"], fingerprint)
    build_once(cache_dir, final, files.onnx.is_file, lambda tmp: export_reader(load_torch_reader(base_dir, weights_dir), tmp))
    return files
