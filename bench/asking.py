"""What the benchmarks that ask made-up questions over an index share: their common options, the
pipeline they ask (its index built from ``--corpus`` first), how they print their figures, and the
particle a Korean word takes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rag.loaders import load_path
from rag.pipeline import Pipeline
from rag.settings import Settings


def parser(description: str) -> argparse.ArgumentParser:
    """A parser with ``--index-dir``, ``--corpus``, ``--seed`` and ``--json``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--index-dir", type=Path, required=True, help="The index to ask over.")
    parser.add_argument("--corpus", type=Path, nargs="*", default=[], help="Documents to ingest first.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    return parser


def open_pipeline(args: argparse.Namespace, **settings: Any) -> Pipeline:
    """The pipeline over ``args.index_dir``, answer cache off (every question is asked for the first
    time), with the documents of ``args.corpus`` ingested (unchanged ones are skipped)."""
    pipeline = Pipeline.from_config(Settings(index_dir=args.index_dir, answer_cache=0, **settings))
    for path in args.corpus:
        pipeline.add_documents(load_path(path))
    return pipeline


def report(figures: dict, path: Path | None) -> None:
    """Print the figures as JSON, and write them to ``path`` too when given."""
    text = json.dumps(figures, ensure_ascii=False, indent=1)
    if path:
        path.write_text(text + "\n", encoding="utf-8")
    print(text)


def closed(word: str) -> bool:
    """Whether the last syllable of ``word`` ends in a consonant (받침): 법을, 정보를."""
    last = word[-1]
    return "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 != 0
