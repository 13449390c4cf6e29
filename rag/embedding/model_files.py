"""What a model's files on disk say, without loading it: its directory, dimension and fingerprint.

For any model other than the bundled one, the index needs the vector dimension and a
fingerprint before (or without) loading torch: both are read from the
sentence-transformers configuration files of a local path or a Hugging Face cache snapshot.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

#: Config files whose contents define a non-bundled model's fingerprint.
_CONFIG_SUFFIXES = (".json", ".txt", ".model")


def local_model_dir(name: str) -> Path | None:
    """The directory holding ``name``'s files: the path itself, or its Hugging Face cache snapshot.

    Only looks at what is already on disk (never downloads). ``None`` when not found.
    """
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    if name.count("/") > 1 or not re.fullmatch(r"[\w.\-/]+", name):
        return None
    from huggingface_hub import snapshot_download

    # sentence-transformers resolves a bare name such as "all-MiniLM-L6-v2" in its own org.
    for repo_id in (name,) if "/" in name else (name, f"sentence-transformers/{name}"):
        try:
            return Path(snapshot_download(repo_id, local_files_only=True))
        except Exception:  # noqa: BLE001 - any miss (not cached, bad id) means "not on disk"
            continue
    return None


def _read_json(path: Path) -> dict[str, Any] | list[Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def dim_from_config(model_dir: Path) -> int | None:
    """Output dimension of a sentence-transformers directory, from its JSON files alone.

    Walks ``modules.json``: the transformer's hidden size, changed by pooling (one block
    per pooling mode) and by dense layers. ``None`` when a module is not understood.
    """
    modules = _read_json(model_dir / "modules.json")
    config = _read_json(model_dir / "config.json")
    hidden = None
    if isinstance(config, dict):
        hidden = config.get("hidden_size") or config.get("d_model") or config.get("dim")
    if not isinstance(modules, list):
        return int(hidden) if hidden else None  # plain transformers model: mean pooling added
    dim = hidden
    for module in sorted(modules, key=lambda m: m.get("idx", 0)):
        kind = str(module.get("type", "")).rsplit(".", 1)[-1]
        sub = model_dir / module.get("path", "")
        if kind == "Transformer":
            sub_config = _read_json(sub / "config.json")
            if isinstance(sub_config, dict):
                dim = sub_config.get("hidden_size") or sub_config.get("d_model") or dim
        elif kind == "Pooling":
            pooling = _read_json(sub / "config.json")
            if not isinstance(pooling, dict):
                return None
            # Legacy files say word_embedding_dimension + pooling_mode_* flags; newer ones
            # embedding_dimension + pooling_mode (a name or a list of names).
            width = pooling.get("embedding_dimension") or pooling.get("word_embedding_dimension") or dim
            if not width:
                return None
            mode = pooling.get("pooling_mode")
            if isinstance(mode, list):
                modes = len(mode)
            elif isinstance(mode, str):
                modes = 1
            else:
                modes = sum(bool(v) for k, v in pooling.items() if k.startswith("pooling_mode_"))
            dim = int(width) * max(modes, 1)  # several modes are concatenated side by side
        elif kind == "Dense":
            dense = _read_json(sub / "config.json")
            if not isinstance(dense, dict) or "out_features" not in dense:
                return None
            dim = dense["out_features"]
        elif kind in ("Normalize", "Dropout", "LayerNorm"):
            continue
        else:
            return None
    return int(dim) if dim else None


def config_fingerprint(name: str, dim: int, model_dir: Path | None) -> str:
    """SHA-256 over the model id, the dimension and the model's configuration files.

    Configuration files are hashed by content; weight files contribute their names and
    sizes (hashing hundreds of MB at every start would defeat the purpose). A Hugging Face
    cache snapshot's directory name is its commit hash, so a new revision changes the
    fingerprint too.
    """
    digest = hashlib.sha256()
    digest.update(f"model={name}\ndim={dim}\n".encode())
    if model_dir is None:
        return digest.hexdigest()
    if model_dir.parent.name == "snapshots":
        digest.update(f"revision={model_dir.name}\n".encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(model_dir).as_posix()
        if rel.startswith(".") or "/." in rel:
            continue
        if path.suffix in _CONFIG_SUFFIXES and path.name != "tokenizer.json":
            digest.update(f"{rel}\n".encode())
            digest.update(path.read_bytes())
        else:
            digest.update(f"{rel} {path.stat().st_size}\n".encode())
    return digest.hexdigest()
