"""Scale benchmark: the civic-law pack, then every current Korean statute, in both stores.

Ingests ``--corpus`` (the civic-law pack) and then the statutes of ``--statutes`` (the
statutes-kr archive, extracted to a temporary folder and deleted after) in stages that end at
about ``--sizes`` chunks (the last stage takes all of them), into the embedded store and, with
``--dsn`` or ``--postgres``, into PostgreSQL. After each stage, for each store:

* ingest: seconds and chunks/s of the stage, split into chunking, embedding, BM25 tokenising,
  analysing (the answerer's sentence analysis) and writing (the commit);
* size of the index: the folder, or the ``rag_*`` tables with their indexes;
* search p50/p99 per mode (dense, bm25, hybrid) in process, ``--questions`` per mode, every
  one a text not searched before in the run (dev questions and their variants as people write
  them, :mod:`bench.questions`): query embedding and tokenising included, nothing cached;
* one-document write: add and delete of a short notice (:func:`bench.writes.write_rounds`),
  its embedding real;
* with ``--load-seconds``: requests/s, p50/p99 and errors of 16 clients asking ``/v1/ask``
  with distinct questions, then the same with one write a second, spread over two ``rag serve``
  processes (PostgreSQL: two servers on one database; embedded: one server with two workers
  on one folder), and each server's resident memory.

Embedding ~180,000 chunks takes about an hour per store on two cores (3,106 in about 62 s), so past the civic-law pack the passages'
vectors are **synthetic**: a unit vector drawn from a hash of each chunk's text
(:class:`SyntheticPassages`). Searching them costs what searching real vectors costs; what they
rank means nothing, so this benchmark reports speed and size, never quality. Queries, and the
documents the write rounds add, are embedded by the real model.

    .venv/bin/python bench/scale.py --statutes ../shared/data/statutes-kr/statutes-all.tar.xz \\
        --corpus corpus/civic-laws --postgres --json bench/results/scale-statutes.json
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import secrets
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: bench/ is on the path, the project root is not
    sys.path.insert(0, str(ROOT))

from bench.load import run_phase, server  # noqa: E402
from bench.processes import ProcessTree  # noqa: E402
from bench.questions import QuestionPool, eval_questions  # noqa: E402
from bench.writes import write_rounds  # noqa: E402
from rag.chunking import Chunker  # noqa: E402
from rag.documents import Document  # noqa: E402
from rag.evaluation import percentile  # noqa: E402
from rag.loaders import load_path  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402
from rag.settings import Settings  # noqa: E402

MODES = ("dense", "bm25", "hybrid")
SCRIPT = ROOT / "scripts" / "postgres-dev.sh"
LOAD_CLIENTS = 16
WARM_UP_S = 10.0


class SyntheticPassages:
    """The real embedder, except that passages get a unit vector drawn from a hash of their
    text while :attr:`synthetic` is on: same dimension, same cost to search, no meaning."""

    def __init__(self, embedder):
        self.real = embedder
        self.synthetic = True

    def __getattr__(self, name: str):
        return getattr(self.real, name)

    def encode_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        if not self.synthetic:
            return self.real.encode_passages(texts, progress=progress)
        vectors = np.empty((len(texts), self.real.dim), np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            vector = np.random.default_rng(seed).standard_normal(self.real.dim)
            vectors[row] = vector / np.linalg.norm(vector)
        if progress:
            progress(len(texts))
        return vectors


def statute_documents(archive: Path, folder: Path) -> list[Document]:
    """Every ``kr/<법령명>/법률.md`` of the statutes archive, extracted into ``folder``, in the
    order of their names; each one's id is its statute's name (:func:`rag.loaders.load_file`)."""
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    return load_path(folder / "kr")


def stages(documents: list[Document], chunker: Chunker, first: int, sizes: Sequence[int]) -> list[list[Document]]:
    """``documents`` cut into consecutive batches: the first ``first`` (the civic pack), then
    batches that end at about each of ``sizes`` chunks in all (as ``chunker`` splits them), the
    last one with the rest."""
    counts = [len(chunker.split(doc)) for doc in documents]
    batches, start, total = [documents[:first]], first, sum(counts[:first])
    for size in sizes:
        end = start
        while end < len(documents) and total < size:
            total += counts[end]
            end += 1
        if end > start:
            batches.append(documents[start:end])
            start = end
    if start < len(documents):
        batches.append(documents[start:])
    return batches


class StageClock:
    """Seconds spent in each ingest stage, from the pipeline's progress reports."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._stage, self._since = None, time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self.close()
            self._stage = stage

    def close(self) -> None:
        now = time.perf_counter()
        if self._stage:
            self.seconds[self._stage] = round(self.seconds.get(self._stage, 0.0) + now - self._since, 2)
        self._since = now


def search_latency(pipeline: Pipeline, questions: QuestionPool, count: int) -> dict:
    """p50/p99 ms of ``Pipeline.search`` per mode over ``count`` questions each, new texts for
    every mode: a text searched before would find its tokens memoised."""
    pipeline.search(questions.take())  # loads Kiwi and the query encoder: not a question's cost
    result = {}
    for mode in MODES:
        times = []
        for _ in range(count):
            question = questions.take()
            start = time.perf_counter()
            pipeline.search(question, mode=mode)
            times.append((time.perf_counter() - start) * 1000)
        result[mode] = {f"p{q}": round(percentile(times, q), 2) for q in (50, 99)}
    return result


def folder_bytes(folder: Path) -> int:
    """Bytes of the files under ``folder``."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def table_bytes(dsn: str) -> int:
    """Bytes of the ``rag_*`` tables in the database of ``dsn``, their indexes and TOAST included."""
    import psycopg

    with psycopg.connect(dsn) as connection:
        row = connection.execute("SELECT coalesce(sum(pg_total_relation_size(oid)), 0) FROM pg_class "
                                 "WHERE relkind = 'r' AND relname LIKE 'rag\\_%'").fetchone()
    return int(row[0])


def ingest(pipeline: Pipeline, batch: list[Document]) -> dict:
    """Add ``batch`` in one write; its time, split by stage."""
    clock = StageClock()
    start = time.perf_counter()
    report = pipeline.add_documents(batch, progress=clock)
    seconds = time.perf_counter() - start
    clock.close()
    chunks = report.chunks_embedded
    return {"documents": len(batch), "chunks": chunks, "seconds": round(seconds, 1),
            "chunks_per_second": round(chunks / seconds, 1), "stages_s": clock.seconds}


def serve_load(store: str, index_dir: Path, seconds: float, questions: QuestionPool, log_dir: Path) -> dict:
    """16 clients over two serving processes for ``seconds``, then again with a writer: of the
    folder ``index_dir`` (embedded), or of the database, each with a local folder in ``log_dir``."""
    token = secrets.token_urlsafe(24)
    # Two processes on two cores: one thread each, as `rag serve --workers 2` sets for its workers.
    env = {"RAG_STORE": store, "RAG_THREADS": "1"}
    log_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        start = time.perf_counter()
        if store == "embedded":  # one folder: one server, two workers
            started = [stack.enter_context(server(index_dir, token, 2, log_dir / "serve.log", cache=False,
                                                  extra_env=env))]
        else:  # one database: two servers, each with a local folder of its own
            started = [stack.enter_context(server(log_dir / f"server-{n}", token, 1, log_dir / f"serve-{n}.log",
                                                  cache=False, extra_env=env)) for n in range(2)]
        urls = [url for url, _ in started]
        trees = [ProcessTree(process.pid) for _, process in started]
        # Servers start one after the other: each loads the whole index before it is ready.
        result = {"servers": len(urls), "ready_s": round(time.perf_counter() - start, 1)}
        # Unmeasured: every worker loads its models on its first questions, not at readiness.
        asyncio.run(run_phase(urls, None, "warm-up", 4, questions, min(WARM_UP_S, seconds), with_writer=False))
        for name, writer in ((f"ask@{LOAD_CLIENTS}", False), (f"mixed@{LOAD_CLIENTS}", True)):
            phase = asyncio.run(run_phase(urls, token, name, LOAD_CLIENTS, questions, seconds, with_writer=writer))
            summary = phase.summary()
            result[name] = {key: summary[key] for key in ("requests", "errors", "rps", "p50_ms", "p99_ms", "writes",
                                                          "error_samples") if key in summary}
        result["rss_mb"] = [mb for tree in trees for mb in tree.rss_mb()]
    return result


@contextmanager
def postgres(dsn: str | None, start: bool) -> Iterator[str | None]:
    """``dsn``, or a throwaway server started with scripts/postgres-dev.sh, or none."""
    if dsn or not start:
        yield dsn
        return
    folder = Path(tempfile.mkdtemp(prefix="rag-postgres-scale-"))
    done = subprocess.run([str(SCRIPT), "start", str(folder)], capture_output=True, text=True, check=True)
    try:
        yield done.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(SCRIPT), "stop", str(folder)], capture_output=True, text=True)


def run_store(store: str, batches: list[list[Document]], embedder: SyntheticPassages, args: argparse.Namespace,
              folder: Path, searches: QuestionPool, pool: QuestionPool) -> list[dict]:
    """Every stage into ``store``, with the figures measured after each."""
    index_dir = folder / "index"
    pipeline = Pipeline(Settings(store=store, index_dir=index_dir, answer_cache=0), embedder)
    rows = []
    for number, batch in enumerate(batches):
        embedder.synthetic = number > 0  # the civic pack's vectors are real
        row = {"ingest": ingest(pipeline, batch)}
        embedder.synthetic = False
        row["chunks"] = len(pipeline.index.chunks)
        row["documents"] = len(pipeline.index.documents)
        row["bytes"] = folder_bytes(index_dir) if store == "embedded" else table_bytes(store)
        row["search_ms"] = search_latency(pipeline, searches, args.questions)
        row["write_ms"] = write_rounds(pipeline, args.rounds)
        if args.load_seconds:
            row["serve"] = serve_load(store, index_dir, args.load_seconds, pool, folder / f"serve-{number}")
        print(json.dumps({"store": "embedded" if store == "embedded" else "postgresql", **row},
                         ensure_ascii=False), flush=True)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statutes", type=Path, default=ROOT.parent / "shared/data/statutes-kr/statutes-all.tar.xz",
                        help="The statutes-kr archive (statutes-all.tar.xz).")
    parser.add_argument("--corpus", type=Path, nargs="+", default=[ROOT / "corpus" / "civic-laws"],
                        help="Ingested first, embedded for real (default: corpus/civic-laws).")
    parser.add_argument("--sizes", type=int, nargs="*", default=[20000],
                        help="Chunk counts the stages after the corpus end at; the last stage takes the rest.")
    parser.add_argument("--limit", type=int, help="Only the first N statutes (a smoke run).")
    parser.add_argument("--dsn", help="Also measure PostgreSQL at this DSN (an empty database).")
    parser.add_argument("--postgres", action="store_true", help="Also measure PostgreSQL on a throwaway server "
                        "started with scripts/postgres-dev.sh.")
    parser.add_argument("--questions", type=int, default=300, help="Questions per search mode, each a new text.")
    parser.add_argument("--rounds", type=int, default=10, help="Add/delete pairs timed after each stage.")
    parser.add_argument("--load-seconds", type=float, default=30.0, help="Seconds per load phase (0: none).")
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args(argv)
    if not args.statutes.is_file():
        print(f"skipped: the statutes archive is not at {args.statutes} (pass --statutes PATH)", file=sys.stderr)
        return 0
    pool = QuestionPool(eval_questions(ROOT / "eval"))  # the HTTP phases' (each server memoises its own)
    searches = QuestionPool(eval_questions(ROOT / "eval"), seed=1)
    result = {"vectors": "real for --corpus, synthetic (hash of the text) for the statutes", "stores": {}}
    with tempfile.TemporaryDirectory(prefix="rag-scale-") as tmp, postgres(args.dsn, args.postgres) as dsn:
        folder = Path(tmp)
        corpus = [doc for path in args.corpus for doc in load_path(path)]
        statutes = statute_documents(args.statutes, folder / "statutes")[:args.limit]
        planner = Pipeline.from_config(Settings(store="embedded", index_dir=folder / "planner"))
        embedder = SyntheticPassages(planner.embedder)
        batches = stages(corpus + statutes, planner.chunker, len(corpus), args.sizes)
        print(f"{len(corpus)} corpus documents, {len(statutes)} statutes in {len(batches)} stages; "
              f"{args.questions} questions per search mode", flush=True)
        for store in ["embedded", *([dsn] if dsn else [])]:
            name = "embedded" if store == "embedded" else "postgresql"
            result["stores"][name] = run_store(store, batches, embedder, args, folder / name, searches, pool)
        result["repeated_searches"] = searches.repeated
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    # A stopped run still stops its database server and deletes its folders (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
