"""The model's word-piece tokenizer, loaded once per process and shared.

multilingual-e5-small's tokenizer (XLM-R's 250,002 sentence pieces, ``tokenizer.json``)
holds about 290 MB once loaded. The embedding model and the neural reader read with the
same file, so they share one instance instead of holding two: a serving process with the
reader measured 1.37 GB with two copies. A shared instance is left unconfigured (no
truncation, no padding), since a setting made by one user would change what the other
reads; whoever needs a limit cuts the ids itself (:func:`truncate`). The Rust tokenizer
encodes from several threads at once without locking.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenizers import Tokenizer


def shared_tokenizer(path: Path) -> Tokenizer:
    """The tokenizer of ``path`` (a ``tokenizer.json``), one instance per file and process."""
    return _load(str(Path(path).resolve()))


@lru_cache(maxsize=4)
def _load(path: str) -> Tokenizer:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(path)
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def truncate(ids: list[int], limit: int) -> list[int]:
    """``ids`` of an encoding with its special tokens, cut to ``limit`` as the tokenizer's
    own truncation would: the first pieces kept, the closing special token last."""
    return ids if len(ids) <= limit else ids[: limit - 1] + ids[-1:]
