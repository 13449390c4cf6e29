"""ONNX graphs of the converted transformer: fp32 exported with torch, int8 by onnxruntime.

onnxruntime serves these graphs without torch (:mod:`rag.embedding.onnx_encoder`); the
int8 one is dynamically quantised, a quarter of the memory at cosine ≥ 0.99 to fp32.
The reader's graph (:mod:`rag.reader.model`) is quantised the same way.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

from rag.embedding.bundled import file_sha256

#: ONNX graphs of the transformer (ids + mask → last hidden state), relative to the model dir.
ONNX_FILES = {"fp32": "onnx/model.onnx", "int8": "onnx/model_int8.onnx"}
#: Weight type of the int8 graph: unsigned per-channel weights kept cosine ≥ 0.994 to fp32
#: on Korean text (signed per-channel ≥ 0.991, per-tensor only 0.98).
ONNX_INT8_WEIGHT_TYPE = "QUInt8"
ONNX_OPSET = 17


class _QuietQuantizer(logging.Filter):
    """onnxruntime's quantiser logs hundreds of INFO lines and a pre-processing hint on the root logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


def export_onnx(model_dir: Path, out_dir: Path | None = None) -> dict[str, dict]:
    """Export the transformer of the sentence-transformers dir ``model_dir`` to ONNX, then int8.

    Writes ``ONNX_FILES["fp32"]`` (torch's TorchScript exporter, ``dynamo=False``, opset
    17, dynamic batch and token axes; inputs ``input_ids``/``attention_mask``, output
    ``last_hidden_state``) and ``ONNX_FILES["int8"]`` (onnxruntime's dynamic quantisation:
    int8 weights per channel, activations quantised at run time, the word embeddings too)
    under ``out_dir`` (default ``model_dir``). Pooling and normalisation stay in
    :mod:`rag.embedding.onnx_encoder`. Takes ~25 s and imports torch. Returns the marker's
    ``"onnx"`` entry: per precision the relative file, its size and SHA-256.

    Callers write into a directory nobody reads yet
    (:func:`~rag.embedding.cache.ensure_bundled_model` converts into a temporary directory
    renamed into place), so no partial graph is ever visible.
    """
    import torch
    import transformers

    model_dir = Path(model_dir)
    out_dir = Path(out_dir) if out_dir is not None else model_dir
    fp32 = out_dir / ONNX_FILES["fp32"]
    int8 = out_dir / ONNX_FILES["int8"]
    fp32.parent.mkdir(parents=True, exist_ok=True)

    bar_was_on = transformers.utils.logging.is_progress_bar_enabled()
    transformers.utils.logging.disable_progress_bar()  # would break a CLI's own progress bar
    try:
        # Eager attention exports fewer shape operations than SDPA (≈10 % faster per query).
        bert = transformers.AutoModel.from_pretrained(
            model_dir, dtype=torch.float32, add_pooling_layer=False, attn_implementation="eager"
        ).eval()
    finally:
        if bar_was_on:
            transformers.utils.logging.enable_progress_bar()

    class _Encoder(torch.nn.Module):
        """input ids + mask → last hidden state, with the single token type e5 uses."""

        def __init__(self, bert: torch.nn.Module):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
            ).last_hidden_state

    example = (torch.tensor([[0, 6, 2]]), torch.ones(1, 3, dtype=torch.long))
    axes = {0: "batch", 1: "tokens"}
    # The tracer warns about Python-level shape checks that are constant for an encoder.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Encoder(bert),
            example,
            str(fp32),
            dynamo=False,
            opset_version=ONNX_OPSET,
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={name: axes for name in ("input_ids", "attention_mask", "last_hidden_state")},
        )
    del bert

    quantize_int8(fp32, int8)
    out = {}
    for precision, rel in ONNX_FILES.items():
        path = out_dir / rel
        os.chmod(path, 0o644)
        out[precision] = {"file": rel, "bytes": path.stat().st_size, "sha256": file_sha256(path)}
    out["int8"].update(weight_type=ONNX_INT8_WEIGHT_TYPE, per_channel=True, opset=ONNX_OPSET)
    out["fp32"]["opset"] = ONNX_OPSET
    return out


def quantize_int8(fp32: Path, int8: Path, weight_type: str = ONNX_INT8_WEIGHT_TYPE) -> None:
    """Quantise the ONNX graph ``fp32`` into ``int8``: onnxruntime's dynamic quantisation,
    int8 weights per channel (``weight_type``: ``QUInt8`` or ``QInt8``), activations at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    advice = _QuietQuantizer()
    logging.getLogger().addFilter(advice)
    try:
        with root_logging_kept():
            quantize_dynamic(fp32, int8, weight_type=getattr(QuantType, weight_type), per_channel=True)
    finally:
        logging.getLogger().removeFilter(advice)


@contextlib.contextmanager
def root_logging_kept() -> Iterator[None]:
    """Undo what the export's libraries do to the root logger.

    ``onnxruntime.quantization`` calls ``logging.basicConfig`` on import, after which
    every library's log records would print over a CLI's progress bars for the rest of
    the process.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def onnx_model_path(model_dir: Path, precision: str = "int8") -> Path:
    """The ONNX graph of a converted model (``precision`` "int8" or "fp32").

    :func:`~rag.embedding.cache.ensure_bundled_model` only returns directories that hold
    both graphs; a directory without them raises :class:`FileNotFoundError`.
    """
    if precision not in ONNX_FILES:
        raise ValueError(f"unknown ONNX precision {precision!r}; expected one of {sorted(ONNX_FILES)}")
    path = Path(model_dir) / ONNX_FILES[precision]
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: convert the model again (rag.embedding.cache.ensure_bundled_model)"
        )
    return path
