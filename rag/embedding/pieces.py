"""The model's sentence pieces, read with sentencepiece and shared by every user in a process.

multilingual-e5-small reads XLM-R's 250,002 sentence pieces, shipped as a Hugging Face
``tokenizer.json`` (a Unigram model). Loaded by the ``tokenizers`` library that file holds
about 280 MB, most of a serving process's memory after Kiwi; the same vocabulary as a
sentencepiece model holds about 55 MB (and encodes a query in 0.027 ms where ``tokenizers``
takes 0.015 ms: nothing next to the model it feeds). So the file is
converted once (:func:`sentencepiece_model`: the pieces, their scores and the normaliser's
precompiled character map, nothing re-learned) and kept beside it, named by its hash.

The ids are the ones ``tokenizers`` gives, checked on every line of the bundled corpus
(tests/test_pieces.py) and, once, on every KorQuAD paragraph and question: both run
the same Viterbi search over the same scores after the same normalisation. One difference
is made good here: ``tokenizers`` keeps a trailing space as a piece of its own (``▁``) where
sentencepiece drops it, so :meth:`Pieces.encode` adds it back. Offsets are character
offsets into the text; a piece that starts with ``▁`` covers the space before its word, as
with ``tokenizers`` (which, unlike sentencepiece, also lets a lone leading ``▁`` cover the
first character).

The embedding model and the neural reader share one instance (:func:`shared_pieces`). It
is left unconfigured (no truncation, no padding): whoever needs a limit cuts the ids itself
(:func:`truncate`). sentencepiece encodes from several threads at once without locking.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from rag.embedding.bundled import file_sha256

#: XLM-R's word-boundary mark, which a piece starting a word begins with.
SPACE = "\u2581"


class Pieces:
    """Encodes text into the model's piece ids, with character offsets (see the module docstring)."""

    def __init__(self, model: bytes):
        import sentencepiece

        self._processor = sentencepiece.SentencePieceProcessor(model_proto=model)
        self.bos_id = self._processor.bos_id()
        self.eos_id = self._processor.eos_id()
        self.pad_id = self._processor.pad_id()
        self._space = self._processor.piece_to_id(SPACE)

    def encode(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """The pieces of ``text`` without special tokens: their ids and ``(start, end)`` in ``text``."""
        mapped = self._processor.encode(text, out_type="offset_mapping")
        ids, offsets = list(mapped["ids"]), list(mapped["offsets"])
        if text[-1:].isspace():
            ids.append(self._space)
            offsets.append((len(text) - 1, len(text)))
        return ids, offsets

    def ids(self, texts: list[str]) -> list[list[int]]:
        """Each text's ids between the opening and closing special tokens (``<s> … </s>``)."""
        return [[self.bos_id, *self.encode(text)[0], self.eos_id] for text in texts]


def sentencepiece_model(tokenizer_json: Path) -> bytes:
    """A serialised sentencepiece model with the pieces, scores and normaliser of a Unigram
    ``tokenizer.json`` in the form XLM-R's is written (``ValueError`` for any other form).

    The piece ids stay those of ``tokenizer.json`` (``<s>`` 0, ``<pad>`` 1, ``</s>`` 2,
    ``<unk>`` 3, ``<mask>`` last), so the model's embedding rows need no remapping.
    """
    from sentencepiece import sentencepiece_model_pb2 as spec

    data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    model, normalizer = data.get("model") or {}, data.get("normalizer") or {}
    steps = {step.get("type"): step for step in normalizer.get("normalizers", [])}
    pre = data.get("pre_tokenizer") or {}
    special = {token["content"]: token["id"] for token in data.get("added_tokens", [])}
    if model.get("type") != "Unigram" or set(steps) != {"Precompiled", "Replace"} \
            or steps["Replace"].get("pattern", {}).get("Regex") != " {2,}" \
            or pre.get("type") != "Metaspace" or pre.get("replacement") != SPACE \
            or any(special.get(token) != i for i, token in enumerate(("<s>", "<pad>", "</s>", "<unk>"))):
        raise ValueError(f"{tokenizer_json} is not an XLM-R style Unigram tokenizer")
    proto = spec.ModelProto()
    proto.trainer_spec.model_type = spec.TrainerSpec.UNIGRAM
    proto.trainer_spec.vocab_size = len(model["vocab"])
    proto.trainer_spec.bos_id, proto.trainer_spec.pad_id = special["<s>"], special["<pad>"]
    proto.trainer_spec.eos_id, proto.trainer_spec.unk_id = special["</s>"], special["<unk>"]
    proto.normalizer_spec.name = "nmt_nfkc"
    proto.normalizer_spec.precompiled_charsmap = base64.b64decode(steps["Precompiled"]["precompiled_charsmap"])
    # Leading spaces, runs of spaces and a trailing space are dropped: the Replace step
    # collapses runs, Metaspace's prefix absorbs a leading one, Pieces.encode restores a trailing one.
    proto.normalizer_spec.add_dummy_prefix = True
    proto.normalizer_spec.remove_extra_whitespaces = True
    proto.normalizer_spec.escape_whitespaces = True
    kinds = {special["<s>"]: spec.ModelProto.SentencePiece.CONTROL, special["<pad>"]: spec.ModelProto.SentencePiece.CONTROL,
             special["</s>"]: spec.ModelProto.SentencePiece.CONTROL, special["<unk>"]: spec.ModelProto.SentencePiece.UNKNOWN}
    kinds.update({i: spec.ModelProto.SentencePiece.USER_DEFINED for token, i in special.items() if i not in kinds})
    for i, (piece, score) in enumerate(model["vocab"]):
        entry = proto.pieces.add()
        entry.piece, entry.score = piece, score
        entry.type = kinds.get(i, spec.ModelProto.SentencePiece.NORMAL)
    return proto.SerializeToString()


def shared_pieces(tokenizer_json: Path) -> Pieces:
    """The pieces of ``tokenizer_json``, one instance per file and process."""
    return _load(str(Path(tokenizer_json).resolve()))


@lru_cache(maxsize=4)
def _load(path: str) -> Pieces:
    return Pieces(keep_sentencepiece_model(Path(path)))


def keep_sentencepiece_model(tokenizer_json: Path) -> bytes:
    """:func:`sentencepiece_model` of ``tokenizer_json``, converted once and kept beside it.

    The file is ``pieces-<hash of tokenizer.json>.model``, written by atomic rename so that
    concurrent processes never read half of it. Converting parses the whole JSON file
    (tens of MB at its peak), so the model's installation does it
    (:func:`rag.embedding.convert.convert`) rather than a serving process. Where the
    folder is not writable the conversion is only returned, and made again next time.
    """
    kept = tokenizer_json.with_name(f"pieces-{file_sha256(tokenizer_json)[:12]}.model")
    if kept.is_file():
        return kept.read_bytes()
    model = sentencepiece_model(tokenizer_json)
    try:
        handle, tmp = tempfile.mkstemp(dir=kept.parent, prefix=".pieces-")
    except OSError:
        return model
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(model)
        os.chmod(tmp, 0o644)
        os.replace(tmp, kept)
    except OSError:
        pass  # no room to keep it: converted again next time
    finally:
        Path(tmp).unlink(missing_ok=True)
    return model


def truncate(ids: list[int], limit: int) -> list[int]:
    """``ids`` of an encoding with its special tokens, cut to ``limit`` as the tokenizer's
    own truncation would: the first pieces kept, the closing special token last."""
    return ids if len(ids) <= limit else ids[: limit - 1] + ids[-1:]
