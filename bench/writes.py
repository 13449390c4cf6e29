"""What one-document writes cost in process: add and delete, at the corpus size and at a larger one.

Opens the index at ``--index-dir`` (ingesting ``--corpus`` paths first when given), then
alternates adding and deleting a one-page notice ``--rounds`` times and prints p50/max of
each, with the segments the index holds after. With ``--chunks N`` it then makes a copy
of the index grown to at least N chunks by repeating its documents under new ids (the
copies reuse the stored vectors and tokens: nothing is embedded again), opens it in a
fresh pipeline, measures the same writes there, and times ``optimize`` (every segment
folded into one) on it.

    .venv/bin/python bench/writes.py --index-dir /tmp/civic --corpus corpus ../shared/corpus/laws \\
        ../shared/corpus/civic-laws --chunks 20000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from rag.documents import Document, normalize_text
from rag.index import Index, IndexedChunk, Segment
from rag.loaders import load_path
from rag.pipeline import Pipeline
from rag.settings import Settings

NOTICE = Document(doc_id="bench-write", title="쓰기 시험 공지",
                  text=normalize_text("쓰기 시험 중 추가된 공지다. 한빛시는 2030년 인공지능 센터를 열었다. "
                                      "센터는 시민 누구나 이용할 수 있으며 운영 시간은 평일 9시부터 18시까지다."))


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def write_rounds(pipeline: Pipeline, rounds: int) -> dict:
    """Add then delete :data:`NOTICE` ``rounds`` times (after one untimed pair); ms of each."""
    pipeline.add_documents([NOTICE])
    pipeline.delete_document(NOTICE.doc_id)
    adds, deletes = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        pipeline.add_documents([NOTICE])
        adds.append(_ms(start))
        start = time.perf_counter()
        pipeline.delete_document(NOTICE.doc_id)
        deletes.append(_ms(start))
    stats = {}
    for name, values in (("add_ms", adds), ("delete_ms", deletes)):
        stats[name] = {"p50": round(float(np.median(values)), 1), "max": round(max(values), 1)}
    return stats | {"chunks": len(pipeline.index.chunks), "segments": len(pipeline.index.segments)}


def grown(index: Index, chunks: int) -> Index:
    """``index`` with its documents repeated under new ids until it holds ``chunks`` chunks, as
    one segment: the copies' vectors and tokens are the originals'."""
    documents, items, vectors = {}, [], []
    stored = index.embeddings()
    copy = 0
    while len(items) < chunks:
        suffix = f"~{copy}" if copy else ""
        ids = {doc_id: doc_id + suffix for doc_id in index.documents}
        documents.update((ids[d], replace(doc, doc_id=ids[d])) for d, doc in index.documents.items())
        items.extend(IndexedChunk(replace(c.chunk, doc_id=ids[c.chunk.doc_id]), c.tokens) for c in index.chunks)
        vectors.append(stored)
        copy += 1
    segment = Segment.build(documents, items, np.concatenate(vectors), index.manifest.dim)
    return Index(replace(index.manifest, created_at=time.time()), [segment])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, nargs="*", default=[], help="Ingest these first (unchanged files are skipped).")
    parser.add_argument("--rounds", type=int, default=10, help="Add/delete pairs timed per index.")
    parser.add_argument("--chunks", type=int, help="Also measure on a copy grown to this many chunks.")
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args(argv)
    pipeline = Pipeline.from_config(Settings(store="embedded", index_dir=args.index_dir, answer_cache=0))
    for path in args.corpus:
        pipeline.add_documents(load_path(path))
    result = {"corpus": write_rounds(pipeline, args.rounds)}
    print(json.dumps(result, ensure_ascii=False), flush=True)
    if args.chunks:
        with tempfile.TemporaryDirectory(prefix="rag-writes-") as folder:
            big = grown(pipeline.index, args.chunks)
            scaled = Pipeline(Settings(store="embedded", index_dir=Path(folder), answer_cache=0), pipeline.embedder)
            scaled.store.commit(big)
            scaled.reload()
            result["grown"] = write_rounds(scaled, args.rounds)
            for n in range(5):  # segments to fold: small writes that stay
                scaled.add_documents([replace(NOTICE, doc_id=f"bench-write-{n}")])
            start = time.perf_counter()
            before, after = scaled.optimize()
            result["grown"]["optimize"] = {"segments": f"{before} -> {after}", "ms": round(_ms(start), 1)}
            print(json.dumps(result, ensure_ascii=False), flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
