"""``rag bench speed``: this project against the LangChain pipeline a team would otherwise build.

Same corpus (the bundled article of ``corpus/news`` and the AI statutes of ``corpus/laws``),
same questions (``eval/article_dev.jsonl`` and ``eval/statute_dev.jsonl``), same machine,
one run, three variants (``--corpus`` adds document folders: the comparison at a second
size, such as the civic statutes of ../shared/corpus):

* ``ours``: :class:`rag.pipeline.Pipeline` in process; ``ask`` is hybrid retrieval plus
  answer extraction;
* ``langchain``: :mod:`bench.langchain_baseline`, ``similarity_search(k=5)``, retrieval only;
* ``http``: ``rag serve`` on a loopback port (:func:`bench.load.server`), ``POST /v1/ask``.

Latencies are taken in blocks of questions that rotate through the variants and the floors
(bare query embedding, bare FAISS search), and throughput slices rotate the same way, so
drift of the machine (another process starting, a slower minute) lands on every variant
alike. Peak RSS is that of each variant's own fresh process, which loads the index and the
model and answers the questions once (30 of them in quick mode): a child (``--child``) for
``ours`` and ``langchain``, the server itself for ``http``. Timings are reported, never asserted.

    rag bench speed [--quick] [--out DIR] [--corpus DIR ...]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import httpx
from rich.console import Console

from bench.langchain_baseline import K, LangChainBaseline, check_prefixes, load_embeddings
from bench.load import ROOT, SOURCES, run_phase, server
from bench.speed_report import Latency, Recall, SpeedReport, VariantResult, print_report
from rag.embedding.cache import ensure_bundled_model
from rag.embedding.threads import available_cpus
from rag.evaluation import contains_answer, load_eval_set
from rag.jsonl import read_jsonl
from rag.loaders import iter_files, load_file
from rag.settings import Settings

if TYPE_CHECKING:
    from langchain_huggingface import HuggingFaceEmbeddings

    from rag.documents import Document
    from rag.embedding import Embedder
    from rag.pipeline import Pipeline

DEV_SETS = (ROOT / "eval" / "article_dev.jsonl", ROOT / "eval" / "statute_dev.jsonl")
KORQUAD = ROOT.parent / "shared" / "data" / "korquad" / "KorQuAD_v1.0_dev.json"
#: Between two blocks of different engines: lets the previous engine's spinning worker
#: threads (onnxruntime's pool, torch's OpenMP team) go idle instead of stealing the next one's cores.
ENGINE_PAUSE_S = 0.02
VERSIONS = ("langchain-core", "langchain-community", "langchain-huggingface", "langchain-text-splitters",
            "sentence-transformers", "transformers", "torch", "onnxruntime", "faiss-cpu")

Probe = Callable[[str], object]
#: ``(callers, seconds) -> (queries answered, seconds taken)``.
Runner = Callable[[int, float], tuple[int, float]]
#: A retrieved chunk as the recall measure sees it: ``(doc_id, text)``.
Hit = tuple[str, str]
Searcher = Callable[[str], list[Hit]]
T = TypeVar("T")

console = Console(width=None if sys.stdout.isatty() else 120)  # logs get whole tables
status = Console(stderr=True)


@dataclass(frozen=True)
class Plan:
    """How much a run measures."""

    name: str
    queries: int  # latency samples per probe: the questions subsampled or repeated to this many
    block: int  # questions a probe answers before the next probe's turn
    concurrency: tuple[int, ...]
    slice_seconds: float  # one throughput measurement of one variant at one concurrency
    rounds: int  # throughput slices per variant and concurrency
    build_rounds: int
    rss_questions: int | None  # questions each fresh process answers before its peak RSS is read (None: all)
    korquad: bool


QUICK = Plan("quick", queries=40, block=5, concurrency=(1, 4), slice_seconds=1.5, rounds=1,
             build_rounds=1, rss_questions=30, korquad=False)
FULL = Plan("full", queries=300, block=5, concurrency=(1, 4), slice_seconds=5.0, rounds=3,
            build_rounds=2, rss_questions=None, korquad=True)


def _say(message: str) -> None:
    status.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {message}", highlight=False)


# -- pure helpers --------------------------------------------------------------------------


def rotated(items: Sequence[T], turn: int) -> list[T]:
    """``items`` starting at position ``turn`` (mod length): who goes first changes every turn."""
    start = turn % len(items)
    return [*items[start:], *items[:start]]


def latency_questions(questions: Sequence[str], n: int) -> list[str]:
    """At least ``n`` questions: whole passes over ``questions``, or an evenly spread subset of ``n``."""
    if n > len(questions):
        return list(questions) * math.ceil(n / len(questions))
    return [questions[i * len(questions) // n] for i in range(n)]


def recall_at_k(cases: Sequence[tuple[str, Callable[[Hit], bool]]], searchers: dict[str, Searcher]) -> dict[str, float]:
    """Per searcher, the share of ``(question, is_relevant)`` cases with a relevant hit among those returned."""
    return {name: sum(any(map(is_relevant, search(question))) for question, is_relevant in cases) / len(cases)
            for name, search in searchers.items()}


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident set size (VmHWM) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


# -- measuring -----------------------------------------------------------------------------


def warm_up(probes: dict[str, Probe], questions: Sequence[str]) -> None:
    """Every probe answers every question once.

    Steady state, not first contact: our answerer keeps the sentences and candidates of
    each paragraph it has read, which a long-running service has read long ago; the
    baseline keeps nothing, so this costs it only time.
    """
    for probe in probes.values():
        for question in dict.fromkeys(questions):
            probe(question)


def interleaved_latencies(probes: dict[str, Probe], questions: Sequence[str], block: int) -> dict[str, list[float]]:
    """Milliseconds per question for every probe, in blocks of ``block`` questions that rotate through the probes."""
    samples: dict[str, list[float]] = {name: [] for name in probes}
    for turn, start in enumerate(range(0, len(questions), block)):
        for name in rotated(list(probes), turn):
            for question in questions[start : start + block]:
                started = time.perf_counter()
                probes[name](question)
                samples[name].append((time.perf_counter() - started) * 1000)
            time.sleep(ENGINE_PAUSE_S)
    return samples


def thread_throughput(probe: Probe, questions: Sequence[str], callers: int, seconds: float) -> tuple[int, float]:
    """Queries answered by ``callers`` threads asking in a loop for ``seconds``, and the time until all stopped."""
    deadline = time.perf_counter() + seconds

    def caller(offset: int) -> int:
        n = offset
        while time.perf_counter() < deadline:
            probe(questions[n % len(questions)])
            n += 1
        return n - offset

    started = time.perf_counter()
    with ThreadPoolExecutor(callers) as pool:
        answered = sum(pool.map(caller, (i * 7 for i in range(callers))))  # callers start at different questions
    return answered, time.perf_counter() - started


def http_throughput(url: str, questions: list[str], callers: int, seconds: float) -> tuple[int, float]:
    """Like :func:`thread_throughput`, with ``callers`` concurrent HTTP clients of :func:`bench.load.run_phase`."""
    phase = asyncio.run(run_phase([url], None, f"ask@{callers}", callers, questions, seconds, with_writer=False))
    if phase.errors:
        raise RuntimeError(f"{phase.errors} of {len(phase.latencies_ms)} requests failed, "
                           f"e.g. {phase.error_samples[0]}")
    return len(phase.latencies_ms), phase.seconds


def interleaved_throughput(runners: dict[str, Runner], concurrency: Sequence[int], rounds: int,
                           seconds: float) -> dict[str, dict[int, float]]:
    """Queries per second of every runner at every concurrency, over ``rounds`` rotating slices."""
    totals = {name: {n: [0, 0.0] for n in concurrency} for name in runners}
    for n in concurrency:
        for turn in range(rounds):
            for name in rotated(list(runners), turn):
                answered, elapsed = runners[name](n, seconds)
                totals[name][n][0] += answered
                totals[name][n][1] += elapsed
                time.sleep(ENGINE_PAUSE_S)
    return {name: {n: count / elapsed for n, (count, elapsed) in levels.items()} for name, levels in totals.items()}


# -- building ------------------------------------------------------------------------------


def build_ours(documents: list[Document], index_dir: Path, embedder: Embedder) -> tuple[Pipeline, float]:
    """A pipeline over a fresh index of ``documents``, and the seconds ``add_documents`` took."""
    from rag.pipeline import Pipeline

    pipeline = Pipeline(Settings(store="embedded", index_dir=index_dir), embedder)
    started = time.perf_counter()
    pipeline.add_documents(documents)
    return pipeline, time.perf_counter() - started


def build_langchain(documents: list[Document], folder: Path,
                    embeddings: HuggingFaceEmbeddings) -> tuple[LangChainBaseline, float]:
    """The LangChain store of ``documents``, saved to ``folder``; the seconds to split, embed and save."""
    settings = Settings()
    started = time.perf_counter()
    baseline = LangChainBaseline.build(documents, embeddings, settings.chunk_size, settings.chunk_overlap)
    baseline.save(folder)
    return baseline, time.perf_counter() - started


def _searchers(pipeline: Pipeline, baseline: LangChainBaseline) -> dict[str, Searcher]:
    def ours(mode: str) -> Searcher:
        return lambda q: [(h.chunk.doc_id, h.chunk.text) for h in pipeline.search(q, K, mode)]

    return {"ours hybrid": ours("hybrid"), "ours dense": ours("dense"),
            "langchain dense": lambda q: [(d.metadata["doc_id"], d.page_content) for d in baseline.search(q, K)]}


def dev_set_recall(path: Path, pipeline: Pipeline, baseline: LangChainBaseline) -> Recall:
    """recall@5 over a dev set's answerable questions: a hit counts when it holds a gold answer."""
    answerable = [q for q in load_eval_set(path) if q.answerable]
    cases = [(q.question, lambda hit, q=q: contains_answer(hit[1], q.answers)) for q in answerable]
    return Recall(path.stem, len(cases), recall_at_k(cases, _searchers(pipeline, baseline)))


def korquad_recall(tmp: Path, embedder: Embedder, embeddings: HuggingFaceEmbeddings) -> Recall:
    """recall@5 on KorQuAD 1.0 dev (articles 0–69) over all 964 paragraphs; relevant is the question's own paragraph."""
    from rag.korquad import load_korquad

    documents, questions = load_korquad(KORQUAD, "dev")
    _say(f"KorQuAD: indexing {len(documents)} paragraphs twice")
    pipeline, ours_seconds = build_ours(documents, tmp / "korquad-ours", embedder)
    baseline, langchain_seconds = build_langchain(documents, tmp / "korquad-langchain", embeddings)
    _say(f"KorQuAD: {len(questions)} questions")
    cases = [(q.question, lambda hit, q=q: hit[0] == q.doc_id) for q in questions]
    return Recall("KorQuAD 1.0 dev", len(cases), recall_at_k(cases, _searchers(pipeline, baseline)),
                  {"ours": ours_seconds, "langchain": langchain_seconds})


# -- fresh processes for peak RSS ------------------------------------------------------------


def child_peak_rss_mb(variant: str, index_dir: Path, questions_file: Path, log: Path) -> float:
    """Peak RSS of a fresh process that loads ``variant``'s index and model and answers every question."""
    command = [sys.executable, "-m", "bench.speed", "--child", variant, "--index-dir", str(index_dir),
               "--questions", str(questions_file)]
    with open(log, "w") as errors:
        completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True, timeout=900)
    if completed.returncode:
        raise RuntimeError(f"{' '.join(command)} exited with {completed.returncode}; see {log}")
    return json.loads(completed.stdout.strip().splitlines()[-1])["peak_rss_mb"]


def run_child(variant: str, index_dir: Path, questions_file: Path) -> None:
    """The body of ``--child``: one JSON line with the peak RSS after answering every question."""
    questions = [row["question"] for _, row in read_jsonl(questions_file)]
    if variant == "ours":
        from rag.pipeline import Pipeline

        answer: Probe = Pipeline.from_config(Settings(store="embedded", index_dir=index_dir)).ask
    else:
        answer = LangChainBaseline.load(index_dir, load_embeddings(ensure_bundled_model())).search
    for question in questions:
        answer(question)
    print(json.dumps({"variant": variant, "questions": len(questions), "peak_rss_mb": peak_rss_mb()}))


# -- the run -------------------------------------------------------------------------------


@dataclass
class Built:
    """Both pipelines over the benchmark corpus, the models they embed with and how long building took."""

    pipeline: Pipeline
    baseline: LangChainBaseline
    langchain_dir: Path
    embedder: Embedder
    embeddings: HuggingFaceEmbeddings
    build_seconds: dict[str, list[float]]


def _documents(extra: Sequence[Path]) -> list[Document]:
    return [load_file(path) for path in iter_files([*SOURCES, *extra])]


def _environment() -> dict:
    return {"python": platform.python_version(), "cpus": available_cpus(), "load_average_start": os.getloadavg(),
            "versions": {name: importlib.metadata.version(name) for name in VERSIONS}}


def _build(plan: Plan, documents: list[Document], tmp: Path) -> Built:
    """Load both models, then build each index ``plan.build_rounds`` times, alternating who goes first."""
    from rag.pipeline import Pipeline

    _say("loading both embedding models")
    embedder = Pipeline.from_config(Settings(store="embedded", index_dir=tmp / "unused")).embedder
    embedder.encode_query("모델을 불러 둔다")  # the model loads before the build clock starts, as the baseline's does
    embeddings = load_embeddings(ensure_bundled_model())
    seconds: dict[str, list[float]] = {"ours": [], "langchain": []}
    for turn in range(plan.build_rounds):
        for name in rotated(list(seconds), turn):
            _say(f"building the {name} index of {len(documents)} documents")
            if name == "ours":
                pipeline, took = build_ours(documents, tmp / f"ours-{turn}", embedder)
            else:
                langchain_dir = tmp / f"langchain-{turn}"
                baseline, took = build_langchain(documents, langchain_dir, embeddings)
            seconds[name].append(took)
    return Built(pipeline, baseline, langchain_dir, embedder, embeddings, seconds)


def _children_peak_rss_mb(built: Built, questions: list[str], tmp: Path, out: Path) -> dict[str, float]:
    """Peak RSS of a fresh process per in-process variant, one after the other.

    Not in parallel with anything: torch's OpenMP threads stall for up to a second when
    another process takes a core, which would slow the whole run to a crawl.
    """
    questions_file = tmp / "rss-questions.jsonl"
    questions_file.write_text("".join(json.dumps({"question": q}, ensure_ascii=False) + "\n" for q in questions))
    index_dirs = {"ours": built.pipeline.settings.index_dir, "langchain": built.langchain_dir}
    return {name: child_peak_rss_mb(name, index_dir, questions_file, out / f"speed-child-{name}.log")
            for name, index_dir in index_dirs.items()}


def _latencies(plan: Plan, built: Built, ask_http: Probe, questions: list[str]) -> dict[str, Latency]:
    sample = latency_questions(questions, plan.queries)
    pipeline, embedder = built.pipeline, built.embedder
    vectors = {q: embedder.encode_query(q)[None, :] for q in questions}
    probes: dict[str, Probe] = {
        "ours": pipeline.ask, "langchain": built.baseline.search, "http": ask_http,
        "embed ours": embedder.encode_query, "embed langchain": built.embeddings.embed_query,
        "faiss": lambda q: pipeline.index.dense_search(vectors[q], K),
    }
    _say(f"warm-up: every probe answers the {len(questions)} questions once")
    warm_up(probes, questions)
    _say(f"latency: {len(sample)} questions per probe, interleaved in blocks of {plan.block}")
    samples = interleaved_latencies(probes, sample, plan.block)
    return {name: Latency.of(ms) for name, ms in samples.items()}


def _throughputs(plan: Plan, built: Built, url: str, questions: list[str]) -> dict[str, dict[int, float]]:
    _say(f"throughput at {', '.join(map(str, plan.concurrency))} callers, "
         f"{plan.rounds} × {plan.slice_seconds:g} s per variant and level")
    runners: dict[str, Runner] = {
        "ours": lambda n, s: thread_throughput(built.pipeline.ask, questions, n, s),
        "langchain": lambda n, s: thread_throughput(built.baseline.search, questions, n, s),
        "http": lambda n, s: http_throughput(url, questions, n, s),
    }
    return interleaved_throughput(runners, plan.concurrency, plan.rounds, plan.slice_seconds)


def _korquad(plan: Plan, built: Built, tmp: Path, notes: list[str]) -> list[Recall]:
    if not plan.korquad:
        notes.append("KorQuAD recall is measured in full mode only")
        return []
    if not KORQUAD.exists():
        notes.append(f"KorQuAD skipped: {KORQUAD} not found")
        _say(f"[yellow]{notes[-1]}[/]")
        return []
    return [korquad_recall(tmp, built.embedder, built.embeddings)]


def run(plan: Plan, out: Path, extra: Sequence[Path] = ()) -> SpeedReport:
    """Build both indexes (of the bundled corpus and the ``extra`` folders), then measure memory,
    quality, latency and throughput of every variant."""
    started = time.perf_counter()
    os.environ["HF_HUB_OFFLINE"] = "1"  # every model is local; nothing may reach a hub, in this process or a child
    # The questions repeat; answered from the cache they would time a dictionary lookup,
    # not retrieval and answering, and the baseline has no cache.
    os.environ["RAG_ANSWER_CACHE"] = "0"
    out.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    environment = _environment()
    documents = _documents(extra)
    questions = [row["question"] for path in DEV_SETS for _, row in read_jsonl(path)]
    rss_questions = questions[: plan.rss_questions]
    with tempfile.TemporaryDirectory(prefix="rag-speed-") as folder:
        tmp = Path(folder)
        built = _build(plan, documents, tmp)
        _say(f"fresh processes load each index and answer {len(rss_questions)} questions, for peak RSS")
        rss = _children_peak_rss_mb(built, rss_questions, tmp, out)
        with server(built.pipeline.settings.index_dir, secrets.token_urlsafe(24), 1, out / "speed-server.log") as (
            url, process,
        ), httpx.Client(base_url=url, timeout=60) as client:
            def ask_http(question: str) -> None:
                client.post("/v1/ask", json={"question": question}).raise_for_status()

            for question in rss_questions:
                ask_http(question)
            rss["http"] = peak_rss_mb(process.pid)
            _say("recall@5 on the dev sets")
            quality = [dev_set_recall(path, built.pipeline, built.baseline) for path in DEV_SETS]
            prefix_check = check_prefixes(built.embeddings, questions[0], built.pipeline.index.chunks[0].chunk.text,
                                          built.embedder.encode_query(questions[0]))
            if not prefix_check.ok:
                raise RuntimeError(f"LangChain's vectors are not sentence-transformers' with the e5 prefixes: "
                                   f"{prefix_check}")
            latencies = _latencies(plan, built, ask_http, questions)
            qps = _throughputs(plan, built, url, questions)
        quality += _korquad(plan, built, tmp, notes)

    import torch  # imported by the baseline; its thread count explains much of its latency spread

    ours_engine, langchain_engine = f"ours ({built.embedder.engine})", "LangChain (sentence-transformers)"
    ours_chunks = len(built.pipeline.index.chunks)
    build = {name: statistics.median(seconds) for name, seconds in built.build_seconds.items()}
    variants = [
        VariantResult("ours", "ours (in process)", ours_engine, build["ours"], ours_chunks, latencies["ours"],
                      qps["ours"], rss["ours"]),
        VariantResult("langchain", "LangChain", langchain_engine, build["langchain"], built.baseline.chunks,
                      latencies["langchain"], qps["langchain"], rss["langchain"]),
        VariantResult("http", "ours (HTTP)", ours_engine, None, ours_chunks, latencies["http"], qps["http"],
                      rss["http"]),
    ]
    environment |= {"load_average_end": os.getloadavg(), "torch_threads": torch.get_num_threads(),
                    "corpus": [str(p) for p in [*SOURCES, *extra]], "documents": len(documents), "questions": len(questions), "rss_questions": len(rss_questions),
                    "build_seconds_per_round": built.build_seconds}
    return SpeedReport(
        mode=plan.name, concurrency=list(plan.concurrency), variants=variants,
        embed_floors={ours_engine: latencies["embed ours"], langchain_engine: latencies["embed langchain"]},
        faiss_floor=latencies["faiss"], quality=quality, prefix_check=prefix_check, environment=environment,
        notes=notes, wall_seconds=time.perf_counter() - started,
    )


def _require_bench_extra() -> None:
    missing = [name for name in ("langchain_huggingface", "langchain_community")
               if importlib.util.find_spec(name) is None]
    if missing:
        raise SystemExit(f"rag bench speed needs the bench extra ({', '.join(missing)} not installed): "
                         f"pip install -e '.[bench]'")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rag bench speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="A smoke run (under 3 min): fewer queries, no KorQuAD.")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="Folder for the JSON report.")
    parser.add_argument("--corpus", type=Path, nargs="+", default=[],
                        help="Document folders indexed besides corpus/news and corpus/laws (a second corpus size).")
    parser.add_argument("--child", choices=("ours", "langchain"), help=argparse.SUPPRESS)
    parser.add_argument("--index-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--questions", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args.child, args.index_dir, args.questions)
        return 0
    _require_bench_extra()
    missing = [str(p) for p in args.corpus if not p.is_dir()]
    if missing:
        raise SystemExit(f"--corpus: no such folder: {', '.join(missing)}")
    plan = QUICK if args.quick else FULL
    report = run(plan, args.out, args.corpus)
    print_report(report, console)
    size = f"-{report.variants[0].chunks}-chunks" if args.corpus else ""
    path = args.out / f"speed-{plan.name}{size}.json"
    path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    console.print(f"written: {path} · wall time {report.wall_seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
