"""Uncached ask latency in process, per stage, over an index you name: the answerer's budget.

Loads the pipeline over ``--index-dir`` (building it from ``--corpus`` paths first when
given), turns the answer cache off, warms up (models loaded, one question asked) and asks
every distinct question of the dev sets once: each is the first contact of the process
with that question, as in a fresh server. The rule answerer decodes the paragraph analyses
the index stored at ingest (an index built before they existed gets them on its next
ingest, e.g. through ``--corpus``). Prints p50/p95/p99 of retrieval,
the answerer and the whole ask, and the process's peak RSS; with ``RAG_READER=neural`` also the reader's own time
over the questions it read for. Run it with ``RAG_READER=rules`` and with ``RAG_READER=neural`` to compare the
two answerers on the same index.

    .venv/bin/python bench/latency.py --index-dir /tmp/civic --corpus corpus
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from rag.dialogue_eval import questions_of
from rag.loaders import load_path
from rag.pipeline import Pipeline
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    """The process's peak resident set (VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _stats(values: list[float]) -> dict[str, float]:
    return {f"p{q}": round(float(np.percentile(values, q)), 2) for q in (50, 95, 99)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, nargs="*", default=[], help="Ingest these first (unchanged files are skipped).")
    parser.add_argument("--sets", type=Path, nargs="*", default=sorted((ROOT / "eval").glob("*_dev.jsonl")))
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args(argv)
    settings = Settings(store="embedded", index_dir=args.index_dir, answer_cache=0)
    pipeline = Pipeline.from_config(settings)
    for path in args.corpus:
        pipeline.add_documents(load_path(path))
    questions = list(dict.fromkeys(q for path in args.sets for q in questions_of(path)))
    pipeline.warm_up()
    timings = [pipeline.ask(question).timings_ms for question in questions]
    result = {
        "answerer": type(pipeline.answerer).__name__, "chunks": len(pipeline.index.chunks), "questions": len(questions),
        "retrieve_ms": _stats([t.retrieve for t in timings]), "answer_ms": _stats([t.answer for t in timings]),
        "total_ms": _stats([t.total for t in timings]), "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    read = [t.read for t in timings if t.read is not None]
    if read:  # the neural reader's own time, over the questions it read for
        result.update(read_questions=len(read), read_ms=_stats(read))
    print(json.dumps(result, ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
